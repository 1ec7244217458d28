//! Contribution health (`store.verifyContributions()` / `probeContributions()` /
//! `repairContributions()` / `rebuildContribution()` and the backend's marker members):
//! the search side tables a graph declares (the shared fulltext table, one vector table per
//! `(kind, embedding field)`) crossed against their rows in the
//! `typegraph_contribution_materializations` marker table and against the catalog.
//!
//! One operation, `contributions`, dispatched on `action`:
//! - `verify`: one diagnosis per declared contribution that is not healthy;
//! - `probe`: the same pass folded into one ready / degraded entry per projection;
//! - `repair`: re-runs the idempotent DDL and re-stamps the marker of `missing-marker` and
//!   `failed-materialization` findings, reports `stale` / `orphaned-marker` as
//!   `requires-rebuild`, then diagnoses again;
//! - `rebuild`: the fulltext table's destructive rebuild for this graph in one transaction;
//! - `getMarker` / `recordMarker` / `deleteMarker`: the marker rows in upstream's port shapes.

use super::Ctx;
use crate::dialect::{quote_ident, Dialect};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::search::{self, EmbeddingField};
use crate::util::now_iso;
use crate::value::Value;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;

/// One side table a graph declares, with what its marker identity and drift signature hash.
#[derive(Clone, Debug)]
pub struct Contribution {
    pub logical_name: String,
    pub owner: &'static str,
    pub table_name: String,
    pub create_ddl: Vec<String>,
    /// Present where the content can be rebuilt from the nodes (fulltext only).
    pub drop_ddl: Option<Vec<String>>,
    /// `fulltext` or `vector`.
    pub projection: &'static str,
    /// The vector slot's coordinates.
    pub slot: Option<(String, String)>,
}

impl Contribution {
    pub fn signature(&self, d: Dialect) -> String {
        search::contribution_signature(
            d,
            self.owner,
            &self.logical_name,
            &self.table_name,
            &self.create_ddl,
        )
    }

    /// Upstream's `StrategyTableContribution` shape.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("logicalName".into(), json!(self.logical_name));
        m.insert("owner".into(), json!(self.owner));
        m.insert("tableName".into(), json!(self.table_name));
        m.insert("createDdl".into(), json!(self.create_ddl));
        if let Some(drop) = &self.drop_ddl {
            m.insert("dropDdl".into(), json!(drop));
        }
        m.insert("runtimeEnsure".into(), json!(true));
        Json::Object(m)
    }
}

/// The fulltext contribution over the table named `table` (unquoted).
pub fn fulltext_contribution(d: Dialect, table: &str) -> Contribution {
    Contribution {
        logical_name: "fulltext".into(),
        owner: match d {
            Dialect::Sqlite => "fts5",
            Dialect::Postgres => "tsvector",
        },
        table_name: table.to_string(),
        create_ddl: search::fulltext_ddl(d, table),
        drop_ddl: Some(vec![format!(
            "DROP TABLE IF EXISTS {};",
            quote_ident(table)
        )]),
        projection: "fulltext",
        slot: None,
    }
}

/// The vector contribution of one `(graph, kind, embedding field)` slot.
pub fn vector_contribution(
    d: Dialect,
    graph: &str,
    kind: &str,
    f: &EmbeddingField,
) -> Result<Contribution> {
    let table = search::vector_table(graph, kind, &f.field);
    Ok(Contribution {
        logical_name: format!("vector:{kind}.{}", f.field),
        owner: match d {
            Dialect::Sqlite => "sqlite-vec",
            Dialect::Postgres => "pgvector",
        },
        create_ddl: vec![search::vector_ddl(d, &table, f)?],
        table_name: table,
        drop_ddl: None,
        projection: "vector",
        slot: Some((kind.to_string(), f.field.clone())),
    })
}

