//! `bulkUpsertById` of edges as one call from the binding, the edge counterpart of
//! [`super::upsert_with`]: inside one transaction the engine reads the stored rows of the
//! batch's ids (any kind, tombstones included; on PostgreSQL `FOR UPDATE` in id order), hands
//! the rows of this kind to the caller's merge-and-validate step (called back once), and writes
//! the items it returns through [`super::bulk::upsert_edges_known`]: creates first (endpoints,
//! cardinality and ids checked in batch), then updates and resurrections. The rows written are
//! rendered from the rows read and the values bound, not read back.

use super::bulk::{stored_edges, upsert_edges_known, EdgeItem, EdgeOutcome};
use super::edges::NodeRef;
use super::rows::{push_row, EDGE_PROPS};
use super::upsert_with::UpsertWithArgs;
use super::{evolve, Ctx};
use crate::atomic;
use crate::dialect::{Dialect, EDGE_COLS};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::util::now_iso;
use crate::value::{Row, Value};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::future::Future;

/// Start ids per lookup statement.
const LOOKUP_CHUNK: usize = 5000;

/// What the caller's step returns: the items to write (a subset of the ids, each at most once;
/// an item left out is one the caller coalesced).
#[derive(Deserialize)]
struct Merged {
    items: Vec<EdgeItem>,
}

/// Runs an edge `bulkUpsertById` for `a` with items from `merge`; fenced like a dispatched write.
///
/// `merge` gets the stored rows of `a.ids` (JSON array aligned with the ids, rows as `getEdges`
/// renders them, `null` for an id not stored under this kind) and returns the merged,
/// validated items. An `Err` aborts the call; nothing is written.
pub(crate) async fn upsert_edges_with<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    ctx.graph.edge(&a.kind)?;
    match ctx.graph.schema_version() {
        Some(v) => {
            let mut fenced = evolve::Fenced::new(ex, ctx.tables, ctx.graph.id(), v);
            run(&mut fenced, ctx, a, merge).await
        }
        None => run(ex, ctx, a, merge).await,
    }
}

async fn run<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    let now = now_iso();
    let postgres = ex.dialect() == Dialect::Postgres;
    atomic!(ex, {
        let stored = stored_edges(ex, ctx, &a.ids, true).await?;
        let mut text = String::with_capacity(a.ids.len() * 200 + 2);
        text.push('[');
        for (i, id) in a.ids.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            match stored.get(id.as_str()) {
                Some(r) if r.get(1).and_then(Value::as_str) == Some(a.kind.as_str()) => {
                    push_row(&mut text, r, EDGE_PROPS)?
                }
                _ => text.push_str("null"),
            }
        }
        text.push(']');
        let reply = merge(text).await?;
        let merged: Merged = serde_json::from_str(&reply).map_err(|e| {
            Error::validation(
                format!("Malformed merge result: {e}"),
                serde_json::json!({}),
            )
        })?;
        // Only ids that were read may be written (each once): their states are known.
        let asked: HashSet<&str> = a.ids.iter().map(String::as_str).collect();
        let mut seen = HashSet::with_capacity(merged.items.len());
        let mut ids = Vec::with_capacity(merged.items.len());
        for it in &merged.items {
            let id = it.id.clone().unwrap_or_default();
            if !asked.contains(id.as_str()) || !seen.insert(id.clone()) {
                return Err(Error::invariant(
                    "merge result names an id it was not given",
                ));
            }
            ids.push(id);
        }
        // Captured (history / revision tracking): only the ids the merge step writes.
        super::recorded::touch_edges(ex, &a.kind, ids.iter().map(|s| s.as_str()));
        let outcomes = upsert_edges_known(ex, ctx, &a.kind, &merged.items, &ids, &stored, &now)
            .await
            .map_err(|e| {
                // PostgreSQL: an id that was free when read and taken at insert was created
                // by a batch racing this one (it waited for that batch's commit): the call is
                // run again, and then merges over that row.
                if postgres && taken_while_running(&e) && e.details.get("index").is_some() {
                    Error::new(
                        Code::StaleVersion,
                        format!(
                            "Edges of {} were created while the upsert was running",
                            a.kind
                        ),
                        serde_json::json!({ "kind": a.kind, "retry": true }),
                    )
                } else {
                    e
                }
            })?;
        if !a.returning {
            return Ok::<_, Error>("null".to_string());
        }
        let text = render_written(
            &a.kind,
            &merged.items,
            &ids,
            &outcomes,
            &stored,
            &now,
            a.props_back,
        )?;
        Ok::<_, Error>(text)
    })
}

