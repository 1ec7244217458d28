//! Set-oriented endpoint reads: the edges of many endpoints (of one or several node kinds)
//! for one or several edge kinds, in one statement.
//!
//! `bulkFindFrom` / `bulkFindTo` and `store.bulkFindEdgesFrom` all land here. The distinct
//! endpoints travel as one parameter (a JSON array of `[kind, id]` pairs read with `json_each`
//! on SQLite, two `unnest`ed text arrays on PostgreSQL) joined to the edge table, so the
//! statement's size and bind count do not grow with the number of endpoints, and each
//! endpoint is a prefix seek on the `(graph_id, <side>_kind, <side>_id, kind, …)` index.
//! The read instant is taken once for the whole set. Each endpoint's edges come back in the
//! order `findFrom` / `findTo` return them (newest first); `limitPerEndpoint` keeps that
//! order's leading rows, ranked inside the statement.
//!
//! The result has one bucket per INPUT position: a repeated endpoint gets its own copy of
//! the bucket, an endpoint without edges an empty one.

use super::rows::{push_row, push_sqlite_row, EDGE_PROPS};
use super::{Ctx, Temporal};
use crate::dialect::{Dialect, EDGE_COLS};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::util::now_iso;
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSetArgs {
    /// `"from"` reads edges leaving the endpoints, `"to"` edges arriving at them.
    pub side: String,
    /// The edge kinds to read (at least one).
    pub edge_kinds: Vec<String>,
    /// The endpoints, in input order (`[kind, id]`); repeats allowed.
    pub endpoints: Vec<(String, String)>,
    #[serde(default)]
    pub limit_per_endpoint: Option<i64>,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
}

