//! Node `bulkGetOrCreateByConstraint` (and the single `getOrCreateByConstraint`) as one call
//! from the binding, through the `upsertNodesWith` entry (`entity: "nodeConstraint"`). Inside
//! one transaction the engine keys each item's parsed props under the named constraint, finds
//! every distinct key's holder in one statement per chunk (live holder first, then the latest
//! release, as `findByConstraint`), reads the holders' rows (on PostgreSQL `FOR UPDATE`) and
//! hands them to the caller's step once. That step decides each item (found, updated,
//! resurrected, created) and returns the writes, which run as a node upsert batch per holder
//! kind; the rows written come back rendered from the rows read, aligned with the writes.

use super::bulk::{node_versions_from_rows, upsert_known, NodeItem};
use super::rows::{push_row, push_value, NODE_PROPS};
use super::upsert_with::{push_bare_row, renders_itself, stored_rows, written_row, UpsertWithArgs};
use super::Ctx;
use crate::atomic;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::graph::UniqueConstraint;
use crate::util::now_iso;
use crate::value::{Row, Value};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::collections::{HashMap, HashSet};
use std::future::Future;

/// Keys per holder lookup statement.
const KEY_CHUNK: usize = 2000;

#[derive(Deserialize)]
struct Decided {
    items: Vec<NodeItem>,
}

/// The named unique constraint of `kind`, or `NodeConstraintNotFoundError`'s code.
pub(crate) fn constraint<'g>(
    ctx: &'g Ctx<'_>,
    kind: &str,
    name: &str,
) -> Result<&'g UniqueConstraint> {
    ctx.graph
        .node(kind)?
        .unique
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| {
            Error::new(
                Code::ConstraintNotFound,
                format!("Constraint not found: \"{name}\" on node kind \"{kind}\""),
                json!({ "constraintName": name, "kind": kind }),
            )
        })
}

