//! Edge cardinality fences in `typegraph_edge_claims`, in upstream's row format.
//!
//! The count probe (`edges::check_cardinality`) decides the common case and
//! gives the error its detail; this fence closes the race the probe cannot:
//! two transactions that both probe before either commits. Every constrained
//! edge write reserves one row per `(graph_id, axis, key)` — axis
//! `"<cardinality>:<edge kind>"`, key the JSON array of the source endpoint
//! (`one`, `oneActive`) or of both endpoints (`unique`) — and the primary key
//! makes the second claimant wait for the first and then see its holder. A
//! claim whose holder edge is gone (deleted, or ended for `oneActive`) is taken
//! over in place, so stale rows never block a legal write.

use super::edges::NodeRef;
use super::Ctx;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::graph::Cardinality;
use crate::value::Value;
use serde_json::json;
use std::collections::HashMap;

/// Claim rows per upsert statement (five parameters each).
const CHUNK: usize = 500;

/// One edge write that may owe a claim.
pub struct EdgeClaim<'a> {
    pub edge_id: &'a str,
    pub from: &'a NodeRef,
    pub to: &'a NodeRef,
    /// Born with a `validTo`: an `oneActive` edge born ended joins no active population.
    pub born_ended: bool,
    /// Position in the caller's batch, for the error's `index`.
    pub index: Option<usize>,
}

fn name(card: Cardinality) -> &'static str {
    match card {
        Cardinality::One => "one",
        Cardinality::Unique => "unique",
        Cardinality::OneActive => "oneActive",
        Cardinality::Many => "many",
    }
}

/// The claim axis of an edge kind under a cardinality (upstream: `"<cardinality>:<kind>"`).
pub fn axis(card: Cardinality, kind: &str) -> String {
    format!("{}:{kind}", name(card))
}

/// The claim key: the JSON array of the endpoint identity the axis covers.
pub fn key(card: Cardinality, from: &NodeRef, to: &NodeRef) -> String {
    let parts: Vec<&str> = if card == Cardinality::Unique {
        vec![
            from.kind.as_str(),
            from.id.as_str(),
            to.kind.as_str(),
            to.id.as_str(),
        ]
    } else {
        vec![from.kind.as_str(), from.id.as_str()]
    };
    serde_json::to_string(&parts).unwrap_or_default()
}

fn refusal(kind: &str, card: Cardinality, c: &EdgeClaim<'_>) -> Error {
    let mut e = Error::new(
        Code::Cardinality,
        format!(
            "Cardinality violation: \"{kind}\" from {}/{} allows \"{}\" but 1 edge(s) already exist",
            c.from.kind,
            c.from.id,
            name(card)
        ),
        json!({ "edgeKind": kind, "fromKind": c.from.kind, "fromId": c.from.id, "cardinality": name(card), "existingCount": 1 }),
    );
    if let Some(i) = c.index {
        e.details["index"] = json!(i);
        e.message = format!("{} (item {i})", e.message);
    }
    e
}

/// Reserves the claims of `claims` (edges of `kind`, declared `card`) inside the caller's
/// transaction; refuses with `CardinalityError` when a live holder keeps one.
/// Rows are claimed in key order so two writers of the same keys cannot deadlock.
pub async fn claim_edges<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    card: Cardinality,
    claims: &[EdgeClaim<'_>],
) -> Result<()> {
    if card == Cardinality::Many {
        return Ok(());
    }
    let ax = axis(card, kind);
    let mut owed: Vec<(String, &EdgeClaim<'_>)> = claims
        .iter()
        .filter(|c| !(card == Cardinality::OneActive && c.born_ended))
        .map(|c| (key(card, c.from, c.to), c))
        .collect();
    if owed.is_empty() {
        return Ok(());
    }
    owed.sort_by(|a, b| a.0.cmp(&b.0));
    // Two claimants of one key in the same call: the later item is the violation.
    for w in owed.windows(2) {
        if w[0].0 == w[1].0 {
            let later = if w[1].1.index >= w[0].1.index {
                w[1].1
            } else {
                w[0].1
            };
            return Err(refusal(kind, card, later));
        }
    }
    let g = ctx.graph.id();
    let t = &ctx.tables.edge_claims;
    let now = crate::util::now_iso();
    let mut holders: HashMap<String, String> = HashMap::with_capacity(owed.len());
    for chunk in owed.chunks(CHUNK) {
        let mut sql = format!("INSERT INTO {t} (graph_id, axis, key, edge_id, updated_at) VALUES ");
        let mut params = Vec::with_capacity(chunk.len() * 5);
        for (i, (k, c)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, ?)");
            params.extend([
                Value::text(g),
                Value::text(&ax),
                Value::text(k),
                Value::text(c.edge_id),
                Value::Ts(Some(now.clone())),
            ]);
        }
        // The no-op update takes the row lock and returns the standing holder.
        sql.push_str(&format!(
            " ON CONFLICT (graph_id, axis, key) DO UPDATE SET updated_at = {t}.updated_at RETURNING key, edge_id"
        ));
        let sql = ex.dialect().finish(sql);
        for r in ex.query(&sql, &params).await? {
            if let (Some(k), Some(h)) = (r[0].as_str(), r[1].as_str()) {
                holders.insert(k.to_string(), h.to_string());
            }
        }
    }
    let unique = card == Cardinality::Unique;
    let takeover = ex.dialect().finish(format!(
        "UPDATE {t} SET edge_id = ?, updated_at = ? \
         WHERE graph_id = ? AND axis = ? AND key = ? AND edge_id <> ? AND NOT EXISTS (\
           SELECT 1 FROM {e} h WHERE h.graph_id = {t}.graph_id AND h.id = {t}.edge_id AND h.deleted_at IS NULL \
           AND h.kind = ? AND h.from_kind = ? AND h.from_id = ?{to}{active}) \
         RETURNING edge_id",
        e = ctx.tables.edges,
        to = if unique { " AND h.to_kind = ? AND h.to_id = ?" } else { "" },
        active = if card == Cardinality::OneActive { " AND h.valid_to IS NULL" } else { "" },
    ));
    for (k, c) in &owed {
        if holders.get(k).map(String::as_str) == Some(c.edge_id) {
            continue;
        }
        let mut p = vec![
            Value::text(c.edge_id),
            Value::Ts(Some(now.clone())),
            Value::text(g),
            Value::text(&ax),
            Value::text(k),
            Value::text(c.edge_id),
            Value::text(kind),
            Value::text(&c.from.kind),
            Value::text(&c.from.id),
        ];
        if unique {
            p.extend([Value::text(&c.to.kind), Value::text(&c.to.id)]);
        }
        if ex.query(&takeover, &p).await?.is_empty() {
            return Err(refusal(kind, card, c));
        }
    }
    Ok(())
}