/// One endpoint pair of an edge get-or-create.
#[derive(Deserialize)]
pub struct EndpointPair {
    pub from: NodeRef,
    pub to: NodeRef,
}

/// `bulkGetOrCreateByEndpoints` as one call: inside one transaction the engine reads every
/// stored edge of the kind (tombstones included; on PostgreSQL `FOR UPDATE`) between each of
/// `a.pairs`, hands them to the merge step (a JSON array aligned with the pairs, each the
/// pair's edges oldest first), which decides per item (found, update, resurrection, create)
/// and returns the items to write: ids of edges it was given are updated or resurrected, other
/// ids are created. The writes run as [`upsert_edges_with`]'s; the rows written come back.
pub(crate) async fn get_or_create_edges_with<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    ctx.graph.edge(&a.kind)?;
    match ctx.graph.schema_version() {
        Some(v) => {
            let mut fenced = evolve::Fenced::new(ex, ctx.tables, ctx.graph.id(), v);
            run_pairs(&mut fenced, ctx, a, merge).await
        }
        None => run_pairs(ex, ctx, a, merge).await,
    }
}

async fn run_pairs<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    let now = now_iso();
    let postgres = ex.dialect() == Dialect::Postgres;
    atomic!(ex, {
        // The pairs' edges, read by their start (one statement per start kind and chunk) and
        // kept when their end is a pair's.
        let mut starts: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut wanted: HashMap<(&str, &str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, p) in a.pairs.iter().enumerate() {
            starts
                .entry(p.from.kind.as_str())
                .or_default()
                .insert(p.from.id.as_str());
            wanted
                .entry((&p.from.kind, &p.from.id, &p.to.kind, &p.to.id))
                .or_default()
                .push(i);
        }
        let lock = if postgres {
            " ORDER BY id FOR UPDATE"
        } else {
            ""
        };
        let sql = ex.dialect().finish(format!(
            "SELECT {EDGE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND from_kind = ? AND {}{lock}",
            ctx.tables.edges,
            ex.dialect().in_list("from_id")
        ));
        let mut buckets: Vec<Vec<Row>> = (0..a.pairs.len()).map(|_| Vec::new()).collect();
        let mut stored: HashMap<String, Row> = HashMap::new();
        for (kind, ids) in &starts {
            let mut ids: Vec<&str> = ids.iter().copied().collect();
            ids.sort_unstable();
            for chunk in ids.chunks(LOOKUP_CHUNK) {
                let rows = ex
                    .query(
                        &sql,
                        &[
                            Value::text(ctx.graph.id()),
                            Value::text(&a.kind),
                            Value::text(*kind),
                            Value::TextList(chunk.iter().map(|s| s.to_string()).collect()),
                        ],
                    )
                    .await?;
                for r in rows {
                    let col = |k: usize| r.get(k).and_then(Value::as_str).unwrap_or_default();
                    let Some(at) = wanted.get(&(col(2), col(3), col(4), col(5))) else {
                        continue;
                    };
                    for &i in at {
                        buckets[i].push(r.clone());
                    }
                    stored.insert(col(0).to_string(), r);
                }
            }
        }
        // Oldest first, as `findEdgesBetween`.
        let text_at =
            |r: &Row, k: usize| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut text = String::with_capacity(a.pairs.len() * 200 + 2);
        text.push('[');
        for (i, bucket) in buckets.iter_mut().enumerate() {
            bucket.sort_by_cached_key(|r| (text_at(r, 9), text_at(r, 0)));
            if i > 0 {
                text.push(',');
            }
            text.push('[');
            for (j, r) in bucket.iter().enumerate() {
                if j > 0 {
                    text.push(',');
                }
                push_row(&mut text, r, EDGE_PROPS)?;
            }
            text.push(']');
        }
        text.push(']');
        let reply = merge(text).await?;
        let merged: Merged = serde_json::from_str(&reply).map_err(|e| {
            Error::validation(
                format!("Malformed merge result: {e}"),
                serde_json::json!({}),
            )
        })?;
        let mut seen = HashSet::with_capacity(merged.items.len());
        let mut ids = Vec::with_capacity(merged.items.len());
        for it in &merged.items {
            let id = it.id.clone().unwrap_or_default();
            if id.is_empty() || !seen.insert(id.clone()) {
                return Err(Error::invariant("merge result repeats or lacks an edge id"));
            }
            ids.push(id);
        }
        super::recorded::touch_edges(ex, &a.kind, ids.iter().map(|s| s.as_str()));
        let outcomes =
            upsert_edges_known(ex, ctx, &a.kind, &merged.items, &ids, &stored, &now).await?;
        if !a.returning {
            return Ok::<_, Error>("null".to_string());
        }
        render_written(
            &a.kind,
            &merged.items,
            &ids,
            &outcomes,
            &stored,
            &now,
            a.props_back,
        )
    })
}

