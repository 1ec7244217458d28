//! Minimum-total-weight path: every visible edge's weight is audited first (one statement,
//! first offender in binary id order), then relaxation rounds run from the source's visible
//! identities; each round expands the nodes improved by the previous one (one statement),
//! keeps per target the cheapest candidate (ties: smallest predecessor), prunes candidates
//! dearer than the best known target distance, and the search ends when nothing improves.

use super::{push_key, AlgoArgs, Dir, Key, Walk};
use crate::dialect::Dialect;
use crate::error::{Code, Error, Result};
use crate::exec::{col_str, Executor};
use crate::ops::Ctx;
use crate::value::Value;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

const DEFAULT_MAX_ITERATIONS: u64 = 1000;

fn max_weight() -> f64 {
    f64::MAX / 2f64.powi(64)
}

struct Settled {
    distance: f64,
    hops: u32,
    parent: Option<Key>,
}

pub async fn weighted_shortest_path<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &AlgoArgs,
) -> Result<String> {
    let w = Walk::new(ctx, ex.dialect(), a)?;
    let dir = Dir::parse(a.direction.as_deref(), Dir::Out)?;
    let prop = a.weight_property.clone().unwrap_or_default();
    let max_iterations = a.max_iterations.unwrap_or(DEFAULT_MAX_ITERATIONS);
    audit(ex, &w, &prop, a.default_weight).await?;

    let source = a.source.clone().unwrap_or_default();
    let target = a.target.clone().unwrap_or_default();
    let ends = w.visible(ex, &[source.as_str(), target.as_str()]).await?;
    let sources: Vec<Key> = ends.iter().filter(|k| k.0 == source).cloned().collect();
    if sources.is_empty() || !ends.iter().any(|k| k.0 == target) {
        return Ok("null".into());
    }
    if source == target {
        return Ok(render(&[sources[0].clone()], 0, 0.0));
    }

    let path = [prop];
    let mut weight = w.dialect.json_number("e.props", &path);
    if w.dialect == Dialect::Sqlite {
        weight = format!("CAST({weight} AS REAL)");
    }
    if let Some(d) = a.default_weight {
        weight = format!("COALESCE({weight}, {d:?})");
    }

    let mut settled: HashMap<Key, Settled> = sources
        .iter()
        .map(|k| {
            (
                k.clone(),
                Settled {
                    distance: 0.0,
                    hops: 0,
                    parent: None,
                },
            )
        })
        .collect();
    let mut best: Option<f64> = None;
    let mut frontier = sources;
    let mut rounds = 0u64;
    while !frontier.is_empty() {
        if rounds >= max_iterations {
            return Err(convergence("weightedShortestPath", max_iterations));
        }
        rounds += 1;
        let rows = w.expand(ex, &frontier, dir, Some(&weight)).await?;
        // target → (distance, hops, parent)
        let mut cand: BTreeMap<Key, (f64, u32, Key)> = BTreeMap::new();
        for (src, tgt, wt) in rows {
            let Some(wt) = wt else {
                return Err(Error::invariant(
                    "Weighted graph expansion produced a NULL weight",
                ));
            };
            let Some(s) = settled.get(&src) else { continue };
            let d = s.distance + wt;
            let hops = s.hops + 1;
            match cand.get_mut(&tgt) {
                Some(c) if c.0 < d || (c.0 == d && c.2 <= src) => {}
                Some(c) => *c = (d, hops, src),
                None => {
                    cand.insert(tgt, (d, hops, src));
                }
            }
        }
        let bound = best;
        let mut improved = Vec::new();
        for (k, (d, hops, p)) in cand {
            if settled.get(&k).is_some_and(|s| s.distance <= d) {
                continue;
            }
            if bound.is_some_and(|b| d > b) {
                continue;
            }
            if k.0 == target && best.is_none_or(|b| d < b) {
                best = Some(d);
            }
            settled.insert(
                k.clone(),
                Settled {
                    distance: d,
                    hops,
                    parent: Some(p),
                },
            );
            improved.push(k);
        }
        frontier = improved;
    }

    let mut end: Option<(&Key, &Settled)> = None;
    for (k, s) in &settled {
        if k.0 != target {
            continue;
        }
        if end.is_none_or(|(ek, es)| {
            s.distance < es.distance || (s.distance == es.distance && k < ek)
        }) {
            end = Some((k, s));
        }
    }
    let Some((ek, es)) = end else {
        return Ok("null".into());
    };
    let mut nodes = vec![ek.clone()];
    let mut cur = es.parent.clone();
    while let Some(k) = cur {
        cur = settled.get(&k).and_then(|s| s.parent.clone());
        nodes.push(k);
    }
    nodes.reverse();
    Ok(render(&nodes, es.hops, es.distance))
}

fn render(nodes: &[Key], depth: u32, total: f64) -> String {
    let mut out = String::from("{\"nodes\":[");
    for (i, k) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_key(&mut out, k);
    }
    out.push_str(&format!(
        "],\"depth\":{depth},\"totalWeight\":{}}}",
        json!(total)
    ));
    out
}

