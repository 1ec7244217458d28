//! Graph algorithms and subgraph extraction, run in the engine: one crossing per call.
//!
//! Every algorithm reads the graph set-based inside one transaction (a consistent snapshot
//! for its statements): traversals read one frontier level per statement (the frontier
//! travels as one parameter, joined to the edge table's `(graph_id, <side>_kind, <side>_id)`
//! index, the far endpoint checked against the node table under the same temporal filter)
//! and keep the visited set here; the whole-graph analytics read the visible induced graph
//! once (nodes, then edges) and iterate in memory. Node identity is `(id, kind)`; every
//! tie is broken on the smallest identity in code-point (byte) order, as upstream.

pub mod analytics;
pub mod subgraph;
pub mod traverse;
pub mod weighted;

use crate::dialect::Dialect;
use crate::error::{Code, Error, Result};
use crate::exec::{col_str, Executor};
use crate::ops::{Ctx, Temporal};
use crate::util::now_iso;
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;

/// A node identity: `(id, kind)`, ordered by id then kind (code points).
pub type Key = (String, String);

/// Arguments of the `algorithm` operation (one struct for every algorithm).
#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct AlgoArgs {
    pub algorithm: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub edges: Option<Vec<String>>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub max_hops: Option<u32>,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
    #[serde(default)]
    pub working_memory: Option<String>,
    #[serde(default)]
    pub weight_property: Option<String>,
    #[serde(default)]
    pub default_weight: Option<f64>,
    #[serde(default)]
    pub max_iterations: Option<u64>,
    #[serde(default)]
    pub node_kinds: Option<Vec<String>>,
    #[serde(default)]
    pub min_component_size: Option<u64>,
    #[serde(default)]
    pub on_max_iterations: Option<String>,
    #[serde(default)]
    pub damping_factor: Option<f64>,
    #[serde(default)]
    pub tolerance: Option<f64>,
    #[serde(default)]
    pub top_k: Option<u64>,
    #[serde(default)]
    pub seeds: Option<Vec<(String, String, f64)>>,
    #[serde(default)]
    pub max_depth: Option<u32>,
    #[serde(default)]
    pub include_kinds: Option<Vec<String>>,
    #[serde(default)]
    pub exclude_root: Option<bool>,
}

impl AlgoArgs {
    pub fn temporal(&self) -> Temporal {
        Temporal {
            temporal_mode: self.temporal_mode.clone(),
            as_of: self.as_of.clone(),
        }
    }
    pub fn edge_kinds(&self) -> Vec<String> {
        let mut v = self.edges.clone().unwrap_or_default();
        v.sort();
        v.dedup();
        v
    }
}

/// Traversal direction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    Out,
    In,
    Both,
}

impl Dir {
    pub fn parse(s: Option<&str>, default: Dir) -> Result<Dir> {
        match s {
            None => Ok(default),
            Some("out") => Ok(Dir::Out),
            Some("in") => Ok(Dir::In),
            Some("both") => Ok(Dir::Both),
            Some(other) => Err(Error::new(
                Code::Configuration,
                format!("Graph algorithm direction must be \"out\", \"in\" or \"both\", got \"{other}\"."),
                json!({ "option": "direction", "value": other }),
            )),
        }
    }
    pub fn reverse(self) -> Dir {
        match self {
            Dir::Out => Dir::In,
            Dir::In => Dir::Out,
            Dir::Both => Dir::Both,
        }
    }
    /// `(join kind, join id, target kind, target id)` columns per branch.
    fn branches(self) -> &'static [(&'static str, &'static str, &'static str, &'static str)] {
        const OUT: (&str, &str, &str, &str) = ("from_kind", "from_id", "to_kind", "to_id");
        const IN: (&str, &str, &str, &str) = ("to_kind", "to_id", "from_kind", "from_id");
        match self {
            Dir::Out => &[OUT],
            Dir::In => &[IN],
            Dir::Both => &[OUT, IN],
        }
    }
}

/// What every statement of one run shares: graph, tables, dialect, the resolved temporal
/// filter (its instant taken once) and the selected edge kinds.
pub struct Walk<'a> {
    pub graph_id: &'a str,
    pub nodes: &'a str,
    pub edges_table: &'a str,
    pub dialect: Dialect,
    pub temporal: Temporal,
    pub now: String,
    pub edge_kinds: Vec<String>,
}

