//! Operations, written once over [`Executor`] and dispatched by name from the
//! binding: JSON arguments in, JSON text out, one crossing per call.

pub mod bulk;
pub mod claims;
pub mod clear;
pub mod constraint_with;
pub mod contributions;
pub mod copy;
pub mod edge_sets;
pub mod edges;
pub mod evolve;
pub mod find_index;
pub mod identity;
pub mod indexes;
pub mod interchange;
pub(crate) mod kept_writes;
pub mod kind_counts;
pub mod load;
pub mod nodes;
pub mod patch;
pub mod recorded;
pub mod rows;
pub mod schema;
pub mod unique_rows;
pub mod uniques;
pub mod uniques_batch;
pub mod upsert_edges_with;
pub mod upsert_with;

use crate::dialect::Tables;
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::graph::Graph;
use serde::Deserialize;
use serde_json::json;

/// What a store hands every operation.
pub struct Ctx<'a> {
    pub graph: &'a Graph,
    pub tables: &'a Tables,
}

/// Temporal read modes (`current` is the default).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Temporal {
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
}

impl Temporal {
    /// `(sql, params)` filtering a row set by this mode; `now` is the read instant.
    pub fn filter(&self, alias: &str, now: &str) -> Result<(String, Vec<crate::value::Value>)> {
        self.filter_cols(now, |n| {
            if alias.is_empty() {
                n.to_string()
            } else {
                format!("{alias}.{n}")
            }
        })
    }

    /// The filter for statements keyed by id: the temporal columns are marked so the
    /// planner keeps the primary key instead of scanning a (…, deleted_at) index.
    pub fn filter_keyed(
        &self,
        dialect: crate::dialect::Dialect,
        now: &str,
    ) -> Result<(String, Vec<crate::value::Value>)> {
        self.filter_cols(now, |n| dialect.not_for_index(n))
    }

    fn filter_cols(
        &self,
        now: &str,
        c: impl Fn(&str) -> String,
    ) -> Result<(String, Vec<crate::value::Value>)> {
        use crate::value::Value;
        self.check_coordinate()?;
        match self.temporal_mode.as_deref().unwrap_or("current") {
            "includeTombstones" => Ok(("1=1".into(), vec![])),
            "includeEnded" => Ok((format!("{} IS NULL", c("deleted_at")), vec![])),
            mode @ ("current" | "asOf") => {
                let at = if mode == "asOf" {
                    self.instant()?
                } else {
                    now.to_string()
                };
                Ok((
                    format!(
                        "{d} IS NULL AND ({vf} IS NULL OR {vf} <= ?) AND ({vt} IS NULL OR {vt} > ?)",
                        d = c("deleted_at"),
                        vf = c("valid_from"),
                        vt = c("valid_to")
                    ),
                    vec![Value::Ts(Some(at.clone())), Value::Ts(Some(at))],
                ))
            }
            other => Err(Error::validation(
                format!("Unknown temporal mode \"{other}\""),
                json!({ "temporalMode": other }),
            )),
        }
    }

    fn instant(&self) -> Result<String> {
        let raw = self.as_of.as_deref().ok_or_else(|| {
            Error::validation(
                "Temporal mode \"asOf\" requires a timestamp",
                json!({ "issues": [{ "path": "asOf", "message": "Timestamp is required for asOf mode" }] }),
            )
        })?;
        strict_instant(raw, "asOf")
    }

    /// An `asOf` instant is only meaningful in `asOf` mode (as upstream, never silently dropped).
    fn check_coordinate(&self) -> Result<()> {
        match (self.temporal_mode.as_deref().unwrap_or("current"), &self.as_of) {
            ("asOf", _) | (_, None) => Ok(()),
            (mode, Some(_)) => Err(Error::validation(
                format!("Temporal mode \"{mode}\" does not take an asOf timestamp; use temporalMode \"asOf\" to pin an instant"),
                json!({ "issues": [{ "path": "asOf", "message": "asOf is only valid with temporalMode \"asOf\"" }] }),
            )),
        }
    }