/// Runs the batch (`a.props` under `a.constraint`) with the caller's `decide` step.
///
/// `decide` gets one entry per item: `null` (nobody holds the key, or the constraint's `where`
/// leaves the item out), `[row, live]` (the holder's stored row, `live` false for a tombstone),
/// or the number of an earlier item whose key this item repeats. It returns `{ items }`, the
/// node upsert items to write: an id it was given as a holder is written under the holder's
/// kind (updated or resurrected), any other id is created under `a.kind`. An `Err` aborts the
/// call; nothing is written.
pub(crate) async fn run<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    decide: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    let name = a.constraint.as_deref().unwrap_or_default();
    let c = constraint(ctx, &a.kind, name)?;
    let covered = super::uniques::scope_kinds(ctx, &a.kind, c);
    // Keys first: an item the `where` leaves out has none; a repeated key points at its first item.
    let mut keys: Vec<Option<String>> = Vec::with_capacity(a.props.len());
    for p in &a.props {
        let props: Json = serde_json::from_str(p.get())?;
        keys.push(super::uniques::key_for(c, &props));
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut repeats: Vec<Option<usize>> = vec![None; keys.len()];
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            match first.get(k.as_str()) {
                Some(&j) => repeats[i] = Some(j),
                None => {
                    first.insert(k.as_str(), i);
                }
            }
        }
    }
    let now = now_iso();
    atomic!(ex, {
        // Each distinct key's holder: a live holder first, then the most recent release.
        let mut distinct: Vec<String> = first.keys().map(|k| k.to_string()).collect();
        distinct.sort_unstable();
        let sql = ex.dialect().finish(format!(
            "SELECT key, node_id, concrete_kind, deleted_at FROM {} WHERE graph_id = ? AND {} AND constraint_name = ? AND {} \
             ORDER BY key, CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END, deleted_at DESC",
            ctx.tables.uniques,
            ex.dialect().in_list("node_kind"),
            ex.dialect().in_list("key"),
        ));
        // key → (holder id, holder kind, released)
        let mut holder: HashMap<String, (String, String, bool)> = HashMap::new();
        for chunk in distinct.chunks(KEY_CHUNK) {
            let rows = ex
                .query(
                    &sql,
                    &[
                        Value::text(ctx.graph.id()),
                        Value::TextList(covered.clone()),
                        Value::text(&c.name),
                        Value::TextList(chunk.to_vec()),
                    ],
                )
                .await?;
            for r in rows {
                let text = |k: usize| r.get(k).and_then(Value::as_str).unwrap_or_default();
                if holder.contains_key(text(0)) {
                    continue;
                }
                let released = !r.get(3).is_none_or(Value::is_null);
                let kind = match text(2) {
                    "" => a.kind.as_str(),
                    k => k,
                };
                holder.insert(
                    text(0).to_string(),
                    (text(1).to_string(), kind.to_string(), released),
                );
            }
        }
        // The holders' rows, by kind (on PostgreSQL locked until the writes commit).
        let mut wanted: HashMap<&str, Vec<String>> = HashMap::new();
        for (id, kind, _) in holder.values() {
            wanted.entry(kind.as_str()).or_default().push(id.clone());
        }
        let mut kinds: Vec<&str> = wanted.keys().copied().collect();
        kinds.sort_unstable();
        let mut stored: HashMap<String, HashMap<String, Row>> = HashMap::new();
        for kind in kinds {
            let ids = &wanted[kind];
            stored.insert(kind.to_string(), stored_rows(ex, ctx, kind, ids).await?);
        }
        // id → the holder kind the step may write it under.
        let mut held: HashMap<&str, &str> = HashMap::new();
        let mut text = String::with_capacity(keys.len() * 200 + 2);
        text.push('[');
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            if let Some(j) = repeats[i] {
                text.push_str(&j.to_string());
                continue;
            }
            let hit = k.as_ref().and_then(|k| holder.get(k));
            let row = hit.and_then(|(id, kind, released)| {
                let row = stored.get(kind)?.get(id)?;
                let live = row.get(8).is_none_or(Value::is_null);
                // A released key whose holder is still live was given up by a value change.
                (!(*released && live)).then_some((row, live, kind))
            });
            match row {
                None => text.push_str("null"),
                Some((row, live, kind)) => {
                    if let Some(id) = row.get(1).and_then(Value::as_str) {
                        held.insert(id, kind.as_str());
                    }
                    text.push('[');
                    // Props left out only for a holder of the batch's own kind (the caller
                    // knows that kind's fields; a relative's may have more).
                    if a.props_wanted.get(i) == Some(&false) && kind == &a.kind {
                        push_bare_row(&mut text, row);
                    } else {
                        push_row(&mut text, row, NODE_PROPS)?;
                    }
                    text.push_str(if live { ",true]" } else { ",false]" });
                }
            }
        }
        text.push(']');
        let reply = decide(text).await?;
        let decided: Decided = serde_json::from_str(&reply).map_err(|e| {
            Error::validation(
                format!("Malformed merge result: {e}"),
                serde_json::json!({}),
            )
        })?;
        // Writes grouped by the kind they go under (holders' kinds; creates under `a.kind`).
        let mut seen = HashSet::with_capacity(decided.items.len());
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (j, it) in decided.items.iter().enumerate() {
            let id = it.id.as_deref().unwrap_or_default();
            if id.is_empty() || !seen.insert(id) {
                return Err(Error::invariant("merge result repeats or lacks a node id"));
            }
            let kind = held.get(id).copied().unwrap_or(a.kind.as_str());
            super::recorded::touch_node(ex, kind, id);
            match groups.iter_mut().find(|(k, _)| k == kind) {
                Some((_, at)) => at.push(j),
                None => groups.push((kind.to_string(), vec![j])),
            }
        }
        let count = decided.items.len();
        let mut pending: Vec<Option<NodeItem>> = decided.items.into_iter().map(Some).collect();
        let empty = HashMap::new();
        // `None`: left to the caller (`compact`, [`renders_itself`]).
        let mut rows: Vec<Option<Row>> = vec![None; count];
        for (kind, at) in &groups {
            let kind_rows = stored.get(kind).unwrap_or(&empty);
            let part: Vec<NodeItem> = at.iter().filter_map(|&j| pending[j].take()).collect();
            let ids: Vec<String> = part
                .iter()
                .map(|it| it.id.clone().unwrap_or_default())
                .collect();
            let existing = node_versions_from_rows(ids.iter().filter_map(|id| kind_rows.get(id)));
            let moved = upsert_known(
                ex,
                ctx,
                kind,
                &part,
                &ids,
                &existing,
                Some(kind_rows),
                &now,
                false,
            )
            .await?;
            let mut moved: HashMap<String, Row> = moved
                .into_iter()
                .filter_map(|r| Some((r.get(1)?.as_str()?.to_string(), r)))
                .collect();
            for (n, &j) in at.iter().enumerate() {
                if a.compact && renders_itself(&part[n], &ids[n], &moved, kind_rows) {
                    continue;
                }
                rows[j] = Some(written_row(
                    kind,
                    &part[n],
                    &ids[n],
                    &mut moved,
                    kind_rows,
                    &now,
                    a.props_back,
                )?);
            }
        }
        let mut out = String::with_capacity(rows.len() * 200 + 2);
        out.push('[');
        if a.compact {
            push_value(&mut out, &Value::Ts(Some(now.clone())));
        }
        for (j, row) in rows.iter().enumerate() {
            if j > 0 || a.compact {
                out.push(',');
            }
            match row {
                Some(r) => push_row(&mut out, r, NODE_PROPS)?,
                None if a.compact => out.push('0'),
                None => out.push_str("null"),
            }
        }
        out.push(']');
        Ok::<_, Error>(out)
    })
}