/// Every contribution this graph declares: the fulltext table first, then its vector slots.
pub fn declared(d: Dialect, ctx: &Ctx<'_>) -> Result<Vec<Contribution>> {
    let mut out = vec![fulltext_contribution(
        d,
        &ctx.tables.physical("fulltext", "typegraph_node_fulltext"),
    )];
    for (kind, spec) in &ctx.graph.spec.nodes {
        for f in &spec.embeddings {
            out.push(vector_contribution(d, ctx.graph.id(), kind, f)?);
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SlotSpec {
    graph_id: String,
    node_kind: String,
    field_path: String,
    #[serde(default)]
    dimensions: Option<usize>,
    #[serde(default)]
    metric: Option<search::Metric>,
    #[serde(default)]
    index_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Describe {
    #[serde(default)]
    fulltext: Option<String>,
    #[serde(default)]
    vector: Option<SlotSpec>,
}

/// Contribution descriptions without a connection (the backend's `fulltextStrategy` /
/// `vectorStrategy` members): `{"fulltext": table}` or `{"vector": slot}` → the contributions,
/// `{"vector": slot}` without `dimensions` → the slot's table name.
pub fn describe(d: Dialect, request: &str) -> Result<String> {
    let r: Describe = serde_json::from_str(request)?;
    if let Some(table) = r.fulltext {
        return Ok(json!([fulltext_contribution(d, &table).to_json()]).to_string());
    }
    let Some(slot) = r.vector else {
        return Err(Error::validation(
            "Expected a fulltext table name or a vector slot",
            json!({}),
        ));
    };
    let Some(dimensions) = slot.dimensions else {
        return Ok(json!(search::vector_table(
            &slot.graph_id,
            &slot.node_kind,
            &slot.field_path
        ))
        .to_string());
    };
    let f = EmbeddingField {
        field: slot.field_path.clone(),
        dimensions,
        metric: slot.metric.unwrap_or_default(),
        index_type: slot.index_type.unwrap_or_else(|| "hnsw".into()),
        m: None,
        ef_construction: None,
        lists: None,
    };
    let c = vector_contribution(d, &slot.graph_id, &slot.node_kind, &f)?;
    Ok(json!([c.to_json()]).to_string())
}

/// A searchable write or fulltext search that failed because the fulltext table is gone
/// becomes `CONTRIBUTION_UNAVAILABLE` (the driver error kept as its cause).
pub fn gate_fulltext(ctx: &Ctx<'_>, e: Error) -> Error {
    if e.code != Code::DatabaseOperation {
        return e;
    }
    let table = ctx.tables.physical("fulltext", "typegraph_node_fulltext");
    let missing = e.cause.as_deref().is_some_and(|c| {
        c.contains(&table) && (c.contains("no such table") || c.contains("does not exist"))
    });
    if !missing {
        return e;
    }
    let g = ctx.graph.id();
    Error {
        code: Code::ContributionUnavailable,
        message: format!(
            "The fulltext table \"{table}\" of graph \"{g}\" is missing from the database"
        ),
        details: json!({ "graphId": g, "logicalName": "fulltext", "physicalName": table,
                         "state": "physical-storage-missing" }),
        cause: e.cause,
    }
}

fn marker_table(ctx: &Ctx<'_>) -> String {
    quote_ident(&ctx.tables.physical(
        "contributionMaterializations",
        "typegraph_contribution_materializations",
    ))
}

/// One marker row as stored.
#[derive(Clone, Debug)]
struct Marker {
    logical_name: String,
    owner: String,
    table_name: String,
    signature: String,
    materialized_at: Option<String>,
    last_attempted_at: Option<String>,
    last_error: Option<String>,
}

impl Marker {
    fn to_json(&self, graph: &str) -> Json {
        let mut m = Map::new();
        m.insert("graphId".into(), json!(graph));
        m.insert("logicalName".into(), json!(self.logical_name));
        m.insert("owner".into(), json!(self.owner));
        m.insert("tableName".into(), json!(self.table_name));
        m.insert("signature".into(), json!(self.signature));
        if let Some(t) = &self.materialized_at {
            m.insert("materializedAt".into(), json!(t));
        }
        m.insert(
            "lastAttemptedAt".into(),
            json!(self.last_attempted_at.clone().unwrap_or_default()),
        );
        if let Some(e) = &self.last_error {
            m.insert("lastError".into(), json!(e));
        }
        Json::Object(m)
    }
}

async fn marker_table_exists<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<bool> {
    table_exists(
        ex,
        &ctx.tables.physical(
            "contributionMaterializations",
            "typegraph_contribution_materializations",
        ),
    )
    .await
}

/// The graph's marker rows keyed by `(logical_name, owner, table_name)`; none when the marker
/// table was never created.
async fn markers<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
) -> Result<HashMap<(String, String, String), Marker>> {
    if !marker_table_exists(ex, ctx).await? {
        return Ok(HashMap::new());
    }
    let d = ex.dialect();
    let rows = ex
        .query(
            &d.finish(format!(
                "SELECT logical_name, owner, table_name, signature, materialized_at, last_attempted_at, last_error FROM {} WHERE graph_id = ?",
                marker_table(ctx)
            )),
            &[Value::text(ctx.graph.id())],
        )
        .await?;
    let s = |r: &Vec<Value>, i: usize| r.get(i).and_then(Value::as_str).map(String::from);
    Ok(rows
        .iter()
        .map(|r| {
            let m = Marker {
                logical_name: s(r, 0).unwrap_or_default(),
                owner: s(r, 1).unwrap_or_default(),
                table_name: s(r, 2).unwrap_or_default(),
                signature: s(r, 3).unwrap_or_default(),
                materialized_at: s(r, 4),
                last_attempted_at: s(r, 5),
                last_error: s(r, 6),
            };
            (
                (
                    m.logical_name.clone(),
                    m.owner.clone(),
                    m.table_name.clone(),
                ),
                m,
            )
        })
        .collect())
}

/// Whether a table by this (unquoted) name is visible to the connection.
pub async fn table_exists<E: Executor>(ex: &mut E, name: &str) -> Result<bool> {
    let sql = match ex.dialect() {
        Dialect::Sqlite => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
        Dialect::Postgres => "SELECT 1 FROM pg_catalog.pg_class c WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND pg_catalog.pg_table_is_visible(c.oid)",
    };
    Ok(!ex.query(sql, &[Value::text(name)]).await?.is_empty())
}

/// The verdict for one contribution: `None` when healthy or never attempted.
fn classify(marker: Option<&Marker>, signature: &str, exists: bool) -> Option<&'static str> {
    let attested = |m: &Marker| m.materialized_at.is_some();
    if !exists {
        return match marker {
            None => None,
            Some(m) if attested(m) => Some("orphaned-marker"),
            Some(m) if m.last_error.is_some() => Some("failed-materialization"),
            Some(_) => None,
        };
    }
    match marker {
        // A success at another signature: the table has an older shape, even when a later
        // attempt recorded an error (re-stamping it would bless the old shape).
        Some(m) if attested(m) && m.signature != signature => Some("stale"),
        Some(m) if attested(m) && m.last_error.is_none() => None,
        _ => Some("missing-marker"),
    }
}

/// One unhealthy contribution.
struct Finding {
    contribution: Contribution,
    state: &'static str,
    last_error: Option<String>,
}

impl Finding {
    fn diagnostic(&self) -> Json {
        let c = &self.contribution;
        let mut m = Map::new();
        m.insert("owner".into(), json!(c.owner));
        m.insert("logicalName".into(), json!(c.logical_name));
        m.insert("physicalName".into(), json!(c.table_name));
        if let Some((kind, field)) = &c.slot {
            m.insert("kind".into(), json!(kind));
            m.insert("fieldPath".into(), json!(field));
        }
        m.insert("state".into(), json!(self.state));
        if let Some(e) = &self.last_error {
            m.insert("lastError".into(), json!(e));
        }
        Json::Object(m)
    }

    fn probe_detail(&self) -> String {
        let subject = match &self.contribution.slot {
            Some((kind, field)) => format!("{kind}.{field}"),
            None => format!("table \"{}\"", self.contribution.table_name),
        };
        let phrase = match self.state {
            "orphaned-marker" => "the table is gone",
            "missing-marker" => "no durable marker attests the table",
            "failed-materialization" => "provisioning failed and left no table",
            _ => "the table was created with another shape than declared now",
        };
        format!("{subject}: {phrase} ({})", self.state)
    }
}

/// The detection pass every action shares: markers read once, one catalog probe per table.
async fn diagnose<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    declared: &[Contribution],
) -> Result<Vec<Finding>> {
    let d = ex.dialect();
    let rows = markers(ex, ctx).await?;
    let mut exists: HashMap<String, bool> = HashMap::new();
    let mut out = Vec::new();
    for c in declared {
        let present = match exists.get(&c.table_name) {
            Some(b) => *b,
            None => {
                let b = table_exists(ex, &c.table_name).await?;
                exists.insert(c.table_name.clone(), b);
                b
            }
        };
        let marker = rows.get(&(
            c.logical_name.clone(),
            c.owner.to_string(),
            c.table_name.clone(),
        ));
        if let Some(state) = classify(marker, &c.signature(d), present) {
            out.push(Finding {
                contribution: c.clone(),
                state,
                last_error: marker.and_then(|m| m.last_error.clone()),
            });
        }
    }
    Ok(out)
}

/// Writes a marker row outright (the stamp of a successful materialization).
async fn stamp<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, c: &Contribution) -> Result<()> {
    let d = ex.dialect();
    let now = now_iso();
    ex.execute(
        &d.finish(format!(
            "INSERT INTO {} (graph_id, logical_name, owner, table_name, signature, materialized_at, last_attempted_at, last_error) \
             VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (graph_id, logical_name, owner, table_name) DO UPDATE SET \
             signature = excluded.signature, materialized_at = excluded.materialized_at, \
             last_attempted_at = excluded.last_attempted_at, last_error = NULL",
            marker_table(ctx)
        )),
        &[
            Value::text(ctx.graph.id()),
            Value::text(&c.logical_name),
            Value::text(c.owner),
            Value::text(&c.table_name),
            Value::text(c.signature(d)),
            Value::Ts(Some(now.clone())),
            Value::Ts(Some(now)),
        ],
    )
    .await?;
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MarkerArgs {
    logical_name: String,
    owner: String,
    table_name: String,
    #[serde(default)]
    signature: Option<String>,
    #[serde(default)]
    attempted_at: Option<String>,
    #[serde(default)]
    materialized_at: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    action: String,
    #[serde(default)]
    scope: Option<String>,
    /// `rebuild`: refill the table from the nodes (false when the caller refills).
    #[serde(default)]
    refill: Option<bool>,
    #[serde(default)]
    page_size: Option<i64>,
    #[serde(default)]
    marker: Option<MarkerArgs>,
}

pub async fn run<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: Args) -> Result<String> {
    let d = ex.dialect();
    match a.action.as_str() {
        "verify" => {
            let found = diagnose(ex, ctx, &declared(d, ctx)?).await?;
            Ok(Json::Array(found.iter().map(Finding::diagnostic).collect()).to_string())
        }
        "probe" => {
            let all = declared(d, ctx)?;
            let found = diagnose(ex, ctx, &all).await?;
            let mut entries = Vec::new();
            for projection in ["fulltext", "vector"] {
                if !all.iter().any(|c| c.projection == projection) {
                    continue;
                }
                let problems: Vec<String> = found
                    .iter()
                    .filter(|f| f.contribution.projection == projection)
                    .map(Finding::probe_detail)
                    .collect();
                entries.push(if problems.is_empty() {
                    json!({ "contribution": projection, "state": "ready" })
                } else {
                    json!({ "contribution": projection, "state": "degraded", "detail": problems.join("; ") })
                });
            }
            Ok(json!({ "entries": entries }).to_string())
        }
        "repair" => repair(ex, ctx).await,
        "rebuild" => rebuild(ex, ctx, &a).await,
        "getMarker" => {
            let m = a.marker.unwrap_or_default();
            let rows = markers(ex, ctx).await?;
            Ok(match rows.get(&(m.logical_name, m.owner, m.table_name)) {
                Some(row) => row.to_json(ctx.graph.id()).to_string(),
                None => "null".into(),
            })
        }
        "recordMarker" => {
            let m = a.marker.unwrap_or_default();
            // As upstream: a record without `materializedAt` keeps an earlier success's instant.
            let materialized = if m.materialized_at.is_some() {
                "excluded.materialized_at"
            } else {
                "COALESCE(excluded.materialized_at, t.materialized_at)"
            };
            let attempted = m.attempted_at.clone().unwrap_or_else(now_iso);
            ex.execute(
                &d.finish(format!(
                    "INSERT INTO {} AS t (graph_id, logical_name, owner, table_name, signature, materialized_at, last_attempted_at, last_error) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (graph_id, logical_name, owner, table_name) DO UPDATE SET \
                     signature = excluded.signature, materialized_at = {materialized}, \
                     last_attempted_at = excluded.last_attempted_at, last_error = excluded.last_error",
                    marker_table(ctx)
                )),
                &[
                    Value::text(ctx.graph.id()),
                    Value::text(&m.logical_name),
                    Value::text(&m.owner),
                    Value::text(&m.table_name),
                    Value::text(m.signature.clone().unwrap_or_default()),
                    Value::Ts(m.materialized_at.clone()),
                    Value::Ts(Some(attempted)),
                    Value::opt_text(m.error.as_deref()),
                ],
            )
            .await?;
            Ok("null".into())
        }
        "deleteMarker" => {
            let m = a.marker.unwrap_or_default();
            ex.execute(
                &d.finish(format!(
                    "DELETE FROM {} WHERE graph_id = ? AND logical_name = ? AND owner = ? AND table_name = ?",
                    marker_table(ctx)
                )),
                &[
                    Value::text(ctx.graph.id()),
                    Value::text(&m.logical_name),
                    Value::text(&m.owner),
                    Value::text(&m.table_name),
                ],
            )
            .await?;
            Ok("null".into())
        }
        other => Err(Error::validation(
            format!("Unknown contributions action \"{other}\""),
            json!({}),
        )),
    }
}