impl<'a> Walk<'a> {
    pub fn new(ctx: &'a Ctx<'_>, dialect: Dialect, a: &AlgoArgs) -> Result<Walk<'a>> {
        let temporal = a.temporal();
        let now = now_iso();
        // Validates the mode and coordinate up front.
        temporal.filter("", &now)?;
        Ok(Walk {
            graph_id: ctx.graph.id(),
            nodes: &ctx.tables.nodes,
            edges_table: &ctx.tables.edges,
            dialect,
            temporal,
            now,
            edge_kinds: a.edge_kinds(),
        })
    }

    pub fn filter(&self, alias: &str) -> Result<(String, Vec<Value>)> {
        self.temporal.filter(alias, &self.now)
    }

    /// The frontier relation `f(k, i)` bound as parameters (one JSON array on SQLite, two
    /// text arrays on PostgreSQL).
    fn frontier_rel(&self, frontier: &[Key], params: &mut Vec<Value>) -> Result<String> {
        match self.dialect {
            Dialect::Sqlite => {
                let pairs: Vec<[&str; 2]> = frontier
                    .iter()
                    .map(|(i, k)| [k.as_str(), i.as_str()])
                    .collect();
                params.push(Value::Text(serde_json::to_string(&pairs)?));
                Ok("(SELECT json_extract(value, '$[0]') AS k, json_extract(value, '$[1]') AS i FROM json_each(?)) AS f".into())
            }
            Dialect::Postgres => {
                params.push(Value::TextList(
                    frontier.iter().map(|(_, k)| k.clone()).collect(),
                ));
                params.push(Value::TextList(
                    frontier.iter().map(|(i, _)| i.clone()).collect(),
                ));
                Ok("unnest(CAST(? AS text[]), CAST(? AS text[])) AS f(k, i)".into())
            }
        }
    }

    /// One level: every visible edge of the selected kinds leaving (per `dir`) a frontier node
    /// whose far endpoint is a visible node. Rows are `(source, target, weight?)`.
    pub async fn expand<E: Executor>(
        &self,
        ex: &mut E,
        frontier: &[Key],
        dir: Dir,
        weight: Option<&str>,
    ) -> Result<Vec<(Key, Key, Option<f64>)>> {
        if frontier.is_empty() || self.edge_kinds.is_empty() {
            return Ok(Vec::new());
        }
        let mut params: Vec<Value> = Vec::new();
        let mut parts = Vec::new();
        for (jk, ji, tk, ti) in dir.branches() {
            let rel = self.frontier_rel(frontier, &mut params)?;
            params.push(Value::text(self.graph_id));
            params.push(Value::TextList(self.edge_kinds.clone()));
            let (ef, ep) = self.filter("e")?;
            params.extend(ep);
            let (nf, np) = self.filter("n")?;
            params.extend(np);
            let w = match weight {
                Some(expr) => format!(", {expr}"),
                None => String::new(),
            };
            // SQLite: CROSS JOIN keeps the frontier outermost (a statement that also reads
            // `props` for weights otherwise tempts the planner into scanning the kind index).
            let join = match self.dialect {
                Dialect::Sqlite => "CROSS JOIN",
                Dialect::Postgres => "JOIN",
            };
            parts.push(format!(
                "SELECT e.{ji}, e.{jk}, e.{ti}, e.{tk}{w} FROM {rel} {join} {edges} e ON e.graph_id = ? AND e.{jk} = f.k AND e.{ji} = f.i \
                 JOIN {nodes} n ON n.graph_id = e.graph_id AND n.kind = e.{tk} AND n.id = e.{ti} \
                 WHERE {kinds} AND {ef} AND {nf}",
                edges = self.edges_table,
                nodes = self.nodes,
                kinds = self.dialect.in_list("e.kind"),
            ));
        }
        let sql = self.dialect.finish(parts.join(" UNION ALL "));
        let rows = ex.query(&sql, &params).await?;
        rows.iter()
            .map(|r| {
                let wv = if weight.is_some() {
                    r.get(4).and_then(num)
                } else {
                    None
                };
                Ok((
                    (col_str(r, 0)?.to_string(), col_str(r, 1)?.to_string()),
                    (col_str(r, 2)?.to_string(), col_str(r, 3)?.to_string()),
                    wv,
                ))
            })
            .collect()
    }

    /// The visible nodes carrying one of `ids` (any kind), sorted by identity.
    pub async fn visible<E: Executor>(&self, ex: &mut E, ids: &[&str]) -> Result<Vec<Key>> {
        let (nf, np) = self.filter("n")?;
        let sql = self.dialect.finish(format!(
            "SELECT n.id, n.kind FROM {} n WHERE n.graph_id = ? AND {} AND {nf}",
            self.nodes,
            self.dialect.in_list("n.id")
        ));
        let mut params = vec![
            Value::text(self.graph_id),
            Value::TextList(ids.iter().map(|s| s.to_string()).collect()),
        ];
        params.extend(np);
        let rows = ex.query(&sql, &params).await?;
        let mut out: Vec<Key> = rows
            .iter()
            .map(|r| Ok((col_str(r, 0)?.to_string(), col_str(r, 1)?.to_string())))
            .collect::<Result<_>>()?;
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// A numeric cell (PostgreSQL may hand numbers as text).
pub fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Real(f) => Some(*f),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    }
}