    /// The same filter applied to one fetched row (deleted_at, valid_from, valid_to).
    pub fn admits(
        &self,
        deleted_at: Option<&str>,
        valid_from: Option<&str>,
        valid_to: Option<&str>,
        now: &str,
    ) -> Result<bool> {
        self.check_coordinate()?;
        match self.temporal_mode.as_deref().unwrap_or("current") {
            "includeTombstones" => Ok(true),
            "includeEnded" => Ok(deleted_at.is_none()),
            mode @ ("current" | "asOf") => {
                let given;
                let at: &str = if mode == "asOf" {
                    given = self.instant()?;
                    &given
                } else {
                    now
                };
                Ok(deleted_at.is_none()
                    && valid_from.is_none_or(|f| f <= at)
                    && valid_to.is_none_or(|t| t > at))
            }
            other => Err(Error::validation(
                format!("Unknown temporal mode \"{other}\""),
                json!({ "temporalMode": other }),
            )),
        }
    }
}

/// Operation arguments that carry a temporal mode.
macro_rules! temporal_args {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn temporal(&self) -> Temporal {
                Temporal { temporal_mode: self.temporal_mode.clone(), as_of: self.as_of.clone() }
            }
        }
    )*};
}
temporal_args!(
    nodes::IdArgs,
    nodes::IdsArgs,
    nodes::FindArgs,
    edges::IdArgs,
    edges::IdsArgs,
    edges::FindArgs,
    edges::BetweenArgs
);

/// Runs the named operation with JSON arguments; returns JSON text. Writes of a
/// store registered with a schema version run behind the schema fence.
pub async fn dispatch<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    op: &str,
    args: &str,
) -> Result<String> {
    if evolve::is_fenced_write(op) && (recorded::wanted(ex, ctx) || identity::wanted(ex, ctx)) {
        ex.begin().await?;
        let mut cap = recorded::Capture {
            inner: ex,
            touched: Default::default(),
        };
        let out = fenced_op(&mut cap, ctx, op, args).await;
        let recorded::Capture { inner, touched } = cap;
        let out = identity::after_writes(inner, ctx, &touched, out).await;
        if !recorded::ticks(ctx) {
            return identity::finish(inner, out).await;
        }
        return recorded::finish(inner, ctx, touched, out).await;
    }
    fenced_op(ex, ctx, op, args).await
}

async fn fenced_op<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, op: &str, args: &str) -> Result<String> {
    if let Some(v) = ctx.graph.schema_version() {
        if evolve::is_fenced_write(op) {
            let mut fenced = evolve::Fenced::new(ex, ctx.tables, ctx.graph.id(), v);
            return run_op(&mut fenced, ctx, op, args).await;
        }
    }
    run_op(ex, ctx, op, args).await
}

