//! Whole-graph analytics over the visible induced graph: the in-scope nodes (visible, of the
//! selected kinds) and the visible edges of the selected kinds between them, each read in one
//! statement, then iterated in memory with upstream's round semantics (synchronous rounds,
//! the same convergence tests and iteration budgets, ties on the smallest identity).

use super::weighted::convergence;
use super::{AlgoArgs, Dir, Key, Walk};
use crate::error::{Code, Error, Result};
use crate::exec::{col_str, Executor};
use crate::ops::Ctx;
use crate::util::push_json_str;
use crate::value::Value;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

const DEFAULT_MAX_ITERATIONS: u64 = 1000;

/// The induced graph: nodes sorted by identity, edges as index pairs (multiplicity kept).
struct Induced {
    nodes: Vec<Key>,
    edges: Vec<(usize, usize)>,
}

async fn induced<E: Executor>(
    ex: &mut E,
    w: &Walk<'_>,
    node_kinds: Option<&Vec<String>>,
) -> Result<Induced> {
    if node_kinds.is_some_and(|k| k.is_empty()) {
        return Ok(Induced {
            nodes: vec![],
            edges: vec![],
        });
    }
    let (nf, np) = w.filter("n")?;
    let mut sql = format!(
        "SELECT n.id, n.kind FROM {} n WHERE n.graph_id = ? AND {nf}",
        w.nodes
    );
    let mut params = vec![Value::text(w.graph_id)];
    params.extend(np);
    if let Some(kinds) = node_kinds {
        sql.push_str(" AND ");
        sql.push_str(&w.dialect.in_list("n.kind"));
        params.push(Value::TextList(kinds.clone()));
    }
    let rows = ex.query(&w.dialect.finish(sql), &params).await?;
    let mut nodes: Vec<Key> = rows
        .iter()
        .map(|r| Ok((col_str(r, 0)?.to_string(), col_str(r, 1)?.to_string())))
        .collect::<Result<_>>()?;
    nodes.sort();
    nodes.dedup();
    let mut edges = Vec::new();
    if !nodes.is_empty() && !w.edge_kinds.is_empty() {
        let index: HashMap<(&str, &str), usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, k)| ((k.0.as_str(), k.1.as_str()), i))
            .collect();
        let (ef, ep) = w.filter("e")?;
        let sql = w.dialect.finish(format!(
            "SELECT e.from_id, e.from_kind, e.to_id, e.to_kind FROM {} e WHERE e.graph_id = ? AND {} AND {ef}",
            w.edges_table,
            w.dialect.in_list("e.kind")
        ));
        let mut params = vec![
            Value::text(w.graph_id),
            Value::TextList(w.edge_kinds.clone()),
        ];
        params.extend(ep);
        for r in ex.query(&sql, &params).await? {
            let f = index.get(&(col_str(&r, 0)?, col_str(&r, 1)?));
            let t = index.get(&(col_str(&r, 2)?, col_str(&r, 3)?));
            if let (Some(&f), Some(&t)) = (f, t) {
                edges.push((f, t));
            }
        }
    }
    Ok(Induced { nodes, edges })
}

/// Undirected neighbor sets (no self, no repeats), sorted.
fn neighbor_sets(g: &Induced) -> Vec<Vec<usize>> {
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); g.nodes.len()];
    for &(f, t) in &g.edges {
        if f != t {
            adj[f].push(t);
            adj[t].push(f);
        }
    }
    for a in &mut adj {
        a.sort_unstable();
        a.dedup();
    }
    adj
}

fn push_pair(out: &mut String, a: &str, x: &str, b: &str, y: &str) {
    out.push_str(a);
    push_json_str(out, x);
    out.push_str(b);
    push_json_str(out, y);
}