/// Runs the read; returns `[[edgeRow, …], …]`, one array per input endpoint.
pub async fn find_by_endpoint_set<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: EndpointSetArgs,
) -> Result<String> {
    let (kind_col, id_col) = match a.side.as_str() {
        "from" => ("from_kind", "from_id"),
        "to" => ("to_kind", "to_id"),
        other => {
            return Err(Error::validation(
                format!("Unknown endpoint side \"{other}\" (expected \"from\" or \"to\")"),
                json!({ "side": other }),
            ))
        }
    };
    for k in &a.edge_kinds {
        ctx.graph.edge(k)?;
    }
    if let Some(l) = a.limit_per_endpoint {
        if l <= 0 {
            return Err(Error::validation(
                format!("limitPerInput must be a positive integer, received {l}"),
                json!({ "issues": [{ "path": "limitPerInput", "message": format!("Expected a positive integer, received {l}"), "code": "invalid_value" }] }),
            ));
        }
    }
    let temporal = Temporal {
        temporal_mode: a.temporal_mode.clone(),
        as_of: a.as_of.clone(),
    };
    let now = now_iso();
    let (filter, tparams) = temporal.filter("", &now)?;

    // Distinct endpoints; `group[i]` is input i's position among them.
    let mut distinct: Vec<(&str, &str)> = Vec::new();
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    let group: Vec<usize> = a
        .endpoints
        .iter()
        .map(|(k, i)| {
            *seen.entry((k.as_str(), i.as_str())).or_insert_with(|| {
                distinct.push((k.as_str(), i.as_str()));
                distinct.len() - 1
            })
        })
        .collect();
    if a.edge_kinds.is_empty() || distinct.is_empty() {
        return Ok(empty_buckets(group.len()));
    }

    let d = ex.dialect();
    let mut params: Vec<Value> = Vec::new();
    // The endpoint relation, and the offset of its ordinal column.
    let (endpoints, base) = match d {
        Dialect::Sqlite => {
            let pairs: Vec<[&str; 2]> = distinct.iter().map(|(k, i)| [*k, *i]).collect();
            params.push(Value::Text(serde_json::to_string(&pairs)?));
            (
                "(SELECT key AS tg_g, json_extract(value, '$[0]') AS tg_ek, json_extract(value, '$[1]') AS tg_eid FROM json_each(?)) AS tg_ep CROSS JOIN"
                    .to_string(),
                0i64,
            )
        }
        Dialect::Postgres => {
            params.push(Value::TextList(
                distinct.iter().map(|(k, _)| k.to_string()).collect(),
            ));
            params.push(Value::TextList(
                distinct.iter().map(|(_, i)| i.to_string()).collect(),
            ));
            (
                "unnest(CAST(? AS text[]), CAST(? AS text[])) WITH ORDINALITY AS tg_ep(tg_ek, tg_eid, tg_g) CROSS JOIN"
                    .to_string(),
                1i64,
            )
        }
    };
    params.push(Value::text(ctx.graph.id()));
    let kinds = if a.edge_kinds.len() == 1 {
        params.push(Value::text(&a.edge_kinds[0]));
        "kind = ?".to_string()
    } else {
        params.push(Value::TextList(a.edge_kinds.clone()));
        d.in_list("kind")
    };
    params.extend(tparams);
    let from = format!(
        "{endpoints} {} AS tg_e WHERE tg_e.graph_id = ? AND tg_e.{kind_col} = tg_ep.tg_ek AND tg_e.{id_col} = tg_ep.tg_eid AND {kinds} AND {filter}",
        ctx.tables.edges
    );
    // The edge columns first, the endpoint ordinal last (rendered rows stop before it).
    let order = "tg_g, created_at DESC, id DESC";
    let sql = match a.limit_per_endpoint {
        None => format!("SELECT {EDGE_COLS}, tg_g FROM {from} ORDER BY {order}"),
        Some(l) => {
            params.push(Value::Int(l));
            format!(
                "SELECT {EDGE_COLS}, tg_g FROM (SELECT tg_g, {EDGE_COLS}, ROW_NUMBER() OVER (PARTITION BY tg_g ORDER BY created_at DESC, id DESC) AS tg_rank FROM {from}) AS tg_r \
                 WHERE tg_rank <= ? ORDER BY {order}"
            )
        }
    };
    let sql = d.finish(sql);

    // Render each distinct endpoint's bucket once; repeated inputs repeat its text.
    let mut buckets: Vec<String> = vec![String::new(); distinct.len()];
    let bucket_of = |buckets: &mut Vec<String>, g: Option<i64>| -> Result<usize> {
        let g = g
            .ok_or_else(|| Error::invariant("endpoint-set row without its endpoint ordinal"))?
            - base;
        let i = usize::try_from(g)
            .ok()
            .filter(|i| *i < buckets.len())
            .ok_or_else(|| Error::invariant("endpoint-set row with an unknown endpoint ordinal"))?;
        if !buckets[i].is_empty() {
            buckets[i].push(',');
        }
        Ok(i)
    };
    if let Some(db) = ex.sqlite_conn() {
        // SQLite: rows are rendered while borrowed from the statement.
        db.for_each_row(&sql, &params, |n, r| {
            let g = match r.get_ref(n - 1)? {
                rusqlite::types::ValueRef::Integer(v) => Some(v),
                _ => None,
            };
            let i = bucket_of(&mut buckets, g)?;
            push_sqlite_row(&mut buckets[i], n - 1, r, EDGE_PROPS)
        })?;
    } else {
        for mut row in ex.query(&sql, &params).await? {
            let g = row.pop().as_ref().and_then(Value::as_i64);
            let i = bucket_of(&mut buckets, g)?;
            push_row(&mut buckets[i], &row, EDGE_PROPS)?;
        }
    }
    let mut out =
        String::with_capacity(buckets.iter().map(String::len).sum::<usize>() + group.len() * 3 + 2);
    out.push('[');
    for (i, g) in group.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        out.push_str(&buckets[*g]);
        out.push(']');
    }
    out.push(']');
    Ok(out)
}

fn empty_buckets(n: usize) -> String {
    let mut out = String::with_capacity(n * 3 + 2);
    out.push('[');
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str("[]");
    }
    out.push(']');
    out
}