async fn run_op<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, op: &str, args: &str) -> Result<String> {
    match op {
        "createNode" => nodes::create(ex, ctx, parse(args)?).await,
        "getNode" => nodes::get(ex, ctx, parse(args)?).await,
        "getNodes" => nodes::get_many(ex, ctx, parse(args)?).await,
        "findNodes" => nodes::find(ex, ctx, parse(args)?).await,
        "countNodes" => nodes::count(ex, ctx, parse(args)?).await,
        "updateNode" => nodes::update(ex, ctx, parse(args)?).await,
        "deleteNode" => nodes::delete(ex, ctx, parse(args)?, false).await,
        "hardDeleteNode" => nodes::delete(ex, ctx, parse(args)?, true).await,
        "createEdge" => edges::create(ex, ctx, parse(args)?).await,
        "getEdge" => edges::get(ex, ctx, parse(args)?).await,
        "getEdges" => edges::get_many(ex, ctx, parse(args)?).await,
        "findEdges" => edges::find(ex, ctx, parse(args)?).await,
        "countEdges" => edges::count(ex, ctx, parse(args)?).await,
        "updateEdge" => edges::update(ex, ctx, parse(args)?).await,
        "deleteEdge" => edges::delete(ex, ctx, parse(args)?, false).await,
        "hardDeleteEdge" => edges::delete(ex, ctx, parse(args)?, true).await,
        "findEdgesByEndpointSet" => edge_sets::find_by_endpoint_set(ex, ctx, parse(args)?).await,
        "findEdgesBetween" => edges::find_between(ex, ctx, parse(args)?).await,
        "resurrectEdge" => edges::resurrect(ex, ctx, parse(args)?).await,
        "bulkUpsertEdges" => bulk::upsert_edges(ex, ctx, parse(args)?).await,
        "deferIndexes" => load::defer(ex, ctx).await,
        "refreshStatistics" => load::refresh_statistics(ex, ctx).await,
        "materializeIndexes" => indexes::materialize(ex, ctx, parse(args)?).await,
        "restoreIndexes" => load::restore(ex, parse(args)?).await,
        "bulkCreateNodes" => bulk::create_nodes(ex, ctx, parse(args)?).await,
        "bulkUpsertNodes" => bulk::upsert_nodes(ex, ctx, parse(args)?).await,
        "bulkDeleteNodes" => bulk::delete_nodes(ex, ctx, parse(args)?).await,
        "bulkCreateEdges" => bulk::create_edges(ex, ctx, parse(args)?).await,
        "bulkDeleteEdges" => bulk::delete_edges(ex, ctx, parse(args)?).await,
        "findByConstraint" => uniques::find_by_constraint(ex, ctx, parse(args)?).await,
        "findByIndex" => find_index::find_by_index(ex, ctx, parse(args)?).await,
        "constraintKeys" => uniques::constraint_keys(ctx, parse(args)?),
        "query" => crate::query::run(ex, ctx, parse(args)?).await,
        "compileQuery" => crate::query::to_sql(ex, ctx, parse(args)?).await,
        "prepareQuery" => crate::query::prepare(ex.dialect(), ctx, parse(args)?),
        "searchFulltext" => crate::search::facade::fulltext(ex, ctx, parse(args)?)
            .await
            .map_err(|e| contributions::gate_fulltext(ctx, e)),
        "searchVector" => crate::search::facade::vector(ex, ctx, parse(args)?).await,
        "searchHybrid" => crate::search::facade::hybrid(ex, ctx, parse(args)?)
            .await
            .map_err(|e| contributions::gate_fulltext(ctx, e)),
        "rebuildFulltext" => crate::search::facade::rebuild_fulltext(ex, ctx, parse(args)?).await,
        "deleteFulltext" => crate::search::delete_fulltext_rows(ex, ctx, parse(args)?).await,
        "provisionSearch" => crate::search::provision(ex, ctx).await,
        "contributions" => contributions::run(ex, ctx, parse(args)?).await,
        "getActiveSchema" => schema::get_active(ex, ctx.tables, ctx.graph.id()).await,
        "getSchemaVersion" => {
            schema::get_version(ex, ctx.tables, ctx.graph.id(), parse(args)?).await
        }
        "commitSchema" => schema::commit(ex, ctx.tables, parse(args)?).await,
        "getPendingKindRemovals" => {
            evolve::get_pending_removals(ex, ctx.tables, ctx.graph.id()).await
        }
        "materializeRemovals" => {
            evolve::materialize_removals(ex, ctx.tables, ctx.graph.id(), parse(args)?).await
        }
        "reclaimVectorFields" => {
            evolve::reclaim_vector_fields(ex, ctx.tables, ctx.graph.id(), parse(args)?).await
        }
        "setActiveSchema" => schema::set_active(ex, ctx.tables, parse(args)?).await,
        "clearGraph" => clear::clear(ex, ctx).await,
        "countKindRows" => {
            kind_counts::count_kind_rows(ex, ctx.tables, ctx.graph.id(), parse(args)?).await
        }
        "algorithm" => crate::algo::run(ex, ctx, parse(args)?).await,
        "recordedNow" => recorded::now(ex, ctx).await,
        "recordedRead" => recorded::read(ex, ctx, parse(args)?).await,
        "identity" => identity::run(ex, ctx, parse(args)?).await,
        "uniqueRows" => unique_rows::run(ex, ctx, parse(args)?).await,
        "interchangePage" => interchange::export_page(ex, ctx, parse(args)?).await,
        "interchangeProbeEdges" => interchange::probe_edges(ex, ctx, parse(args)?).await,
        "interchangeOpenLeft" => interchange::clear_valid_from(ex, ctx, parse(args)?).await,
        "interchangeTablesEmpty" => interchange::tables_empty(ex, ctx).await,
        other => Err(Error::invariant(format!("unknown operation \"{other}\""))),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(args: &str) -> Result<T> {
    serde_json::from_str(args)
        .map_err(|e| Error::validation(format!("Malformed operation arguments: {e}"), json!({})))
}

/// A write's or read's instant, held to upstream's contract: canonical fixed-width UTC
/// (`YYYY-MM-DDTHH:mm:ss.sssZ`), so stored bounds compare chronologically as text.
pub fn strict_instant(raw: &str, field: &str) -> Result<String> {
    match crate::util::canonical_instant(raw) {
        Some(c) if c == raw => Ok(c),
        _ => Err(Error::validation(
            format!("Invalid canonical ISO 8601 datetime for \"{field}\": \"{raw}\". Expected fixed-width UTC: YYYY-MM-DDTHH:mm:ss.sssZ"),
            json!({ "issues": [{ "path": field, "message": format!("Expected canonical UTC ISO 8601 (YYYY-MM-DDTHH:mm:ss.sssZ), got: \"{raw}\"") }] }),
        )),
    }
}

/// Validity window checks shared by node and edge writes: canonical instants, `validTo >= validFrom`.
pub fn validity_window(
    valid_from: Option<&str>,
    valid_to: Option<&str>,
    now: &str,
) -> Result<(Option<String>, Option<String>)> {
    let canon = |v: Option<&str>, field: &str| -> Result<Option<String>> {
        match v {
            None => Ok(None),
            // Stored bounds are compared as text: only the fixed-width UTC form is accepted.
            Some(s) => crate::util::canonical_instant(s)
                .filter(|c| c == s)
                .map(Some)
                .ok_or_else(|| {
                    Error::validation(
                        format!("Invalid canonical ISO 8601 datetime for \"{field}\": {s:?} (expected fixed-width UTC like 2024-01-15T10:30:00.000Z)"),
                        json!({ "issues": [{ "path": field, "message": "Expected a fixed-width UTC ISO-8601 instant (YYYY-MM-DDTHH:mm:ss.sssZ)" }] }),
                    )
                }),
        }
    };
    let vf = canon(valid_from, "validFrom")?;
    let vt = canon(valid_to, "validTo")?;
    // "Born already ended": only a validTo at or before now leaves the lower bound open.
    let from = match (&vf, &vt) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(t)) if t.as_str() <= now => None,
        _ => Some(now.to_string()),
    };
    if let (Some(f), Some(t)) = (&from, &vt) {
        if t < f {
            return Err(inverted_window(f, t));
        }
    }
    Ok((from, vt))
}