pub async fn wcc<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: &AlgoArgs) -> Result<String> {
    let w = Walk::new(ctx, ex.dialect(), a)?;
    let max_iterations = a.max_iterations.unwrap_or(DEFAULT_MAX_ITERATIONS);
    let g = induced(ex, &w, a.node_kinds.as_ref()).await?;
    let adj = neighbor_sets(&g);
    // Labels are node indices; nodes are sorted, so the smallest index is the smallest identity.
    let mut label: Vec<usize> = (0..g.nodes.len()).collect();
    let mut changed = g.nodes.len();
    let mut iteration = 0;
    while changed > 0 {
        if iteration >= max_iterations {
            return Err(convergence("weaklyConnectedComponents", max_iterations));
        }
        iteration += 1;
        let next: Vec<usize> = (0..label.len())
            .map(|i| adj[i].iter().map(|&j| label[j]).fold(label[i], usize::min))
            .collect();
        changed = next.iter().zip(&label).filter(|(a, b)| a != b).count();
        label = next;
    }
    let mut size: HashMap<usize, u64> = HashMap::new();
    for &l in &label {
        *size.entry(l).or_default() += 1;
    }
    let min = a.min_component_size.unwrap_or(1);
    let mut rows: Vec<(usize, usize)> = label.iter().enumerate().map(|(i, &l)| (l, i)).collect();
    rows.sort_unstable();
    let mut out = String::from("[");
    let mut first = true;
    for (l, i) in rows {
        let s = size[&l];
        if s < min {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        push_pair(
            &mut out,
            "{\"id\":",
            &g.nodes[i].0,
            ",\"kind\":",
            &g.nodes[i].1,
        );
        push_pair(
            &mut out,
            ",\"componentId\":",
            &g.nodes[l].0,
            ",\"componentKind\":",
            &g.nodes[l].1,
        );
        out.push_str(&format!(",\"size\":{s}}}"));
    }
    out.push(']');
    Ok(out)
}

pub async fn label_propagation<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &AlgoArgs,
) -> Result<String> {
    let w = Walk::new(ctx, ex.dialect(), a)?;
    let max_iterations = a.max_iterations.unwrap_or(DEFAULT_MAX_ITERATIONS);
    let return_at_max = a.on_max_iterations.as_deref() == Some("return");
    let g = induced(ex, &w, a.node_kinds.as_ref()).await?;
    let adj = neighbor_sets(&g);
    let n = g.nodes.len();
    let mut label: Vec<usize> = (0..n).collect();
    // Oscillation detector: the label each node held before its latest change.
    let mut shadow: Vec<usize> = (0..n).collect();
    let mut previous: Option<HashMap<usize, usize>> = None; // node → label before that round
    let mut changed = n;
    let mut completed = false;
    let mut finish_next = false;
    let mut iteration = 0u64;
    while !(changed == 0 || completed) {
        if iteration >= max_iterations {
            return Err(convergence("labelPropagation", max_iterations));
        }
        iteration += 1;
        let mut next = label.clone();
        for i in 0..n {
            if adj[i].is_empty() {
                continue;
            }
            let mut votes: BTreeMap<usize, u64> = BTreeMap::new();
            for &j in &adj[i] {
                *votes.entry(label[j]).or_default() += 1;
            }
            let mut best = (0u64, usize::MAX);
            for (l, c) in votes {
                if c > best.0 {
                    best = (c, l);
                }
            }
            next[i] = best.1;
        }
        let changes: Vec<(usize, usize)> = (0..n)
            .filter(|&i| next[i] != label[i])
            .map(|i| (i, next[i]))
            .collect();
        label = next;
        changed = changes.len();
        if changed == 0 {
            break;
        }
        if finish_next {
            completed = true;
            continue;
        }
        // observe the round
        let mut round: HashMap<usize, (usize, usize)> = HashMap::new();
        for &(i, after) in &changes {
            round.insert(i, (shadow[i], after));
            shadow[i] = after;
        }
        let oscillating = match &previous {
            Some(prior) if prior.len() == round.len() && !round.is_empty() => round
                .iter()
                .all(|(i, (_, after))| prior.get(i) == Some(after)),
            _ => false,
        };
        previous = Some(
            round
                .into_iter()
                .map(|(i, (before, _))| (i, before))
                .collect(),
        );
        if oscillating {
            if !return_at_max {
                return Err(Error::new(
                    Code::GraphAlgorithmConvergence,
                    "labelPropagation entered a periodic label oscillation and can never converge.",
                    json!({ "algorithm": "labelPropagation", "maxIterations": max_iterations, "oscillating": true }),
                ));
            }
            let remaining = max_iterations - iteration;
            if remaining.is_multiple_of(2) {
                completed = true;
            } else {
                finish_next = true;
            }
            continue;
        }
        if return_at_max && iteration == max_iterations {
            completed = true;
        }
    }
    let mut rows: Vec<(usize, usize)> = label.iter().enumerate().map(|(i, &l)| (l, i)).collect();
    rows.sort_unstable();
    let mut out = String::from("[");
    for (k, (l, i)) in rows.into_iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_pair(
            &mut out,
            "{\"id\":",
            &g.nodes[i].0,
            ",\"kind\":",
            &g.nodes[i].1,
        );
        push_pair(
            &mut out,
            ",\"labelId\":",
            &g.nodes[l].0,
            ",\"labelKind\":",
            &g.nodes[l].1,
        );
        out.push('}');
    }
    out.push(']');
    Ok(out)
}

