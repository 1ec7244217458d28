//! Operations, written once over [`Executor`] and dispatched by name from the
//! binding: JSON arguments in, JSON text out, one crossing per call.

pub mod bulk;
pub mod claims;
pub mod edge_sets;
pub mod edges;
pub mod evolve;
pub mod find_index;
pub mod indexes;
pub mod load;
pub mod nodes;
pub mod rows;
pub mod schema;
pub mod uniques;
pub mod uniques_batch;

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
            Error::validation("temporalMode \"asOf\" requires an asOf instant", json!({}))
        })?;
        crate::util::canonical_instant(raw).ok_or_else(|| {
            Error::validation(
                format!("Invalid asOf instant: {raw}"),
                json!({ "asOf": raw }),
            )
        })
    }

    /// The same filter applied to one fetched row (deleted_at, valid_from, valid_to).
    pub fn admits(
        &self,
        deleted_at: Option<&str>,
        valid_from: Option<&str>,
        valid_to: Option<&str>,
        now: &str,
    ) -> Result<bool> {
        match self.temporal_mode.as_deref().unwrap_or("current") {
            "includeTombstones" => Ok(true),
            "includeEnded" => Ok(deleted_at.is_none()),
            mode @ ("current" | "asOf") => {
                let at = if mode == "asOf" {
                    self.instant()?
                } else {
                    now.to_string()
                };
                Ok(deleted_at.is_none()
                    && valid_from.is_none_or(|f| f <= at.as_str())
                    && valid_to.is_none_or(|t| t > at.as_str()))
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
temporal_args!(nodes::IdArgs, nodes::IdsArgs, nodes::FindArgs, edges::IdArgs, edges::IdsArgs, edges::FindArgs, edges::BetweenArgs);

/// Runs the named operation with JSON arguments; returns JSON text. Writes of a
/// store registered with a schema version run behind the schema fence.
pub async fn dispatch<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    op: &str,
    args: &str,
) -> Result<String> {
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
        "searchFulltext" => crate::search::facade::fulltext(ex, ctx, parse(args)?).await,
        "searchVector" => crate::search::facade::vector(ex, ctx, parse(args)?).await,
        "searchHybrid" => crate::search::facade::hybrid(ex, ctx, parse(args)?).await,
        "rebuildFulltext" => crate::search::facade::rebuild_fulltext(ex, ctx, parse(args)?).await,
        "provisionSearch" => crate::search::provision(ex, ctx).await,
        "getActiveSchema" => schema::get_active(ex, ctx.tables, ctx.graph.id()).await,
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
        other => Err(Error::invariant(format!("unknown operation \"{other}\""))),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(args: &str) -> Result<T> {
    serde_json::from_str(args)
        .map_err(|e| Error::validation(format!("Malformed operation arguments: {e}"), json!({})))
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
            Some(s) => crate::util::canonical_instant(s).map(Some).ok_or_else(|| {
                Error::validation(
                    format!("Invalid {field}: expected an ISO-8601 instant"),
                    json!({ "issues": [{ "path": field, "message": "Invalid ISO-8601 instant" }] }),
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
            return Err(Error::validation(
                "validTo must not be earlier than validFrom",
                json!({ "issues": [{ "path": "validTo", "message": "validTo must not be earlier than validFrom", "code": "INVERTED_VALIDITY_WINDOW" }] }),
            ));
        }
    }
    Ok((from, vt))
}
