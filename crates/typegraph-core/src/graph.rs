//! The graph as the engine sees it: kinds, delete behaviour, endpoint rules,
//! unique constraints and the subclass closure. Sent once per store by the
//! TypeScript layer (which owns the zod schemas) and computed once here.

use crate::error::{Code, Error, Result};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum OnDelete {
    #[default]
    Restrict,
    Cascade,
    Disconnect,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum Cardinality {
    #[default]
    Many,
    One,
    Unique,
    OneActive,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UniqueWhere {
    pub field: String,
    pub op: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UniqueConstraint {
    pub name: String,
    pub fields: Vec<String>,
    #[serde(default)]
    pub r#where: Option<UniqueWhere>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub collation: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpec {
    #[serde(default)]
    pub on_delete: Option<OnDelete>,
    #[serde(default)]
    pub unique: Vec<UniqueConstraint>,
    /// `searchable()` fields, in declaration order (one fulltext document per node).
    #[serde(default)]
    pub searchable: Vec<crate::search::SearchableField>,
    /// `embedding()` fields, mirrored into per-field vector tables.
    #[serde(default)]
    pub embeddings: Vec<crate::search::EmbeddingField>,
    /// Prop paths (keys and covering fields) of each declared index on this kind with
    /// scope `graphAndKind`, no `where` and the default method: what an aggregate over
    /// the kind can read without its table rows.
    #[serde(default)]
    pub index_paths: Vec<Vec<Vec<String>>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeSpec {
    /// Allowed source kinds; `None` = any node kind.
    #[serde(default)]
    pub from: Option<Vec<String>>,
    #[serde(default)]
    pub to: Option<Vec<String>>,
    #[serde(default)]
    pub cardinality: Cardinality,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    pub meta_edge: String,
    pub from: String,
    pub to: String,
}

/// Ontology closures the TypeScript layer computed once for this graph.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Closures {
    /// edge kind → the edge kinds that (transitively) imply it.
    #[serde(default)]
    pub edge_implying: BTreeMap<String, Vec<String>>,
    /// edge kind → its `inverseOf` partner (both directions).
    #[serde(default)]
    pub edge_inverses: BTreeMap<String, String>,
    /// Node kinds that may not share an id (widened to subclasses and equivalents).
    #[serde(default)]
    pub disjoint_pairs: Vec<(String, String)>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphSpec {
    pub graph_id: String,
    pub nodes: BTreeMap<String, NodeSpec>,
    pub edges: BTreeMap<String, EdgeSpec>,
    #[serde(default)]
    pub relations: Vec<Relation>,
    #[serde(default)]
    pub default_on_delete: OnDelete,
    /// The schema version a managed store was built against: its writes are fenced
    /// against a concurrent schema commit (`None` = unmanaged store, no fence).
    #[serde(default)]
    pub schema_version: Option<i64>,
    #[serde(default)]
    pub closures: Closures,
    /// Store default for `traverse(…, { expand })`: `none`, `implying`, `inverse` (default) or `all`.
    #[serde(default)]
    pub traversal_expansion: Option<String>,
    /// `history: true`: writes are captured into the recorded relations.
    #[serde(default)]
    pub history: bool,
    /// `revisionTracking: true`: each write transaction advances the graph's recorded clock
    /// (no recorded rows unless `history` is on too).
    #[serde(default)]
    pub revision_tracking: bool,
    /// The identity profile: node writes keep the identity relations (`ops/identity.rs`).
    #[serde(default)]
    pub identity: Option<IdentitySpec>,
}

/// `defineGraph({ identity })` as the engine needs it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySpec {
    /// `sameIdAcrossKinds: "fold"`.
    #[serde(default)]
    pub fold: bool,
}

/// A registered graph with its precomputed closures.
#[derive(Debug)]
pub struct Graph {
    pub spec: GraphSpec,
    /// kind → itself and every kind that is (transitively) a subclass of it.
    pub subclasses: BTreeMap<String, BTreeSet<String>>,
    /// Compiled query plans for this registration, by AST shape.
    pub plans: crate::query::PlanCache,
    /// Search side tables ensured for this registration.
    pub search: crate::search::GraphSearchState,
}

impl Graph {
    pub fn from_json(json: &str) -> Result<Graph> {
        let spec: GraphSpec = serde_json::from_str(json).map_err(|e| {
            Error::config(format!("Invalid graph registration: {e}"), "INVALID_GRAPH")
        })?;
        for (name, e) in &spec.edges {
            for k in e.from.iter().chain(e.to.iter()).flatten() {
                if !spec.nodes.contains_key(k) {
                    return Err(Error::config(
                        format!("Edge \"{name}\" references unknown node kind \"{k}\""),
                        "UNKNOWN_ENDPOINT_KIND",
                    ));
                }
            }
        }
        let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in spec
            .relations
            .iter()
            .filter(|r| r.meta_edge == "subClassOf")
        {
            parents
                .entry(r.from.as_str())
                .or_default()
                .push(r.to.as_str());
        }
        let mut subclasses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for kind in spec.nodes.keys() {
            // Walk up from each kind, registering it under every ancestor.
            let mut stack = vec![kind.as_str()];
            let mut seen = BTreeSet::new();
            while let Some(k) = stack.pop() {
                if !seen.insert(k) {
                    continue;
                }
                subclasses
                    .entry(k.to_string())
                    .or_default()
                    .insert(kind.clone());
                if let Some(ps) = parents.get(k) {
                    stack.extend(ps.iter().copied());
                }
            }
        }
        Ok(Graph {
            spec,
            subclasses,
            plans: Default::default(),
            search: Default::default(),
        })
    }

    pub fn id(&self) -> &str {
        &self.spec.graph_id
    }

    /// The schema version this registration's writes are fenced on.
    pub fn schema_version(&self) -> Option<i64> {
        self.spec.schema_version
    }

    pub fn node(&self, kind: &str) -> Result<&NodeSpec> {
        self.spec
            .nodes
            .get(kind)
            .ok_or_else(|| kind_not_found(kind, "node", self.id()))
    }

    pub fn edge(&self, kind: &str) -> Result<&EdgeSpec> {
        self.spec
            .edges
            .get(kind)
            .ok_or_else(|| kind_not_found(kind, "edge", self.id()))
    }

    pub fn on_delete(&self, kind: &str) -> OnDelete {
        self.spec
            .nodes
            .get(kind)
            .and_then(|n| n.on_delete)
            .unwrap_or(self.spec.default_on_delete)
    }

    /// Node kinds disjoint with `kind`.
    pub fn disjoint_with(&self, kind: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (a, b) in &self.spec.closures.disjoint_pairs {
            let other = if a == kind {
                b.as_str()
            } else if b == kind {
                a.as_str()
            } else {
                continue;
            };
            if !out.contains(&other) {
                out.push(other);
            }
        }
        out
    }

    /// The edge kinds a traversal of `kind` follows forwards and backwards under
    /// an expansion mode (`none`, `implying`, `inverse`, `all`; absent = store default).
    pub fn expand_edge(
        &self,
        kind: &str,
        expand: Option<&str>,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let mode = expand
            .or(self.spec.traversal_expansion.as_deref())
            .unwrap_or("inverse");
        let (implying, inverse) = match mode {
            "none" => (false, false),
            "implying" => (true, false),
            "inverse" => (false, true),
            "all" => (true, true),
            other => {
                return Err(Error::validation(
                    format!("Unknown traversal expansion \"{other}\""),
                    json!({ "issues": [{ "path": "expand", "message": "none | implying | inverse | all" }] }),
                ))
            }
        };
        let c = &self.spec.closures;
        let widen = |k: &str| -> Vec<String> {
            let mut v = vec![k.to_string()];
            if implying {
                for i in c.edge_implying.get(k).into_iter().flatten() {
                    if !v.contains(i) {
                        v.push(i.clone());
                    }
                }
            }
            v
        };
        let direct = widen(kind);
        let mut backward: Vec<String> = Vec::new();
        if inverse {
            for k in &direct {
                if let Some(inv) = c.edge_inverses.get(k) {
                    for w in widen(inv) {
                        if !backward.contains(&w) {
                            backward.push(w);
                        }
                    }
                }
            }
        }
        Ok((direct, backward))
    }

    /// Whether a node of `kind` may stand where `allowed` kinds are expected.
    pub fn endpoint_allowed(&self, allowed: &Option<Vec<String>>, kind: &str) -> bool {
        match allowed {
            None => self.spec.nodes.contains_key(kind),
            Some(list) => list
                .iter()
                .any(|a| a == kind || self.subclasses.get(a).is_some_and(|s| s.contains(kind))),
        }
    }
}

pub fn kind_not_found(kind: &str, entity: &str, graph_id: &str) -> Error {
    Error::new(
        Code::KindNotFound,
        format!(
            "{} kind \"{kind}\" not found in graph \"{graph_id}\"",
            if entity == "node" { "Node" } else { "Edge" }
        ),
        json!({ "kindName": kind, "entity": entity, "graphId": graph_id }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subclass_closure_is_transitive() {
        let g = Graph::from_json(
            r#"{"graphId":"g","nodes":{"A":{},"B":{},"C":{}},"edges":{"e":{"from":["A"],"to":["C"]}},
               "relations":[{"metaEdge":"subClassOf","from":"B","to":"A"},{"metaEdge":"subClassOf","from":"C","to":"B"}]}"#,
        )
        .unwrap();
        assert!(g.subclasses["A"].contains("C"));
        assert!(g.endpoint_allowed(&g.spec.edges["e"].from, "C"));
        assert!(!g.endpoint_allowed(&g.spec.edges["e"].to, "A"));
    }

    #[test]
    fn unknown_endpoint_kind_is_refused() {
        let e =
            Graph::from_json(r#"{"graphId":"g","nodes":{"A":{}},"edges":{"e":{"from":["Z"]}}}"#)
                .unwrap_err();
        assert_eq!(e.code, Code::Configuration);
    }
}