/// The rows an edge upsert wrote, as JSON (aligned with `items`), rendered from the rows read
/// (`stored`, by id) and the values bound; props left out (`null`) unless `props_back`.
pub(crate) fn render_written(
    kind: &str,
    items: &[EdgeItem],
    ids: &[String],
    outcomes: &[EdgeOutcome],
    stored: &HashMap<String, Row>,
    now: &str,
    props_back: bool,
) -> Result<String> {
    let mut text = String::with_capacity(items.len() * 200 + 2);
    text.push('[');
    for (j, (it, outcome)) in items.iter().zip(outcomes).enumerate() {
        if j > 0 {
            text.push(',');
        }
        let props = if props_back {
            Value::Json(Some(it.props.get().to_string()))
        } else {
            Value::Null
        };
        let row: Row = match (outcome, stored.get(&ids[j])) {
            (EdgeOutcome::Updated(window), Some(r)) => {
                let mut r = r.clone();
                r[6] = props;
                r[10] = Value::Ts(Some(now.to_string()));
                if let Some((vf, vt)) = window {
                    r[7] = Value::Ts(vf.clone());
                    r[8] = Value::Ts(vt.clone());
                    r[11] = Value::Ts(None);
                }
                r
            }
            (EdgeOutcome::Created(..), _) | (EdgeOutcome::Updated(_), None) => {
                let (vf, vt) = match outcome {
                    EdgeOutcome::Created(vf, vt) => (vf.clone(), vt.clone()),
                    EdgeOutcome::Updated(_) => (None, None),
                };
                vec![
                    Value::text(&ids[j]),
                    Value::text(kind),
                    Value::text(&it.from.kind),
                    Value::text(&it.from.id),
                    Value::text(&it.to.kind),
                    Value::text(&it.to.id),
                    props,
                    Value::Ts(vf),
                    Value::Ts(vt),
                    Value::Ts(Some(now.to_string())),
                    Value::Ts(Some(now.to_string())),
                    Value::Ts(None),
                ]
            }
        };
        push_row(&mut text, &row, EDGE_PROPS)?;
    }
    text.push(']');
    Ok(text)
}

/// An insert refused because the edge id was taken (the id check of a create batch).
fn taken_while_running(e: &Error) -> bool {
    e.details
        .get("issues")
        .and_then(|v| v.get(0))
        .and_then(|v| v.get("code"))
        .and_then(|v| v.as_str())
        == Some("ENTITY_ALREADY_EXISTS")
}