/// `repairContributions()`: bookkeeping and idempotent DDL only; a finding it cannot settle
/// without dropping storage is `requires-rebuild`.
async fn repair<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<String> {
    let d = ex.dialect();
    let all = declared(d, ctx)?;
    let found = diagnose(ex, ctx, &all).await?;
    let mut results = Vec::new();
    for f in &found {
        let diagnostic = f.diagnostic();
        if matches!(f.state, "stale" | "orphaned-marker") {
            results.push(json!({ "diagnostic": diagnostic, "status": "requires-rebuild" }));
            continue;
        }
        let c = &f.contribution;
        let outcome: Result<()> = crate::atomic!(ex, {
            for stmt in &c.create_ddl {
                ex.batch(stmt).await?;
            }
            stamp(ex, ctx, c).await
        });
        match outcome {
            Ok(()) => results.push(json!({ "diagnostic": diagnostic, "status": "repaired" })),
            Err(e) => results.push(json!({ "diagnostic": diagnostic, "status": "failed",
                                           "error": e.cause.clone().unwrap_or(e.message) })),
        }
    }
    let remaining = diagnose(ex, ctx, &all).await?;
    Ok(json!({
        "results": results,
        "remaining": remaining.iter().map(Finding::diagnostic).collect::<Vec<_>>(),
    })
    .to_string())
}