pub async fn page_rank<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: &AlgoArgs) -> Result<String> {
    let w = Walk::new(ctx, ex.dialect(), a)?;
    let name = a.algorithm.as_str();
    let dir = Dir::parse(a.direction.as_deref(), Dir::Out)?;
    let d = a.damping_factor.unwrap_or(0.85);
    let tolerance = a.tolerance.unwrap_or(1e-8);
    let max_iterations = a.max_iterations.unwrap_or(DEFAULT_MAX_ITERATIONS);
    let g = induced(ex, &w, a.node_kinds.as_ref()).await?;
    let n = g.nodes.len();
    let missing = |seeds: &[&(String, String, f64)]| {
        Error::new(
            Code::Configuration,
            "Personalized PageRank seeds must identify visible nodes inside the selected induced subgraph.",
            json!({ "missingSeeds": seeds.iter().map(|s| json!({ "id": s.0, "kind": s.1 })).collect::<Vec<_>>() }),
        )
    };
    let seeds = a.seeds.as_ref();
    if n == 0 {
        if let Some(s) = seeds {
            return Err(missing(&s.iter().collect::<Vec<_>>()));
        }
        return Ok("[]".into());
    }
    let mut pers = vec![0.0f64; n];
    match seeds {
        None => pers.iter_mut().for_each(|p| *p = 1.0 / n as f64),
        Some(s) => {
            let index: HashMap<(&str, &str), usize> = g
                .nodes
                .iter()
                .enumerate()
                .map(|(i, k)| ((k.0.as_str(), k.1.as_str()), i))
                .collect();
            let mut absent = Vec::new();
            for seed in s {
                match index.get(&(seed.0.as_str(), seed.1.as_str())) {
                    Some(&i) => pers[i] = seed.2,
                    None => absent.push(seed),
                }
            }
            if !absent.is_empty() {
                return Err(missing(&absent));
            }
        }
    }
    // Transitions (source, target, weight); "both" walks each edge both ways, a self-loop
    // contributing once in total.
    let mut trans: Vec<(usize, usize, f64)> = Vec::new();
    for &(f, t) in &g.edges {
        match dir {
            Dir::Out => trans.push((f, t, 1.0)),
            Dir::In => trans.push((t, f, 1.0)),
            Dir::Both => {
                let wt = if f == t { 0.5 } else { 1.0 };
                trans.push((f, t, wt));
                trans.push((t, f, wt));
            }
        }
    }
    let mut out_w = vec![0.0f64; n];
    for &(s, _, wt) in &trans {
        out_w[s] += wt;
    }
    let mut score = pers.clone();
    let mut iteration = 0u64;
    let mut change = f64::INFINITY;
    while change > tolerance {
        if iteration >= max_iterations {
            return Err(convergence(name, max_iterations));
        }
        iteration += 1;
        let dangling: f64 = (0..n).filter(|&i| out_w[i] == 0.0).map(|i| score[i]).sum();
        let mut next: Vec<f64> = pers
            .iter()
            .map(|p| p * ((1.0 - d) + d * dangling))
            .collect();
        let mut contrib = vec![0.0f64; n];
        let mut touched = vec![false; n];
        for &(s, t, wt) in &trans {
            if out_w[s] > 0.0 {
                contrib[t] += score[s] * wt / out_w[s];
                touched[t] = true;
            }
        }
        for i in 0..n {
            if touched[i] {
                next[i] += d * contrib[i];
            }
        }
        change = (0..n)
            .map(|i| (next[i] - score[i]).abs())
            .fold(0.0, f64::max);
        score = next;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| {
        score[y]
            .total_cmp(&score[x])
            .then_with(|| g.nodes[x].cmp(&g.nodes[y]))
    });
    if let Some(k) = a.top_k {
        order.truncate(k as usize);
    }
    let mut out = String::from("[");
    for (k, i) in order.into_iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_pair(
            &mut out,
            "{\"id\":",
            &g.nodes[i].0,
            ",\"kind\":",
            &g.nodes[i].1,
        );
        out.push_str(&format!(",\"score\":{}}}", json!(score[i])));
    }
    out.push(']');
    Ok(out)
}
