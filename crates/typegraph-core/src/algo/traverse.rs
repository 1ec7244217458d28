//! Breadth-first traversals: reachable / neighbors, shortest path / canReach (balanced
//! bidirectional search), and degree (one COUNT).

use super::{push_key, AlgoArgs, Dir, Key, Walk};
use crate::error::Result;
use crate::exec::Executor;
use crate::ops::Ctx;
use crate::value::Value;
use std::collections::{BTreeMap, HashMap};

const DEFAULT_MAX_HOPS: u32 = 10;

/// Every node reachable within `maxHops`, at its minimum depth, ordered by depth then identity.
pub async fn reachable<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: &AlgoArgs) -> Result<String> {
    let w = Walk::new(ctx, ex.dialect(), a)?;
    let dir = Dir::parse(a.direction.as_deref(), Dir::Out)?;
    let max_hops = a.max_hops.unwrap_or(DEFAULT_MAX_HOPS);
    let source = a.source.clone().unwrap_or_default();
    let seeds = w.visible(ex, &[source.as_str()]).await?;
    let mut depth_of: HashMap<Key, u32> = seeds.iter().map(|k| (k.clone(), 0)).collect();
    let mut order: Vec<(u32, Key)> = seeds.iter().map(|k| (0, k.clone())).collect();
    let mut frontier = seeds;
    let mut depth = 0;
    while !frontier.is_empty() && depth < max_hops {
        let rows = w.expand(ex, &frontier, dir, None).await?;
        let mut next: Vec<Key> = Vec::new();
        for (_, target, _) in rows {
            if !depth_of.contains_key(&target) {
                depth_of.insert(target.clone(), depth + 1);
                next.push(target);
            }
        }
        next.sort();
        depth += 1;
        order.extend(next.iter().map(|k| (depth, k.clone())));
        frontier = next;
    }
    order.sort();
    let exclude = a.exclude_root.unwrap_or(false);
    let mut out = String::from("[");
    let mut first = true;
    for (d, k) in &order {
        if exclude && k.0 == source {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        push_key(&mut out, k);
        out.pop();
        out.push_str(&format!(",\"depth\":{d}}}"));
    }
    out.push(']');
    Ok(out)
}

struct Seen {
    depth: u32,
    parent: Option<Key>,
}

/// The fewest-hop path (or, for canReach, whether one exists): both ends expand, the smaller
/// frontier first; a new level keeps, per node, the smallest predecessor; the first level that
/// touches the other side picks the meeting node of least total depth, then smallest identity.
pub async fn shortest_path<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &AlgoArgs,
    boolean: bool,
) -> Result<String> {
    let w = Walk::new(ctx, ex.dialect(), a)?;
    let dir = Dir::parse(a.direction.as_deref(), Dir::Out)?;
    let max_hops = a.max_hops.unwrap_or(DEFAULT_MAX_HOPS);
    let source = a.source.clone().unwrap_or_default();
    let target = a.target.clone().unwrap_or_default();
    let found = search(ex, &w, dir, max_hops, &source, &target).await?;
    if boolean {
        return Ok(if found.is_some() { "true" } else { "false" }.into());
    }
    let Some(nodes) = found else {
        return Ok("null".into());
    };
    let mut out = String::from("{\"nodes\":[");
    for (i, k) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_key(&mut out, k);
    }
    out.push_str(&format!("],\"depth\":{}}}", nodes.len() - 1));
    Ok(out)
}