fn inverted_window(from: &str, to: &str) -> Error {
    Error::validation(
        format!("Inverted validity window: validTo {to} is earlier than validFrom {from}"),
        json!({ "issues": [{ "path": "validTo", "message": "validTo must not be earlier than validFrom", "code": "INVERTED_VALIDITY_WINDOW" }] }),
    )
}

/// Whether a write states anything about a row's window (without building a [`WindowUpdate`]).
pub fn window_stated(valid_from: &Option<String>, valid_to: &Option<String>, clear: bool) -> bool {
    valid_from.is_some() || valid_to.is_some() || clear
}

/// What an in-place update of a live row asks of its validity window.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowUpdate {
    /// A lower bound the caller states: the live row must already hold it (it is history),
    /// unless `preserve_valid_from` says it only applies to creates and resurrections.
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub preserve_valid_from: bool,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub clear_valid_to: bool,
}

impl WindowUpdate {
    /// Anything beyond "keep the stored window".
    pub fn is_set(&self) -> bool {
        window_stated(&self.valid_from, &self.valid_to, self.clear_valid_to)
    }

    /// The `valid_to` a live row keeps after this update; `stored_*` are its current bounds.
    /// A stated `validFrom` other than the stored one is refused (IMMUTABLE_VALIDITY_LOWER_BOUND)
    /// unless preserved; a `validTo` before the kept lower bound is an inverted window.
    pub fn live_valid_to(
        &self,
        stored_from: Option<&str>,
        stored_to: Option<&str>,
        now: &str,
    ) -> Result<Option<String>> {
        if self.valid_to.is_some() && self.clear_valid_to {
            return Err(Error::validation(
                "validTo and clearValidTo cannot be combined",
                json!({ "issues": [{ "path": "clearValidTo", "message": "validTo and clearValidTo cannot be combined" }] }),
            ));
        }
        if let Some(stated) = &self.valid_from {
            let (stated, _) = validity_window(Some(stated), None, now)?;
            let stated = stated.unwrap_or_default();
            let stored = stored_from.and_then(crate::util::canonical_instant);
            if !self.preserve_valid_from && stored.as_deref() != Some(stated.as_str()) {
                let held = stored.unwrap_or_else(|| "no lower bound".into());
                return Err(Error::validation(
                    format!(
                        "Unappliable validFrom {stated}: the live row's lower bound is {held}; omit validFrom or restate the stored bound"
                    ),
                    json!({ "issues": [{ "path": "validFrom", "message": format!("The live row holds validFrom {held}"), "code": "IMMUTABLE_VALIDITY_LOWER_BOUND" }] }),
                ));
            }
        }
        if self.clear_valid_to {
            return Ok(None);
        }
        match &self.valid_to {
            Some(t) => Ok(validity_window(stored_from, Some(t), now)?.1),
            None => Ok(stored_to.map(String::from)),
        }
    }

