//! `bulkUpsertById` of edges as one call from the binding, the edge counterpart of
//! [`super::upsert_with`]: inside one transaction the engine reads the stored rows of the
//! batch's ids (any kind, tombstones included; on PostgreSQL `FOR UPDATE` in id order), hands
//! the rows of this kind to the caller's merge-and-validate step (called back once), and writes
//! the items it returns through [`super::bulk::upsert_edges_known`]: creates first (endpoints,
//! cardinality and ids checked in batch), then updates and resurrections. The rows written are
//! rendered from the rows read and the values bound, not read back.

use super::bulk::{stored_edges, upsert_edges_known, EdgeItem, EdgeOutcome};
use super::rows::{push_row, EDGE_PROPS};
use super::upsert_with::UpsertWithArgs;
use super::{evolve, Ctx};
use crate::atomic;
use crate::dialect::Dialect;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::util::now_iso;
use crate::value::{Row, Value};
use serde::Deserialize;
use std::collections::HashSet;
use std::future::Future;

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
        let mut text = String::with_capacity(merged.items.len() * 200 + 2);
        text.push('[');
        for (j, (it, outcome)) in merged.items.iter().zip(&outcomes).enumerate() {
            if j > 0 {
                text.push(',');
            }
            let props = if a.props_back {
                Value::Json(Some(it.props.get().to_string()))
            } else {
                Value::Null
            };
            let row: Row = match (outcome, stored.get(&ids[j])) {
                (EdgeOutcome::Updated(window), Some(r)) => {
                    let mut r = r.clone();
                    r[6] = props;
                    r[10] = Value::Ts(Some(now.clone()));
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
                        Value::text(&a.kind),
                        Value::text(&it.from.kind),
                        Value::text(&it.from.id),
                        Value::text(&it.to.kind),
                        Value::text(&it.to.id),
                        props,
                        Value::Ts(vf),
                        Value::Ts(vt),
                        Value::Ts(Some(now.clone())),
                        Value::Ts(Some(now.clone())),
                        Value::Ts(None),
                    ]
                }
            };
            push_row(&mut text, &row, EDGE_PROPS)?;
        }
        text.push(']');
        Ok::<_, Error>(text)
    })
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
