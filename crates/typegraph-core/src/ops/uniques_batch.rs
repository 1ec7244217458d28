//! Unique-constraint claims for a whole batch of nodes of one kind: per constraint, one
//! release of the batch's superseded keys, one probe of every key, one multi-row take-over —
//! instead of three or four statements per node and constraint. PostgreSQL binds the lists as
//! arrays (UNNEST / ANY), SQLite as JSON arrays read through `json_each`.
//!
//! The outcome is that of claiming node by node in slice order ([`super::uniques::claim`]):
//! a key a batch node gives up is free for a node after it in the slice, not before it.

use super::uniques::{key_for, scope_kinds};
use super::Ctx;
use crate::dialect::Dialect;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::graph::UniqueConstraint;
use crate::value::Value;
use serde_json::{json, Value as Json};
use std::collections::HashMap;

/// One node of the batch: its position in the caller's items (for error reports), id and props.
pub struct Claimant<'a> {
    pub index: usize,
    pub id: &'a str,
    pub props: &'a str,
    /// A live node's stored props: a key they already give it under a constraint is kept, not
    /// claimed again (nor released).
    pub held: Option<&'a str>,
}

fn refused(c: &UniqueConstraint, holder_kind: &str, holder: &str, id: &str, index: usize) -> Error {
    let mut e = Error::new(
        Code::Uniqueness,
        format!(
            "Uniqueness violation on constraint \"{}\" of {holder_kind}: already held by {holder}",
            c.name
        ),
        json!({ "constraintName": c.name, "kind": holder_kind, "existingId": holder, "newId": id, "fields": c.fields, "index": index }),
    );
    e.message = format!("{} (item {index})", e.message);
    e
}