pub fn convergence(algorithm: &str, max_iterations: u64) -> Error {
    Error::new(
        Code::GraphAlgorithmConvergence,
        format!("{algorithm} did not converge within {max_iterations} iterations."),
        json!({ "algorithm": algorithm, "maxIterations": max_iterations }),
    )
}

/// The first visible edge (binary id order) of the selected kinds whose weight is missing
/// (without a default), not a JSON number, negative, or out of range.
async fn audit<E: Executor>(
    ex: &mut E,
    w: &Walk<'_>,
    prop: &str,
    default: Option<f64>,
) -> Result<()> {
    if w.edge_kinds.is_empty() {
        return Ok(());
    }
    let path = [prop.to_string()];
    let (ty, text, order) = match w.dialect {
        Dialect::Sqlite => (
            w.dialect
                .json_text("e.props", &path)
                .replacen("json_extract(", "json_type(", 1),
            w.dialect.json_text("e.props", &path),
            "e.id",
        ),
        Dialect::Postgres => (
            format!("jsonb_typeof{}", w.dialect.json_value("e.props", &path)),
            w.dialect.json_text("e.props", &path),
            "e.id COLLATE \"C\"",
        ),
    };
    let (ef, ep) = w.filter("e")?;
    // Rows certainly fine are left in the database; the rest are classified here.
    let max = max_weight();
    let missing_ok = if default.is_some() { "TRUE" } else { "FALSE" };
    let fine = match w.dialect {
        Dialect::Sqlite => format!(
            "CASE WHEN {ty} IN ('integer', 'real') THEN ({text} >= 0 AND {text} <= {max:e} AND ({text} = 0 OR {text} >= 1e-300)) WHEN {ty} IS NULL OR {ty} = 'null' THEN {missing_ok} ELSE FALSE END"
        ),
        Dialect::Postgres => format!(
            "CASE WHEN {ty} = 'number' THEN (CAST({text} AS numeric) >= 0 AND CAST({text} AS numeric) <= CAST('{max:e}' AS numeric) AND (CAST({text} AS numeric) = 0 OR CAST({text} AS numeric) >= CAST('1e-300' AS numeric))) WHEN {ty} IS NULL OR {ty} = 'null' THEN {missing_ok} ELSE FALSE END"
        ),
    };
    let sql = w.dialect.finish(format!(
        "SELECT e.id, e.kind, {ty}, {text} FROM {} e WHERE e.graph_id = ? AND {} AND {ef} AND NOT ({fine}) ORDER BY {order}",
        w.edges_table,
        w.dialect.in_list("e.kind")
    ));
    let mut params = vec![
        Value::text(w.graph_id),
        Value::TextList(w.edge_kinds.clone()),
    ];
    params.extend(ep);
    let rows = ex.query(&sql, &params).await?;
    for r in &rows {
        let t = r.get(2).and_then(|v| v.as_str()).unwrap_or("null");
        let raw = r.get(3).filter(|v| !v.is_null());
        let raw_text = raw.map(|v| match v {
            Value::Int(i) => i.to_string(),
            Value::Real(f) => format!("{}", json!(f)).trim_matches('"').to_string(),
            other => other.as_str().unwrap_or("").to_string(),
        });
        let reason = match t {
            "null" => {
                if default.is_some() {
                    None
                } else {
                    Some("missing")
                }
            }
            "integer" | "real" | "number" => {
                let txt = raw_text.clone().unwrap_or_default();
                let v: f64 = txt.parse().unwrap_or(f64::INFINITY);
                if txt.trim_start().starts_with('-') && v != 0.0 {
                    Some("negative")
                } else if v.abs() > max
                    || (v != 0.0 && v.abs() < f64::from_bits(1))
                    || !v.is_finite()
                {
                    Some("out_of_range")
                } else {
                    None
                }
            }
            _ => Some("non_numeric"),
        };
        if let Some(reason) = reason {
            let id = col_str(r, 0)?;
            let kind = col_str(r, 1)?;
            let mut details =
                json!({ "edgeId": id, "edgeKind": kind, "property": prop, "reason": reason });
            if reason != "missing" {
                if let Some(v) = &raw_text {
                    details["value"] = json!(v);
                }
            }
            let what = match reason {
                "missing" => "has no value for weight property",
                "negative" => "has a negative value for weight property",
                "non_numeric" => "has a non-numeric value for weight property",
                _ => "has an out-of-range value for weight property",
            };
            let shown = details
                .get("value")
                .and_then(|v| v.as_str())
                .map(|v| format!(" (value: {v})"))
                .unwrap_or_default();
            return Err(Error::new(
                Code::InvalidEdgeWeight,
                format!("Edge '{id}' (kind '{kind}') {what} '{prop}'{shown}."),
                details,
            ));
        }
    }
    Ok(())
}
