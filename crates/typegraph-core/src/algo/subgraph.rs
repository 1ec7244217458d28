//! `store.subgraph(rootId, …)`: the nodes reachable from the root by id (upstream's recursive
//! walk joins edges on endpoint ids), one statement per level, then the included nodes and the
//! edges of the selected kinds between them, each in one statement.

use super::{AlgoArgs, Dir, Walk};
use crate::dialect::{EDGE_COLS, NODE_COLS};
use crate::error::Result;
use crate::exec::{col_str, Executor};
use crate::ops::rows::{push_row, EDGE_PROPS, NODE_PROPS};
use crate::ops::Ctx;
use crate::value::Value;
use std::collections::{BTreeSet, HashSet};

const DEFAULT_MAX_DEPTH: u32 = 10;
const MAX_DEPTH: u32 = 1000;

pub async fn subgraph<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: &AlgoArgs) -> Result<String> {
    let mut w = Walk::new(ctx, ex.dialect(), a)?;
    // Upstream matches the selected edge kinds as given (no dedupe needed for a filter).
    w.edge_kinds = a.edges.clone().unwrap_or_default();
    let dir = Dir::parse(a.direction.as_deref(), Dir::Out)?;
    let max_depth = a.max_depth.unwrap_or(DEFAULT_MAX_DEPTH).min(MAX_DEPTH);
    let root = a.source.clone().unwrap_or_default();

    // (id, kind) pairs reached; ids expanded once each.
    let seeds = w.visible(ex, &[root.as_str()]).await?;
    let mut reached: HashSet<(String, String)> = seeds.iter().cloned().collect();
    let mut expanded: HashSet<String> = HashSet::new();
    let mut frontier: Vec<String> = seeds
        .iter()
        .map(|k| k.0.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut depth = 0;
    while !frontier.is_empty() && depth < max_depth && !w.edge_kinds.is_empty() {
        expanded.extend(frontier.iter().cloned());
        let rows = expand_ids(ex, &w, &frontier, dir).await?;
        let mut next: BTreeSet<String> = BTreeSet::new();
        for k in rows {
            if !expanded.contains(&k.0) {
                next.insert(k.0.clone());
            }
            reached.insert(k);
        }
        frontier = next.into_iter().collect();
        depth += 1;
    }

    let include: Option<HashSet<&str>> = a
        .include_kinds
        .as_ref()
        .filter(|v| !v.is_empty())
        .map(|v| v.iter().map(String::as_str).collect());
    let exclude_root = a.exclude_root.unwrap_or(false);
    let ids: BTreeSet<String> = reached
        .iter()
        .filter(|(id, kind)| {
            include.as_ref().is_none_or(|s| s.contains(kind.as_str()))
                && !(exclude_root && *id == root)
        })
        .map(|(id, _)| id.clone())
        .collect();
    let ids: Vec<String> = ids.into_iter().collect();

    let mut out = String::from("{\"nodes\":[");
    if !ids.is_empty() {
        let (nf, np) = w.filter("")?;
        let sql = w.dialect.finish(format!(
            "SELECT {NODE_COLS} FROM {} WHERE graph_id = ? AND {} AND {nf}",
            w.nodes,
            w.dialect.in_list("id")
        ));
        let mut params = vec![Value::text(w.graph_id), Value::TextList(ids.clone())];
        params.extend(np);
        let rows = ex.query(&sql, &params).await?;
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_row(&mut out, r, NODE_PROPS)?;
        }
    }
    out.push_str("],\"edges\":[");
    if !ids.is_empty() && !w.edge_kinds.is_empty() {
        let (ef, ep) = w.filter("")?;
        // Edges leave an included id: the near end is matched as `(kind, id)` pairs of the node
        // rows carrying those ids, so the statement seeks the `from` index instead of scanning
        // every edge of the selected kinds.
        let sql = w.dialect.finish(format!(
            "SELECT {EDGE_COLS} FROM {} WHERE graph_id = ? AND (from_kind, from_id) IN (SELECT s.kind, s.id FROM {} s WHERE s.graph_id = ? AND {}) AND {} AND {ef} AND {}",
            w.edges_table,
            w.nodes,
            w.dialect.in_list("s.id"),
            w.dialect.in_list("kind"),
            w.dialect.in_list("to_id"),
        ));
        let mut params = vec![
            Value::text(w.graph_id),
            Value::text(w.graph_id),
            Value::TextList(ids.clone()),
            Value::TextList(w.edge_kinds.clone()),
        ];
        params.extend(ep);
        params.push(Value::TextList(ids));
        let rows = ex.query(&sql, &params).await?;
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_row(&mut out, r, EDGE_PROPS)?;
        }
    }
    out.push_str("]}");
    Ok(out)
}

/// One level by endpoint id: edges whose near endpoint carries a frontier id (any kind),
/// far endpoint a visible node. Returns the far endpoints `(id, kind)`.
async fn expand_ids<E: Executor>(
    ex: &mut E,
    w: &Walk<'_>,
    frontier: &[String],
    dir: Dir,
) -> Result<Vec<(String, String)>> {
    let mut params: Vec<Value> = Vec::new();
    let mut parts = Vec::new();
    for (jk, ji, tk, ti) in dir.branches() {
        params.push(Value::text(w.graph_id));
        params.push(Value::text(w.graph_id));
        params.push(Value::TextList(frontier.to_vec()));
        params.push(Value::TextList(w.edge_kinds.clone()));
        let (ef, ep) = w.filter("e")?;
        params.extend(ep);
        let (nf, np) = w.filter("n")?;
        params.extend(np);
        parts.push(format!(
            "SELECT e.{ti}, e.{tk} FROM {edges} e JOIN {nodes} n ON n.graph_id = e.graph_id AND n.kind = e.{tk} AND n.id = e.{ti} \
             WHERE e.graph_id = ? AND (e.{jk}, e.{ji}) IN (SELECT s.kind, s.id FROM {nodes} s WHERE s.graph_id = ? AND {ids}) \
             AND {kinds} AND {ef} AND {nf}",
            edges = w.edges_table,
            nodes = w.nodes,
            ids = w.dialect.in_list("s.id"),
            kinds = w.dialect.in_list("e.kind"),
        ));
    }
    let rows = ex
        .query(&w.dialect.finish(parts.join(" UNION ")), &params)
        .await?;
    rows.iter()
        .map(|r| Ok((col_str(r, 0)?.to_string(), col_str(r, 1)?.to_string())))
        .collect()
}