fn refusal(reason: &str, message: String, details: Json) -> Error {
    let mut details = details;
    if let Json::Object(m) = &mut details {
        m.insert("reason".into(), json!(reason));
    }
    Error::new(Code::ContributionRebuildUnsupported, message, details)
}

/// `rebuildContribution("fulltext")`: in one transaction, empties this graph's rows of the
/// fulltext table (drops and recreates the table when no other graph has rows in it), refills
/// them from the graph's nodes and stamps the marker at the current signature. A `stale` table
/// that still holds other graphs' rows is refused before anything changes.
async fn rebuild<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: &Args) -> Result<String> {
    let d = ex.dialect();
    let g = ctx.graph.id().to_string();
    match a.scope.as_deref() {
        Some("fulltext") => {}
        Some("vector") => {
            return Err(refusal(
                "vector-source-unavailable",
                "Vector storage cannot be rebuilt: TypeGraph keeps no source the embeddings could be regenerated from".into(),
                json!({ "graphId": g, "scope": "vector" }),
            ))
        }
        other => {
            return Err(Error::validation(
                format!(
                    "rebuildContribution() takes \"fulltext\" or \"vector\", got {}",
                    other.map(|s| format!("\"{s}\"")).unwrap_or("nothing".into())
                ),
                json!({ "issues": [{ "path": "scope", "message": "Expected \"fulltext\" or \"vector\"" }] }),
            ))
        }
    }
    let c = fulltext_contribution(
        d,
        &ctx.tables.physical("fulltext", "typegraph_node_fulltext"),
    );
    let table = c.table_name.clone();
    let quoted = quote_ident(&table);
    let refill = a.refill.unwrap_or(true);
    let page_size = a.page_size;
    let out: Result<Json> = crate::atomic!(ex, {
        if d == Dialect::Postgres {
            // Rebuilds of any graph exclude each other: the storage is database-global.
            ex.execute(
                "SELECT pg_advisory_xact_lock(hashtext('typegraph:contribution-ddl'))",
                &[],
            )
            .await?;
        }
        let stale = diagnose(ex, ctx, std::slice::from_ref(&c))
            .await?
            .iter()
            .any(|f| f.state == "stale");
        let mut present = table_exists(ex, &table).await?;
        if present {
            if d == Dialect::Postgres {
                // Decide on a drop only under a lock no neighbour's insert can slip past.
                ex.batch(&format!("LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE"))
                    .await?;
            }
            let others = ex
                .query(
                    &d.finish(format!(
                        "SELECT DISTINCT graph_id FROM {quoted} WHERE graph_id <> ? ORDER BY graph_id LIMIT 100"
                    )),
                    &[Value::text(&g)],
                )
                .await?;
            let others: Vec<String> = others
                .iter()
                .filter_map(|r| r.first().and_then(Value::as_str).map(String::from))
                .collect();
            if others.is_empty() {
                for stmt in c.drop_ddl.as_deref().unwrap_or_default() {
                    ex.batch(stmt).await?;
                }
                present = false;
            } else if stale {
                return Err(refusal(
                    "shared-storage-in-use",
                    format!("The fulltext table \"{table}\" was created with another shape and still holds other graphs' rows; recreating it would destroy them"),
                    json!({ "graphId": g, "physicalName": table, "otherGraphIds": others }),
                ));
            } else {
                ex.execute(
                    &d.finish(format!("DELETE FROM {quoted} WHERE graph_id = ?")),
                    &[Value::text(&g)],
                )
                .await?;
            }
        }
        if !present {
            for stmt in &c.create_ddl {
                ex.batch(stmt).await?;
            }
        }
        let mut stats = json!({ "processed": 0, "repopulated": 0, "skipped": 0 });
        if refill {
            let done = crate::search::facade::rebuild_fulltext(
                ex,
                ctx,
                crate::search::facade::RebuildArgs {
                    kind: None,
                    page_size,
                    max_skipped_ids: Some(0),
                },
            )
            .await?;
            let done: Json = serde_json::from_str(&done)?;
            stats = json!({
                "processed": done["processed"], "repopulated": done["upserted"], "skipped": done["skipped"],
            });
        }
        stamp(ex, ctx, &c).await?;
        Ok::<Json, Error>(stats)
    });
    let mut stats = out?;
    stats["rebuilt"] = json!([table]);
    Ok(stats.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(sig: &str, at: Option<&str>, err: Option<&str>) -> Marker {
        Marker {
            logical_name: "fulltext".into(),
            owner: "fts5".into(),
            table_name: "t".into(),
            signature: sig.into(),
            materialized_at: at.map(String::from),
            last_attempted_at: Some("2020-01-01T00:00:00.000Z".into()),
            last_error: err.map(String::from),
        }
    }

    #[test]
    fn verdicts_follow_marker_and_catalog() {
        let ok = marker("s", Some("x"), None);
        assert_eq!(classify(Some(&ok), "s", true), None);
        assert_eq!(classify(Some(&ok), "s", false), Some("orphaned-marker"));
        assert_eq!(classify(Some(&ok), "other", true), Some("stale"));
        assert_eq!(classify(None, "s", true), Some("missing-marker"));
        assert_eq!(classify(None, "s", false), None);
        let failed = marker("s", None, Some("boom"));
        assert_eq!(
            classify(Some(&failed), "s", false),
            Some("failed-materialization")
        );
        assert_eq!(classify(Some(&failed), "s", true), Some("missing-marker"));
        let failed_after_success = marker("other", Some("x"), Some("boom"));
        assert_eq!(
            classify(Some(&failed_after_success), "s", true),
            Some("stale")
        );
    }
}