async fn search<E: Executor>(
    ex: &mut E,
    w: &Walk<'_>,
    dir: Dir,
    max_hops: u32,
    source: &str,
    target: &str,
) -> Result<Option<Vec<Key>>> {
    let ends = w.visible(ex, &[source, target]).await?;
    let sources: Vec<Key> = ends.iter().filter(|k| k.0 == source).cloned().collect();
    let targets: Vec<Key> = ends.iter().filter(|k| k.0 == target).cloned().collect();
    if sources.is_empty() || targets.is_empty() {
        return Ok(None);
    }
    if source == target {
        return Ok(Some(vec![sources[0].clone()]));
    }
    let seed = |v: &[Key]| -> HashMap<Key, Seen> {
        v.iter()
            .map(|k| {
                (
                    k.clone(),
                    Seen {
                        depth: 0,
                        parent: None,
                    },
                )
            })
            .collect()
    };
    let mut fwd = seed(&sources);
    let mut rev = seed(&targets);
    let (mut fset, mut rset) = (sources, targets);
    let (mut fd, mut rd) = (0u32, 0u32);
    while !fset.is_empty() && !rset.is_empty() && fd + rd < max_hops {
        let forward = fset.len() <= rset.len();
        let (active, opposite, set, d) = if forward {
            (&mut fwd, &rev, &fset, dir)
        } else {
            (&mut rev, &fwd, &rset, dir.reverse())
        };
        let rows = w.expand(ex, set, d, None).await?;
        let mut candidates: BTreeMap<Key, Key> = BTreeMap::new();
        for (src, tgt, _) in rows {
            if active.contains_key(&tgt) {
                continue;
            }
            match candidates.get_mut(&tgt) {
                Some(p) if *p <= src => {}
                Some(p) => *p = src,
                None => {
                    candidates.insert(tgt, src);
                }
            }
        }
        let next_depth = if forward { fd + 1 } else { rd + 1 };
        let mut meeting: Option<(u32, Key)> = None;
        let mut next = Vec::with_capacity(candidates.len());
        for (k, p) in candidates {
            if let Some(o) = opposite.get(&k) {
                let total = next_depth + o.depth;
                if meeting
                    .as_ref()
                    .is_none_or(|(t, m)| total < *t || (total == *t && k < *m))
                {
                    meeting = Some((total, k.clone()));
                }
            }
            active.insert(
                k.clone(),
                Seen {
                    depth: next_depth,
                    parent: Some(p),
                },
            );
            next.push(k);
        }
        if let Some((_, m)) = meeting {
            return Ok(Some(build_path(&m, &fwd, &rev)));
        }
        if forward {
            fset = next;
            fd = next_depth;
        } else {
            rset = next;
            rd = next_depth;
        }
    }
    Ok(None)
}

fn build_path(meeting: &Key, fwd: &HashMap<Key, Seen>, rev: &HashMap<Key, Seen>) -> Vec<Key> {
    let mut path = Vec::new();
    let mut cur = Some(meeting.clone());
    while let Some(k) = cur {
        cur = fwd.get(&k).and_then(|s| s.parent.clone());
        path.push(k);
    }
    path.reverse();
    let mut cur = rev.get(meeting).and_then(|s| s.parent.clone());
    while let Some(k) = cur {
        cur = rev.get(&k).and_then(|s| s.parent.clone());
        path.push(k);
    }
    path
}

/// Edges incident to the node under the temporal filter (edges only), as one COUNT; the node's
/// kind is the first stored row carrying the id. Self-loops count once with "both".
pub async fn degree<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: &AlgoArgs) -> Result<String> {
    let w = Walk::new(ctx, ex.dialect(), a)?;
    let dir = Dir::parse(a.direction.as_deref(), Dir::Both)?;
    if matches!(&a.edges, Some(e) if e.is_empty()) {
        return Ok("0".into());
    }
    let id = a.source.clone().unwrap_or_default();
    let (ef, ep) = w.filter("")?;
    let kind_of = format!(
        "(SELECT kind FROM {} WHERE graph_id = ? AND id = ? ORDER BY kind LIMIT 1)",
        w.nodes
    );
    let side = |k: &str, i: &str| format!("({k} = {kind_of} AND {i} = ?)");
    let mut params = vec![Value::text(w.graph_id)];
    params.extend(ep);
    let push_side = |params: &mut Vec<Value>| {
        params.push(Value::text(w.graph_id));
        params.push(Value::text(&id));
        params.push(Value::text(&id));
    };
    let cond = match dir {
        Dir::Out => {
            push_side(&mut params);
            side("from_kind", "from_id")
        }
        Dir::In => {
            push_side(&mut params);
            side("to_kind", "to_id")
        }
        Dir::Both => {
            push_side(&mut params);
            push_side(&mut params);
            format!(
                "({} OR {})",
                side("from_kind", "from_id"),
                side("to_kind", "to_id")
            )
        }
    };
    let count = if dir == Dir::Both {
        "COUNT(DISTINCT id)"
    } else {
        "COUNT(*)"
    };
    let mut sql = format!(
        "SELECT {count} FROM {} WHERE graph_id = ? AND {ef} AND {cond}",
        w.edges_table
    );
    if let Some(kinds) = &a.edges {
        sql.push_str(" AND ");
        sql.push_str(&w.dialect.in_list("kind"));
        params.push(Value::TextList(kinds.clone()));
    }
    let rows = ex.query(&w.dialect.finish(sql), &params).await?;
    let n = rows
        .first()
        .and_then(|r| r.first())
        .and_then(super::num)
        .unwrap_or(0.0);
    Ok(format!("{}", n as i64))
}