/// PostgreSQL `work_mem` for this transaction, when asked (validated again here: it is spliced).
async fn apply_working_memory<E: Executor>(ex: &mut E, wm: Option<&str>) -> Result<()> {
    let Some(wm) = wm else { return Ok(()) };
    let digits = wm.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &wm[digits.len()..];
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && matches!(unit, "kB" | "MB" | "GB");
    if !ok {
        return Err(Error::new(
            Code::Configuration,
            format!("Iterative graph operation workingMemory must be digits followed by kB, MB, or GB (for example \"64MB\"), got {wm:?}."),
            json!({ "workingMemory": wm }),
        ));
    }
    if ex.dialect() == Dialect::Postgres {
        ex.execute(&format!("SET LOCAL work_mem = '{wm}'"), &[])
            .await?;
    }
    Ok(())
}

/// Runs one algorithm call: its statements share one transaction (one snapshot). On SQLite a
/// savepoint opens it (outside a transaction that is a deferred, read-only-until-written one:
/// writers elsewhere are not locked out); on PostgreSQL a transaction, where `workingMemory`
/// applies. `degree` is one statement and needs none.
pub async fn run<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: AlgoArgs) -> Result<String> {
    if a.algorithm == "degree" {
        return run_in(ex, ctx, &a).await;
    }
    let sqlite = ex.dialect() == Dialect::Sqlite;
    if sqlite {
        ex.execute("SAVEPOINT tg_algorithm", &[]).await?;
    } else {
        ex.begin().await?;
    }
    let out = match apply_working_memory(ex, a.working_memory.as_deref()).await {
        Ok(()) => run_in(ex, ctx, &a).await,
        Err(e) => Err(e),
    };
    match out {
        Ok(v) => {
            if sqlite {
                ex.execute("RELEASE tg_algorithm", &[]).await?;
            } else {
                ex.commit().await?;
            }
            Ok(v)
        }
        Err(e) => {
            if sqlite {
                let _ = ex.execute("ROLLBACK TO tg_algorithm", &[]).await;
                let _ = ex.execute("RELEASE tg_algorithm", &[]).await;
            } else {
                let _ = ex.rollback().await;
            }
            Err(e)
        }
    }
}

async fn run_in<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: &AlgoArgs) -> Result<String> {
    match a.algorithm.as_str() {
        "shortestPath" => traverse::shortest_path(ex, ctx, a, false).await,
        "canReach" => traverse::shortest_path(ex, ctx, a, true).await,
        "reachable" => traverse::reachable(ex, ctx, a).await,
        "degree" => traverse::degree(ex, ctx, a).await,
        "weightedShortestPath" => weighted::weighted_shortest_path(ex, ctx, a).await,
        "weaklyConnectedComponents" => analytics::wcc(ex, ctx, a).await,
        "labelPropagation" => analytics::label_propagation(ex, ctx, a).await,
        "pageRank" | "personalizedPageRank" => analytics::page_rank(ex, ctx, a).await,
        "subgraph" => subgraph::subgraph(ex, ctx, a).await,
        other => Err(Error::invariant(format!(
            "unknown graph algorithm \"{other}\""
        ))),
    }
}

/// `{"id":…,"kind":…}` into `out`.
pub fn push_key(out: &mut String, k: &Key) {
    out.push_str("{\"id\":");
    crate::util::push_json_str(out, &k.0);
    out.push_str(",\"kind\":");
    crate::util::push_json_str(out, &k.1);
    out.push('}');
}