/// Claims every constraint key of `nodes` (all of `kind`, ids distinct) or refuses the call
/// with a `UniquenessError` naming the failing item.
pub async fn claim_all<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    nodes: &[Claimant<'_>],
    now: &str,
) -> Result<()> {
    let spec = ctx.graph.node(kind)?;
    if spec.unique.is_empty() || nodes.is_empty() {
        return Ok(());
    }
    let props: Vec<Json> = nodes
        .iter()
        .map(|n| serde_json::from_str(n.props))
        .collect::<std::result::Result<_, _>>()?;
    let held: Vec<Option<Json>> = nodes
        .iter()
        .map(|n| n.held.map(serde_json::from_str).transpose())
        .collect::<std::result::Result<_, _>>()?;
    let g = ctx.graph.id();
    let t = &ctx.tables.uniques;
    let position: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let sqlite = ex.dialect() == Dialect::Sqlite;
    for c in &spec.unique {
        let covered = scope_kinds(ctx, kind, c);
        let axis = covered[0].as_str();
        let keys: Vec<Option<String>> = props.iter().map(|p| key_for(c, p)).collect();
        // Nodes whose key under this constraint is the one they hold: nothing to do.
        let kept: Vec<bool> = held
            .iter()
            .zip(&keys)
            .map(|(h, k)| h.as_ref().is_some_and(|h| key_for(c, h) == *k))
            .collect();
        if kept.iter().all(|&k| k) {
            continue;
        }
        let moving: Vec<usize> = (0..nodes.len()).filter(|&i| !kept[i]).collect();
        // Within the batch: a key wanted twice goes to the earlier item. Of all refusals
        // (here and against stored holders below) the earliest item is reported.
        let mut worst: Option<(usize, String, String)> = None;
        let mut wanted: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
        for (i, k) in keys.iter().enumerate() {
            let Some(k) = k.as_ref().filter(|_| !kept[i]) else {
                continue;
            };
            if let Some(&first) = wanted.get(k.as_str()) {
                if worst
                    .as_ref()
                    .is_none_or(|w| nodes[i].index < nodes[w.0].index)
                {
                    worst = Some((i, nodes[first].id.to_string(), kind.to_string()));
                }
                continue;
            }
            wanted.insert(k, i);
        }
        // Each node's key under the constraint other than the one it now holds is released
        // (all of them when its props fall outside the constraint's `where`).
        let release_sql = if sqlite {
            format!(
                // Each JSON parameter is read once (a join of two `json_each` re-read the inner
                // one per outer row): the nodes' rows found by id through the node index, the
                // (id, key) pairs they keep checked against a list built once.
                "UPDATE {t} SET deleted_at = ?1 \
                 WHERE graph_id = ?2 AND node_kind = ?3 AND constraint_name = ?4 AND concrete_kind = ?5 \
                 AND node_id IN (SELECT value FROM json_each(?6)) AND deleted_at IS NULL \
                 AND (node_id, key) NOT IN (SELECT p.value ->> 0, p.value ->> 1 FROM json_each(?7) AS p WHERE p.value ->> 1 IS NOT NULL)"
            )
        } else {
            format!(
                "UPDATE {t} SET deleted_at = $1::timestamptz FROM UNNEST($6::text[], $7::text[]) AS v(id, key) \
                 WHERE {t}.graph_id = $2 AND {t}.node_kind = $3 AND {t}.constraint_name = $4 AND {t}.concrete_kind = $5 \
                 AND {t}.node_id = v.id AND {t}.deleted_at IS NULL AND (v.key IS NULL OR {t}.key <> v.key)"
            )
        };
        let release_params = [
            Value::Text(now.to_string()),
            Value::text(g),
            Value::text(axis),
            Value::text(&c.name),
            Value::text(kind),
            Value::TextList(moving.iter().map(|&i| nodes[i].id.to_string()).collect()),
            if sqlite {
                // [[id, key], …] for the nodes that hold a key under the constraint.
                Value::Json(Some(serde_json::to_string(
                    &moving
                        .iter()
                        .filter_map(|&i| Some((nodes[i].id, keys[i].as_deref()?)))
                        .collect::<Vec<_>>(),
                )?))
            } else {
                Value::NullableTextList(moving.iter().map(|&i| keys[i].clone()).collect())
            },
        ];
        let mut claim: Vec<usize> = moving
            .iter()
            .copied()
            .filter(|&i| keys[i].is_some())
            .collect();
        if claim.is_empty() {
            ex.execute(&release_sql, &release_params).await?;
            continue;
        }
        // In key order: neighbouring keys share B-tree pages, and concurrent batches lock
        // rows in one order.
        claim.sort_unstable_by(|&x, &y| keys[x].cmp(&keys[y]));
        let claim_keys: Vec<String> = claim.iter().map(|&i| keys[i].clone().unwrap()).collect();
        // Every covered kind is probed (rows an older writer left under a concrete kind included).
        let probe_sql = if sqlite {
            format!(
                "SELECT key, node_id, concrete_kind FROM {t} WHERE graph_id = ?1 AND node_kind IN (SELECT value FROM json_each(?2)) \
                 AND constraint_name = ?3 AND key IN (SELECT value FROM json_each(?4)) AND deleted_at IS NULL"
            )
        } else {
            format!(
                "SELECT key, node_id, concrete_kind FROM {t} WHERE graph_id = $1 AND node_kind = ANY($2::text[]) \
                 AND constraint_name = $3 AND key = ANY($4::text[]) AND deleted_at IS NULL"
            )
        };
        let held = ex
            .query(
                &probe_sql,
                &[
                    Value::text(g),
                    Value::TextList(covered.clone()),
                    Value::text(&c.name),
                    Value::TextList(claim_keys.clone()),
                ],
            )
            .await?;
        for r in &held {
            let (Some(key), Some(holder)) = (r[0].as_str(), r[1].as_str()) else {
                continue;
            };
            let holder_kind = r[2].as_str().unwrap_or(kind);
            let Some(&i) = wanted.get(key) else { continue };
            if holder == nodes[i].id && holder_kind == kind {
                continue;
            }
            // A batch node before this one that gives the key up has released it by then.
            let gives_up = holder_kind == kind
                && position
                    .get(holder)
                    .is_some_and(|&j| j < i && keys[j].as_deref() != Some(key));
            if !gives_up
                && worst
                    .as_ref()
                    .is_none_or(|w| nodes[i].index < nodes[w.0].index)
            {
                worst = Some((i, holder.to_string(), holder_kind.to_string()));
            }
        }
        if let Some((i, holder, holder_kind)) = worst {
            return Err(refused(
                c,
                &holder_kind,
                &holder,
                nodes[i].id,
                nodes[i].index,
            ));
        }
        ex.execute(&release_sql, &release_params).await?;
        // Take-over of a released row or one the node already holds; a live holder that
        // committed after the probe (a concurrent writer) keeps its row.
        let rows_from = if sqlite {
            // `WHERE true`: an INSERT ... SELECT before ON CONFLICT needs one (SQLite's parser).
            "SELECT ?1, ?2, ?3, p.value ->> 0, p.value ->> 1, ?4, NULL FROM json_each(?5) AS p WHERE true"
        } else {
            "SELECT $1, $2, $3, v.key, v.id, $4, NULL FROM UNNEST($5::text[], $6::text[]) AS v(key, id)"
        };
        let mut take_params = vec![
            Value::text(g),
            Value::text(axis),
            Value::text(&c.name),
            Value::text(kind),
            if sqlite {
                // [[key, id], …]: one JSON parameter, read once.
                Value::Json(Some(serde_json::to_string(
                    &claim_keys
                        .iter()
                        .zip(claim.iter().map(|&i| nodes[i].id))
                        .collect::<Vec<_>>(),
                )?))
            } else {
                Value::TextList(claim_keys.clone())
            },
            Value::TextList(claim.iter().map(|&i| nodes[i].id.to_string()).collect()),
        ];
        if sqlite {
            // The pairs carry the ids.
            take_params.pop();
        }
        let won = ex
            .query(
                &format!(
                    "INSERT INTO {t} (graph_id, node_kind, constraint_name, key, node_id, concrete_kind, deleted_at) \
                     {rows_from} \
                     ON CONFLICT (graph_id, node_kind, constraint_name, key) DO UPDATE SET node_id = excluded.node_id, \
                     concrete_kind = excluded.concrete_kind, deleted_at = NULL \
                     WHERE {t}.deleted_at IS NOT NULL OR ({t}.node_id = excluded.node_id AND {t}.concrete_kind = excluded.concrete_kind) \
                     RETURNING key"
                ),
                &take_params,
            )
            .await?;
        if won.len() < claim.len() {
            let got: std::collections::HashSet<&str> =
                won.iter().filter_map(|r| r[0].as_str()).collect();
            let lost = claim
                .iter()
                .copied()
                .filter(|&i| !got.contains(keys[i].as_deref().unwrap_or_default()))
                .min_by_key(|&i| nodes[i].index)
                .unwrap_or(claim[0]);
            let key = keys[lost].clone().unwrap_or_default();
            let r = ex
                .query(
                    &ex.dialect().finish(format!(
                        "SELECT node_id, concrete_kind FROM {t} WHERE graph_id = ? AND node_kind = ? AND constraint_name = ? AND key = ?"
                    )),
                    &[Value::text(g), Value::text(axis), Value::text(&c.name), Value::text(&key)],
                )
                .await?;
            let holder = r.first().and_then(|r| r[0].as_str()).unwrap_or_default();
            let holder_kind = r.first().and_then(|r| r[1].as_str()).unwrap_or(kind);
            return Err(refused(
                c,
                holder_kind,
                holder,
                nodes[lost].id,
                nodes[lost].index,
            ));
        }
    }
    Ok(())
}