    /// The window a resurrected row gets: a stated `validFrom` asserts the complete window
    /// (an omitted `validTo` reopens it); otherwise the stored lower bound stays and only the
    /// end follows `validTo` / `clearValidTo`.
    pub fn revived_window(
        &self,
        stored_from: Option<&str>,
        stored_to: Option<&str>,
        now: &str,
    ) -> Result<(Option<String>, Option<String>)> {
        if self.valid_from.is_some() {
            return validity_window(self.valid_from.as_deref(), self.valid_to.as_deref(), now);
        }
        let to = if self.clear_valid_to {
            None
        } else if let Some(t) = &self.valid_to {
            validity_window(stored_from, Some(t), now)?.1
        } else {
            stored_to.map(String::from)
        };
        Ok((stored_from.map(String::from), to))
    }
}

#[cfg(test)]
mod window_tests {
    use super::WindowUpdate;

    const NOW: &str = "2030-01-01T00:00:00.000Z";
    const HELD: &str = "2010-05-01T00:00:00.000Z";

    fn code(e: &crate::error::Error) -> String {
        e.details["issues"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    #[test]
    fn live_rows_keep_their_lower_bound() {
        let keep = WindowUpdate::default();
        assert_eq!(
            keep.live_valid_to(Some(HELD), Some(NOW), NOW)
                .unwrap()
                .as_deref(),
            Some(NOW)
        );
        let restate = WindowUpdate {
            valid_from: Some(HELD.into()),
            ..Default::default()
        };
        assert_eq!(restate.live_valid_to(Some(HELD), None, NOW).unwrap(), None);
        let other = WindowUpdate {
            valid_from: Some("2012-01-01T00:00:00.000Z".into()),
            ..Default::default()
        };
        let e = other.live_valid_to(Some(HELD), None, NOW).unwrap_err();
        assert_eq!(code(&e), "IMMUTABLE_VALIDITY_LOWER_BOUND");
        let preserved = WindowUpdate {
            preserve_valid_from: true,
            valid_to: Some("2011-01-01T00:00:00.000Z".into()),
            ..other.clone()
        };
        assert_eq!(
            preserved
                .live_valid_to(Some(HELD), None, NOW)
                .unwrap()
                .as_deref(),
            Some("2011-01-01T00:00:00.000Z")
        );
        let inverted = WindowUpdate {
            valid_to: Some("2009-01-01T00:00:00.000Z".into()),
            ..preserved
        };
        assert_eq!(
            code(&inverted.live_valid_to(Some(HELD), None, NOW).unwrap_err()),
            "INVERTED_VALIDITY_WINDOW"
        );
        let clear = WindowUpdate {
            clear_valid_to: true,
            ..Default::default()
        };
        assert_eq!(
            clear.live_valid_to(Some(HELD), Some(NOW), NOW).unwrap(),
            None
        );
        let both = WindowUpdate {
            clear_valid_to: true,
            valid_to: Some(NOW.into()),
            ..Default::default()
        };
        assert!(both.live_valid_to(Some(HELD), None, NOW).is_err());
        let loose = WindowUpdate {
            valid_from: Some("2010-05-01T00:00:00Z".into()),
            ..Default::default()
        };
        assert!(loose
            .live_valid_to(Some(HELD), None, NOW)
            .unwrap_err()
            .message
            .contains("Invalid canonical ISO 8601 datetime"));
    }

    #[test]
    fn resurrection_windows() {
        let stated = WindowUpdate {
            valid_from: Some("2020-01-01T00:00:00.000Z".into()),
            ..Default::default()
        };
        assert_eq!(
            stated
                .revived_window(Some(HELD), Some("2015-01-01T00:00:00.000Z"), NOW)
                .unwrap(),
            (Some("2020-01-01T00:00:00.000Z".into()), None)
        );
        let none = WindowUpdate::default();
        assert_eq!(
            none.revived_window(Some(HELD), Some(NOW), NOW).unwrap(),
            (Some(HELD.into()), Some(NOW.into()))
        );
        let clear = WindowUpdate {
            clear_valid_to: true,
            ..Default::default()
        };
        assert_eq!(
            clear.revived_window(Some(HELD), Some(NOW), NOW).unwrap(),
            (Some(HELD.into()), None)
        );
    }
}
