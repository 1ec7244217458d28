//! Operational identity (`store.identity`): the assertion ledger, its derived current closure
//! and separation relation, and the identity reads — operation `identity`, one call per facade
//! call (a bulk call is one call for the whole batch, atomically).
//!
//! Classes are derived, not trusted: every read and every write check walks the ledger from
//! the nodes it starts at (explicit `same` assertions active at the coordinate, plus — with
//! `fold` — live nodes sharing an id), one statement pair per level. The materialized closure
//! (`typegraph_identity_closure`: members of classes of two or more, labelled with the
//! code-point-least member) and the separation relation (`typegraph_identity_separation`: one
//! row per pair of classes a current `different` assertion keeps apart, ordered so the CHECK
//! `low < high` rejects a fused pair) are rewritten for the affected classes inside the same
//! transaction as the ledger write.

use super::Ctx;
use crate::dialect::{quote_ident, Dialect, NODE_COLS};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::util::{generate_id, now_iso};
use crate::value::{Row, Value};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
pub struct NRef {
    pub kind: String,
    pub id: String,
}

impl NRef {
    fn new(kind: &str, id: &str) -> NRef {
        NRef {
            kind: kind.to_string(),
            id: id.to_string(),
        }
    }
    fn json(&self) -> Json {
        json!({ "kind": self.kind, "id": self.id })
    }
    /// The persisted class-key encoding: the JSON array `[kind, id]`.
    fn class_key(&self) -> String {
        serde_json::to_string(&[&self.kind, &self.id]).unwrap_or_default()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pair {
    pub a: NRef,
    pub b: NRef,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityArgs {
    pub action: String,
    /// `sameIdAcrossKinds: "fold"`.
    #[serde(default)]
    pub fold: bool,
    /// Ontology-disjoint kind pairs.
    #[serde(default)]
    pub disjoint: Vec<(String, String)>,
    #[serde(default)]
    pub relation: Option<String>,
    #[serde(default)]
    pub pairs: Vec<Pair>,
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub refs: Vec<NRef>,
    /// Reads: `membersOf`, `representativeOf`, `nodesOf`, `areSame`, `areDifferent`, `assertionsOf`.
    #[serde(default)]
    pub read: Option<String>,
    /// A read's valid-time coordinate (absent: now).
    #[serde(default)]
    pub at: Option<String>,
    /// A read's temporal mode (`current`, `asOf`, `includeEnded`, `includeTombstones`).
    #[serde(default)]
    pub mode: Option<String>,
    /// Export: include ended assertions.
    #[serde(default)]
    pub archival: bool,
    /// Import: ledger rows as exported.
    #[serde(default)]
    pub rows: Vec<ImportRow>,
    /// Export: keep rows whose endpoints are soft-deleted.
    #[serde(default)]
    pub include_deleted: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRow {
    pub id: String,
    pub relation: String,
    pub a: NRef,
    pub b: NRef,
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub ended_by: Option<NRef>,
}

struct Names {
    assertions: String,
    closure: String,
    separation: String,
    nodes: String,
    /// The node kinds the graph registers: identity derivations see only these (rows of a
    /// removed kind neither conduct nor count).
    kinds: BTreeSet<String>,
}

fn names(ctx: &Ctx<'_>) -> Names {
    let t = ctx.tables;
    Names {
        assertions: quote_ident(&t.physical("identityAssertions", "typegraph_identity_assertions")),
        closure: quote_ident(&t.physical("identityClosure", "typegraph_identity_closure")),
        separation: quote_ident(&t.physical("identitySeparation", "typegraph_identity_separation")),
        nodes: t.nodes.clone(),
        kinds: ctx.graph.spec.nodes.keys().cloned().collect(),
    }
}

#[derive(Clone, Debug)]
struct NodeInfo {
    created_at: Option<String>,
    valid_from: Option<String>,
    valid_to: Option<String>,
    deleted_at: Option<String>,
}

impl NodeInfo {
    fn live(&self) -> bool {
        self.deleted_at.is_none()
    }
    fn visible_at(&self, t: &str) -> bool {
        self.live()
            && self.valid_from.as_deref().is_none_or(|f| f <= t)
            && self.valid_to.as_deref().is_none_or(|e| e > t)
    }
}

#[derive(Clone, Debug)]
struct ARow {
    id: String,
    rel: String,
    a: NRef,
    b: NRef,
    valid_from: String,
    valid_to: Option<String>,
    ended_by: Option<NRef>,
}

impl ARow {
    fn json(&self) -> Json {
        let mut o = json!({
            "id": self.id,
            "relation": self.rel,
            "a": self.a.json(),
            "b": self.b.json(),
            "validFrom": self.valid_from,
        });
        if let Some(t) = &self.valid_to {
            o["validTo"] = json!(t);
        }
        o
    }
    fn active_at(&self, t: &str) -> bool {
        self.valid_from.as_str() <= t && self.valid_to.as_deref().is_none_or(|e| e > t)
    }
}

const A_COLS: &str =
    "id, rel, a_kind, a_id, b_kind, b_id, valid_from, valid_to, ended_by_kind, ended_by_id";

fn s(row: &Row, i: usize) -> String {
    row.get(i)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}
fn os(row: &Row, i: usize) -> Option<String> {
    row.get(i).and_then(|v| v.as_str()).map(str::to_string)
}

fn arow(row: &Row) -> ARow {
    ARow {
        id: s(row, 0),
        rel: s(row, 1),
        a: NRef::new(&s(row, 2), &s(row, 3)),
        b: NRef::new(&s(row, 4), &s(row, 5)),
        valid_from: s(row, 6),
        valid_to: os(row, 7),
        ended_by: match (os(row, 8), os(row, 9)) {
            (Some(k), Some(i)) => Some(NRef { kind: k, id: i }),
            _ => None,
        },
    }
}

/// `(kcol, icol) IN <pairs bound as two list parameters>`.
fn pair_in(d: Dialect, kcol: &str, icol: &str) -> String {
    match d {
        Dialect::Sqlite => format!(
            "({kcol}, {icol}) IN (SELECT k.value, i.value FROM json_each(?) k JOIN json_each(?) i ON i.key = k.key)"
        ),
        Dialect::Postgres => format!(
            "({kcol}, {icol}) IN (SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[])))"
        ),
    }
}

fn pair_params<'a>(refs: impl IntoIterator<Item = &'a NRef>) -> [Value; 2] {
    let (k, i): (Vec<String>, Vec<String>) = refs
        .into_iter()
        .map(|r| (r.kind.clone(), r.id.clone()))
        .unzip();
    [Value::TextList(k), Value::TextList(i)]
}

/// Which assertions a walk follows.
#[derive(Clone)]
enum Span {
    /// Active at the instant.
    At(String),
    /// Overlapping the half-open window (`None`: open).
    Overlap(String, Option<String>),
}

impl Span {
    fn sql(&self, params: &mut Vec<Value>) -> String {
        match self {
            Span::At(t) => {
                params.push(Value::Ts(Some(t.clone())));
                params.push(Value::Ts(Some(t.clone())));
                "valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)".into()
            }
            Span::Overlap(f, t) => {
                params.push(Value::Ts(Some(f.clone())));
                let mut s =
                    "(valid_to IS NULL OR (valid_to > ? AND valid_to <> valid_from))".to_string();
                if let Some(t) = t {
                    params.push(Value::Ts(Some(t.clone())));
                    s.push_str(" AND valid_from < ?");
                }
                s
            }
        }
    }
}

/// The part of the identity graph a walk reached.
#[derive(Default)]
struct Hood {
    nodes: HashMap<NRef, NodeInfo>,
    rows: BTreeMap<String, ARow>,
    /// A past instant the hood is read at (`None`: now).
    at: Option<String>,
}

impl Hood {
    /// Whether a node conducts identity (folds, assertions) at the hood's instant: live now, or
    /// for a past instant written by then and not yet deleted (its lifecycle, not its window).
    fn conducts(&self, i: &NodeInfo) -> bool {
        match &self.at {
            None => i.live(),
            Some(t) => i.deleted_at.as_deref().is_none_or(|d| d > t.as_str()),
        }
    }
    /// Whether a node takes part in same-id folding at the hood's instant: folds follow the
    /// node's lifecycle (written by then), not its validity window.
    fn folds(&self, i: &NodeInfo) -> bool {
        self.conducts(i)
            && match &self.at {
                None => true,
                Some(t) => i.created_at.as_deref().is_none_or(|c| c <= t.as_str()),
            }
    }
    fn live(&self, r: &NRef) -> bool {
        self.nodes.get(r).is_some_and(|i| self.conducts(i))
    }
}

async fn load_nodes<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    ids: Vec<String>,
    hood: &mut Hood,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let d = ex.dialect();
    let sql = d.finish(format!(
        "SELECT kind, id, valid_from, valid_to, deleted_at, created_at FROM {} WHERE graph_id = ? AND {}",
        n.nodes,
        d.in_list("id")
    ));
    for row in ex
        .query(&sql, &[Value::text(graph), Value::TextList(ids)])
        .await?
    {
        if !n.kinds.contains(&s(&row, 0)) {
            continue;
        }
        hood.nodes.insert(
            NRef::new(&s(&row, 0), &s(&row, 1)),
            NodeInfo {
                created_at: os(&row, 5),
                valid_from: os(&row, 2),
                valid_to: os(&row, 3),
                deleted_at: os(&row, 4),
            },
        );
    }
    Ok(())
}

async fn load_touching<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    refs: &[NRef],
    span: &Span,
    rel: Option<&str>,
) -> Result<Vec<ARow>> {
    if refs.is_empty() {
        return Ok(vec![]);
    }
    let d = ex.dialect();
    let mut params = Vec::new();
    let mut parts = Vec::new();
    for (kc, ic) in [("a_kind", "a_id"), ("b_kind", "b_id")] {
        params.push(Value::text(graph));
        params.extend(pair_params(refs));
        let mut w = format!(
            "graph_id = ? AND {} AND deleted_at IS NULL AND ",
            pair_in(d, kc, ic)
        );
        w.push_str(&span.sql(&mut params));
        if let Some(r) = rel {
            w.push_str(" AND rel = ?");
            params.push(Value::text(r));
        }
        parts.push(format!("SELECT {A_COLS} FROM {} WHERE {w}", n.assertions));
    }
    let sql = d.finish(parts.join(" UNION "));
    Ok(ex
        .query(&sql, &params)
        .await?
        .iter()
        .map(arow)
        .filter(|r| n.kinds.contains(&r.a.kind) && n.kinds.contains(&r.b.kind))
        .collect())
}

/// Walks from `seeds` over `same` assertions in `span` (and same-id folds through live nodes),
/// collecting node rows, the `same` rows followed and the `different` rows touching what it reached.
async fn gather<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    seeds: &[NRef],
    span: &Span,
    fold: bool,
    at: Option<String>,
) -> Result<Hood> {
    let mut hood = Hood {
        at,
        ..Hood::default()
    };
    let mut queried: BTreeSet<String> = BTreeSet::new();
    let mut expanded: BTreeSet<NRef> = BTreeSet::new();
    let mut to_expand: BTreeSet<NRef> = seeds.iter().cloned().collect();
    let mut info: BTreeSet<NRef> = BTreeSet::new();
    while !to_expand.is_empty() || !info.is_empty() {
        let ids: BTreeSet<String> = to_expand
            .iter()
            .chain(info.iter())
            .map(|r| r.id.clone())
            .filter(|i| !queried.contains(i))
            .collect();
        queried.extend(ids.iter().cloned());
        load_nodes(ex, n, graph, ids.into_iter().collect(), &mut hood).await?;
        info.clear();
        let mut now: BTreeSet<NRef> = to_expand
            .iter()
            .filter(|r| hood.live(r) && !expanded.contains(*r))
            .cloned()
            .collect();
        if fold {
            let ids: BTreeSet<&str> = now
                .iter()
                .filter(|r| hood.nodes.get(*r).is_some_and(|i| hood.folds(i)))
                .map(|r| r.id.as_str())
                .collect();
            let peers: Vec<NRef> = hood
                .nodes
                .iter()
                .filter(|(r, i)| {
                    hood.folds(i) && ids.contains(r.id.as_str()) && !expanded.contains(*r)
                })
                .map(|(r, _)| r.clone())
                .collect();
            now.extend(peers);
        }
        to_expand.clear();
        if now.is_empty() {
            continue;
        }
        expanded.extend(now.iter().cloned());
        let list: Vec<NRef> = now.into_iter().collect();
        for row in load_touching(ex, n, graph, &list, span, None).await? {
            if hood.rows.contains_key(&row.id) {
                continue;
            }
            for end in [&row.a, &row.b] {
                if expanded.contains(end) {
                    continue;
                }
                if row.rel == "same" {
                    to_expand.insert(end.clone());
                } else if !hood.nodes.contains_key(end) {
                    info.insert(end.clone());
                }
            }
            hood.rows.insert(row.id.clone(), row);
        }
    }
    Ok(hood)
}

/// Union-find over node references.
#[derive(Default)]
struct Uf {
    parent: HashMap<NRef, NRef>,
}

impl Uf {
    fn find(&mut self, r: &NRef) -> NRef {
        let mut root = r.clone();
        while let Some(p) = self.parent.get(&root) {
            if *p == root {
                break;
            }
            root = p.clone();
        }
        let mut cur = r.clone();
        while cur != root {
            let next = self
                .parent
                .get(&cur)
                .cloned()
                .unwrap_or_else(|| root.clone());
            self.parent.insert(cur, root.clone());
            cur = next;
        }
        self.parent
            .entry(root.clone())
            .or_insert_with(|| root.clone());
        root
    }
    fn union(&mut self, a: &NRef, b: &NRef) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }
    fn same(&mut self, a: &NRef, b: &NRef) -> bool {
        self.find(a) == self.find(b)
    }
}

/// Classes over the hood's live nodes: folds plus the `same` rows `active` admits.
fn classes(hood: &Hood, fold: bool, active: impl Fn(&ARow) -> bool) -> Uf {
    let mut uf = Uf::default();
    let live: Vec<&NRef> = hood
        .nodes
        .iter()
        .filter(|(_, i)| hood.conducts(i))
        .map(|(r, _)| r)
        .collect();
    for r in &live {
        uf.find(r);
    }
    if fold {
        let mut by_id: HashMap<&str, &NRef> = HashMap::new();
        for r in live
            .iter()
            .filter(|r| hood.nodes.get(**r).is_some_and(|i| hood.folds(i)))
        {
            match by_id.get(r.id.as_str()) {
                Some(first) => {
                    let f = (*first).clone();
                    uf.union(&f, r)
                }
                None => {
                    by_id.insert(r.id.as_str(), r);
                }
            }
        }
    }
    for row in hood.rows.values() {
        if row.rel == "same" && active(row) && hood.live(&row.a) && hood.live(&row.b) {
            uf.union(&row.a, &row.b);
        }
    }
    uf
}

fn members_of(hood: &Hood, uf: &mut Uf, r: &NRef) -> Vec<NRef> {
    let root = uf.find(r);
    let mut out: Vec<NRef> = hood
        .nodes
        .iter()
        .filter(|(m, i)| hood.conducts(i) && uf.find(m) == root)
        .map(|(m, _)| m.clone())
        .collect();
    if !out.contains(r) {
        out.push(r.clone());
    }
    out.sort();
    out
}

fn contradiction(op: &str, a: &NRef, b: &NRef, reason: &str, extra: Json) -> Error {
    let mut d = json!({ "operation": op, "a": a.json(), "b": b.json(), "reason": reason });
    if let (Some(o), Json::Object(e)) = (d.as_object_mut(), extra) {
        o.extend(e);
    }
    Error::new(
        Code::IdentityContradiction,
        format!(
            "Identity contradiction: {}/{} and {}/{} cannot satisfy {op}.",
            a.kind, a.id, b.kind, b.id
        ),
        d,
    )
}

fn window_error(reason: &str, code: Code, from: &str, to: Option<&str>, now: &str) -> Error {
    let mut d = json!({ "reason": reason, "validFrom": from, "operationInstant": now });
    if let Some(t) = to {
        d["validTo"] = json!(t);
    }
    Error::new(
        code,
        format!("Identity assertion validity window cannot be applied: {reason}."),
        d,
    )
}

struct Window {
    from: String,
    to: Option<String>,
    explicit: bool,
}

fn resolve_window(p: &Pair, now: &str) -> Result<Window> {
    let explicit = p.valid_from.is_some() || p.valid_to.is_some();
    let from = match &p.valid_from {
        Some(f) => super::strict_instant(f, "validFrom")?,
        None => now.to_string(),
    };
    let to = match &p.valid_to {
        Some(t) => Some(super::strict_instant(t, "validTo")?),
        None => None,
    };
    if from.as_str() > now {
        return Err(window_error(
            "future-valid-from",
            Code::IdentityValidityFutureStart,
            &from,
            to.as_deref(),
            now,
        ));
    }
    if let Some(t) = &to {
        if t.as_str() > now {
            return Err(window_error(
                "future-valid-to",
                Code::IdentityValidityFutureEnd,
                &from,
                Some(t),
                now,
            ));
        }
        if *t < from {
            return Err(window_error(
                "inverted",
                Code::IdentityValidityInverted,
                &from,
                Some(t),
                now,
            ));
        }
    }
    Ok(Window { from, to, explicit })
}

fn check_disjoint(
    disjoint: &[(String, String)],
    kinds: &BTreeSet<&str>,
) -> Option<(String, String)> {
    disjoint
        .iter()
        .find(|(x, y)| kinds.contains(x.as_str()) && kinds.contains(y.as_str()))
        .cloned()
}

/// Checks a candidate assertion against every segment of its window.
fn validate(
    hood: &Hood,
    fold: bool,
    disjoint: &[(String, String)],
    rel: &str,
    a: &NRef,
    b: &NRef,
    w: &Window,
) -> Result<()> {
    let op = if rel == "same" {
        "assertSame"
    } else {
        "assertDifferent"
    };
    let mut points: BTreeSet<&str> = BTreeSet::new();
    points.insert(w.from.as_str());
    for row in hood.rows.values() {
        for p in [Some(row.valid_from.as_str()), row.valid_to.as_deref()]
            .into_iter()
            .flatten()
        {
            if p > w.from.as_str() && w.to.as_deref().is_none_or(|t| p < t) {
                points.insert(p);
            }
        }
    }
    for at in points {
        let mut uf = classes(hood, fold, |r| {
            r.valid_to.as_deref() != Some(r.valid_from.as_str()) && r.active_at(at)
        });
        uf.find(a);
        uf.find(b);
        if rel == "same" {
            uf.union(a, b);
            for row in hood.rows.values() {
                if row.rel == "different"
                    && row.active_at(at)
                    && row.valid_to.as_deref() != Some(row.valid_from.as_str())
                    && hood.live(&row.a)
                    && hood.live(&row.b)
                    && uf.same(&row.a, a)
                    && uf.same(&row.b, a)
                {
                    return Err(contradiction(
                        op,
                        a,
                        b,
                        "different-assertion",
                        json!({ "conflictingAssertionId": row.id }),
                    ));
                }
            }
            if !disjoint.is_empty() {
                let members = members_of(hood, &mut uf, a);
                let kinds: BTreeSet<&str> = members.iter().map(|m| m.kind.as_str()).collect();
                if let Some((x, y)) = check_disjoint(disjoint, &kinds) {
                    return Err(contradiction(
                        op,
                        a,
                        b,
                        "disjoint-kinds",
                        json!({ "conflictingKinds": [x, y] }),
                    ));
                }
            }
        } else if uf.same(a, b) {
            return Err(contradiction(op, a, b, "same-class", json!({})));
        }
    }
    Ok(())
}

fn endpoint_error(r: &NRef, w: &Window, info: &NodeInfo) -> Error {
    let mut aw = json!({ "validFrom": w.from });
    if let Some(t) = &w.to {
        aw["validTo"] = json!(t);
    }
    let mut ew = json!({});
    if let Some(v) = &info.valid_from {
        ew["validFrom"] = json!(v);
    }
    if let Some(v) = &info.valid_to {
        ew["validTo"] = json!(v);
    }
    if let Some(v) = &info.deleted_at {
        ew["deletedAt"] = json!(v);
    }
    Error::new(
        Code::IdentityEndpointValidity,
        format!("Identity endpoint {}/{} does not exist throughout the requested assertion validity window.", r.kind, r.id),
        json!({ "endpoint": r.json(), "assertionWindow": aw, "endpointWindow": ew }),
    )
}

fn covers(info: &NodeInfo, w: &Window) -> bool {
    info.live()
        && info
            .valid_from
            .as_deref()
            .is_none_or(|f| f <= w.from.as_str())
        && match (&info.valid_to, &w.to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(e), Some(t)) => e >= t,
        }
}

async fn select_rows<E: Executor>(
    ex: &mut E,
    n: &Names,
    where_: &str,
    params: &[Value],
) -> Result<Vec<ARow>> {
    let sql = ex.dialect().finish(format!(
        "SELECT {A_COLS} FROM {} WHERE {where_}",
        n.assertions
    ));
    Ok(ex.query(&sql, params).await?.iter().map(arow).collect())
}

async fn current_pair<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    rel: &str,
    a: &NRef,
    b: &NRef,
) -> Result<Option<ARow>> {
    Ok(select_rows(
        ex,
        n,
        "graph_id = ? AND rel = ? AND a_kind = ? AND a_id = ? AND b_kind = ? AND b_id = ? AND valid_to IS NULL AND deleted_at IS NULL",
        &[Value::text(graph), Value::text(rel), Value::text(&a.kind), Value::text(&a.id), Value::text(&b.kind), Value::text(&b.id)],
    )
    .await?
    .into_iter()
    .next())
}

fn node_not_found(r: &NRef) -> Error {
    super::nodes::not_found(&r.kind, &r.id)
}

/// One assertion write (the scalar path; bulk calls run it per pair in one transaction).
async fn assert_one<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    a: &IdentityArgs,
    rel: &str,
    p: &Pair,
    now: &str,
) -> Result<Json> {
    if p.a == p.b {
        return Err(Error::validation(
            format!("Identity {rel} assertions require two distinct node references."),
            json!({ "issues": [{ "path": "pair", "message": "Identity self-assertions are not allowed", "code": "IDENTITY_SELF_ASSERTION" }] }),
        ));
    }
    let (x, y) = if p.a <= p.b {
        (&p.a, &p.b)
    } else {
        (&p.b, &p.a)
    };
    let w = resolve_window(p, now)?;
    let result = |row: &ARow, action: &str| json!({ "assertion": row.json(), "action": action });
    if !w.explicit {
        if let Some(row) = current_pair(ex, n, graph, rel, x, y).await? {
            return Ok(result(&row, "existing"));
        }
    }
    let hood_span = Span::Overlap(w.from.clone(), w.to.clone());
    let hood = gather(
        ex,
        n,
        graph,
        &[x.clone(), y.clone()],
        &hood_span,
        a.fold,
        None,
    )
    .await?;
    for r in [x, y] {
        match hood.nodes.get(r) {
            None => return Err(node_not_found(r)),
            Some(info) if !w.explicit && !info.live() => return Err(node_not_found(r)),
            Some(info) if w.explicit && !covers(info, &w) => {
                return Err(endpoint_error(r, &w, info))
            }
            _ => {}
        }
    }
    if w.explicit {
        let mut params = vec![
            Value::text(graph),
            Value::text(rel),
            Value::text(&x.kind),
            Value::text(&x.id),
            Value::text(&y.kind),
            Value::text(&y.id),
            Value::Ts(Some(w.from.clone())),
        ];
        let to_cond = match &w.to {
            Some(t) => {
                params.push(Value::Ts(Some(t.clone())));
                "valid_to = ?"
            }
            None => "valid_to IS NULL",
        };
        let exact = select_rows(
            ex,
            n,
            &format!("graph_id = ? AND rel = ? AND a_kind = ? AND a_id = ? AND b_kind = ? AND b_id = ? AND valid_from = ? AND {to_cond} AND deleted_at IS NULL"),
            &params,
        )
        .await?;
        if let Some(row) = exact.first() {
            return Ok(result(row, "existing"));
        }
        if w.to.is_none() && current_pair(ex, n, graph, rel, x, y).await?.is_some() {
            return Err(window_error(
                "overlapping-open-window",
                Code::IdentityValidityOpenWindowConflict,
                &w.from,
                None,
                now,
            ));
        }
    }
    if w.to.as_deref() != Some(w.from.as_str()) {
        validate(&hood, a.fold, &a.disjoint, rel, x, y, &w)?;
    }
    let row = ARow {
        id: generate_id(),
        rel: rel.to_string(),
        a: x.clone(),
        b: y.clone(),
        valid_from: w.from.clone(),
        valid_to: w.to.clone(),
        ended_by: None,
    };
    let sql = ex.dialect().finish(format!(
        "INSERT INTO {} (graph_id, id, rel, a_kind, a_id, b_kind, b_id, valid_from, valid_to, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        n.assertions
    ));
    ex.execute(
        &sql,
        &[
            Value::text(graph),
            Value::text(&row.id),
            Value::text(rel),
            Value::text(&x.kind),
            Value::text(&x.id),
            Value::text(&y.kind),
            Value::text(&y.id),
            Value::Ts(Some(row.valid_from.clone())),
            Value::Ts(row.valid_to.clone()),
            Value::Ts(Some(now.to_string())),
            Value::Ts(Some(now.to_string())),
        ],
    )
    .await?;
    if row.valid_to.is_none() {
        refresh(ex, n, graph, a.fold, &[x.clone(), y.clone()], now, false).await?;
    }
    Ok(result(&row, "created"))
}

/// Rewrites the closure and separation rows of the classes `seeds` belonged to and belong to now.
async fn refresh<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    fold: bool,
    seeds: &[NRef],
    now: &str,
    check: bool,
) -> Result<()> {
    let d = ex.dialect();
    // Members of the seeds' classes before this write.
    let mut params = vec![Value::text(graph), Value::text(graph)];
    params.extend(pair_params(seeds));
    let sql = d.finish(format!(
        "SELECT member_kind, member_id FROM {c} WHERE graph_id = ? AND (class_kind, class_id) IN (SELECT class_kind, class_id FROM {c} WHERE graph_id = ? AND {})",
        pair_in(d, "member_kind", "member_id"),
        c = n.closure
    ));
    let mut start: BTreeSet<NRef> = seeds.iter().cloned().collect();
    for row in ex.query(&sql, &params).await? {
        start.insert(NRef::new(&s(&row, 0), &s(&row, 1)));
    }
    let start_list: Vec<NRef> = start.iter().cloned().collect();
    let hood = gather(
        ex,
        n,
        graph,
        &start_list,
        &Span::At(now.to_string()),
        fold,
        None,
    )
    .await?;
    let mut uf = classes(&hood, fold, |_| true);
    // The start nodes' classes are complete (the walk expanded them); nodes the walk only
    // looked at (the far ends of `different` rows) belong to other classes and stay as they are.
    let roots: BTreeSet<NRef> = start
        .iter()
        .filter(|r| hood.live(r))
        .map(|r| uf.find(r))
        .collect();
    let mut affected: BTreeSet<NRef> = start;
    let reached: Vec<NRef> = hood
        .nodes
        .iter()
        .filter(|(_, i)| hood.conducts(i))
        .map(|(r, _)| r.clone())
        .collect();
    for r in reached {
        if roots.contains(&uf.find(&r)) {
            affected.insert(r);
        }
    }
    // Components among live affected nodes.
    let mut comps: BTreeMap<NRef, Vec<NRef>> = BTreeMap::new();
    for r in affected.iter().filter(|r| hood.live(r)) {
        let root = uf.find(r);
        comps.entry(root).or_default().push(r.clone());
    }
    let mut new_key: HashMap<NRef, NRef> = HashMap::new();
    for members in comps.values_mut() {
        members.sort();
        for m in members.iter() {
            new_key.insert(m.clone(), members[0].clone());
        }
    }
    // Old keys of the affected members, for the separation rows to replace.
    let affected_list: Vec<NRef> = affected.iter().cloned().collect();
    let mut old_keys: BTreeSet<String> = affected.iter().map(NRef::class_key).collect();
    let mut params = vec![Value::text(graph)];
    params.extend(pair_params(&affected_list));
    let sql = d.finish(format!(
        "SELECT class_kind, class_id FROM {} WHERE graph_id = ? AND {}",
        n.closure,
        pair_in(d, "member_kind", "member_id")
    ));
    for row in ex.query(&sql, &params).await? {
        old_keys.insert(NRef::new(&s(&row, 0), &s(&row, 1)).class_key());
    }
    let sql = d.finish(format!(
        "DELETE FROM {} WHERE graph_id = ? AND {}",
        n.closure,
        pair_in(d, "member_kind", "member_id")
    ));
    ex.execute(&sql, &params).await?;
    let rows: Vec<(&NRef, &NRef)> = comps
        .values()
        .filter(|m| m.len() >= 2)
        .flat_map(|m| m.iter().map(move |x| (x, &m[0])))
        .collect();
    insert_closure(ex, n, graph, &rows).await?;
    // Separation: every current `different` row touching an affected member, relabelled.
    let keys: Vec<String> = old_keys.into_iter().collect();
    let sql = d.finish(format!(
        "DELETE FROM {} WHERE graph_id = ? AND ({} OR {})",
        n.separation,
        d.in_list("class_key_low"),
        d.in_list("class_key_high")
    ));
    ex.execute(
        &sql,
        &[
            Value::text(graph),
            Value::TextList(keys.clone()),
            Value::TextList(keys),
        ],
    )
    .await?;
    let live_affected: Vec<NRef> = affected_list
        .iter()
        .filter(|r| hood.live(r))
        .cloned()
        .collect();
    let diffs = load_touching(
        ex,
        n,
        graph,
        &live_affected,
        &Span::At(now.to_string()),
        Some("different"),
    )
    .await?;
    if check {
        // A node write that folded two classes a current `different` assertion keeps apart.
        for row in &diffs {
            if hood.live(&row.a) && hood.live(&row.b) && uf.same(&row.a, &row.b) {
                return Err(contradiction(
                    "fold",
                    &row.a,
                    &row.b,
                    "different-assertion",
                    json!({ "conflictingAssertionId": row.id }),
                ));
            }
        }
    }
    if diffs.is_empty() {
        return Ok(());
    }
    // Endpoints outside the affected set keep their stored class.
    let outside: Vec<NRef> = diffs
        .iter()
        .flat_map(|r| [r.a.clone(), r.b.clone()])
        .filter(|r| !new_key.contains_key(r))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut outside_key: HashMap<NRef, NRef> = HashMap::new();
    if !outside.is_empty() {
        let mut params = vec![Value::text(graph)];
        params.extend(pair_params(&outside));
        let sql = d.finish(format!(
            "SELECT member_kind, member_id, class_kind, class_id FROM {} WHERE graph_id = ? AND {}",
            n.closure,
            pair_in(d, "member_kind", "member_id")
        ));
        for row in ex.query(&sql, &params).await? {
            outside_key.insert(
                NRef::new(&s(&row, 0), &s(&row, 1)),
                NRef::new(&s(&row, 2), &s(&row, 3)),
            );
        }
    }
    let key_of = |r: &NRef| -> String {
        new_key
            .get(r)
            .or_else(|| outside_key.get(r))
            .unwrap_or(r)
            .class_key()
    };
    let mut pairs: BTreeMap<(String, String), &ARow> = BTreeMap::new();
    for row in &diffs {
        let (ka, kb) = (key_of(&row.a), key_of(&row.b));
        let (lo, hi) = if ka <= kb { (ka, kb) } else { (kb, ka) };
        pairs.entry((lo, hi)).or_insert(row);
    }
    insert_separation(ex, n, graph, &pairs).await
}

async fn insert_closure<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    rows: &[(&NRef, &NRef)],
) -> Result<()> {
    for chunk in rows.chunks(150) {
        let mut params = Vec::with_capacity(chunk.len() * 5);
        let mut vals = Vec::with_capacity(chunk.len());
        for (m, c) in chunk {
            vals.push("(?, ?, ?, ?, ?)");
            params.extend([
                Value::text(graph),
                Value::text(&m.kind),
                Value::text(&m.id),
                Value::text(&c.kind),
                Value::text(&c.id),
            ]);
        }
        let sql = ex.dialect().finish(format!(
            "INSERT INTO {} (graph_id, member_kind, member_id, class_kind, class_id) VALUES {}",
            n.closure,
            vals.join(", ")
        ));
        ex.execute(&sql, &params).await?;
    }
    Ok(())
}

async fn insert_separation<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    pairs: &BTreeMap<(String, String), &ARow>,
) -> Result<()> {
    let d = ex.dialect();
    for ((lo, hi), row) in pairs {
        let sql = d.finish(format!(
            "INSERT INTO {} (graph_id, class_key_low, class_key_high) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            n.separation
        ));
        let out = ex
            .execute(
                &sql,
                &[Value::text(graph), Value::text(lo), Value::text(hi)],
            )
            .await;
        let enforced = match out {
            Ok(_) if lo == hi => "writer",
            Ok(_) => continue,
            Err(e) if e.code == Code::DatabaseOperation => "database",
            Err(e) => return Err(e),
        };
        return Err(Error::new(
            Code::IdentitySeparationViolation,
            format!(
                "Identity separation violated: {}/{} and {}/{} are held apart by assertion {}, but this write would put both in identity class {lo}.",
                row.a.kind, row.a.id, row.b.kind, row.b.id, row.id
            ),
            json!({ "graphId": graph, "enforcedBy": enforced, "classKey": lo, "assertionId": row.id, "a": row.a.json(), "b": row.b.json() }),
        ));
    }
    Ok(())
}

/// Ends open assertions by id: the ended rows, first occurrence order, open ones only.
async fn retract_ids<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    fold: bool,
    ids: &[String],
    now: &str,
) -> Result<Vec<ARow>> {
    let mut seen = BTreeSet::new();
    let ids: Vec<String> = ids
        .iter()
        .filter(|i| seen.insert(i.as_str()))
        .cloned()
        .collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let d = ex.dialect();
    let found = select_rows(
        ex,
        n,
        &format!(
            "graph_id = ? AND {} AND valid_to IS NULL AND deleted_at IS NULL",
            d.in_list("id")
        ),
        &[Value::text(graph), Value::TextList(ids.clone())],
    )
    .await?;
    let by_id: HashMap<&str, &ARow> = found.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut out = Vec::new();
    let mut seeds = BTreeSet::new();
    for id in &ids {
        let Some(row) = by_id.get(id.as_str()) else {
            continue;
        };
        let end = if now < row.valid_from.as_str() {
            row.valid_from.clone()
        } else {
            now.to_string()
        };
        let sql = d.finish(format!(
            "UPDATE {} SET valid_to = ?, updated_at = ? WHERE graph_id = ? AND id = ?",
            n.assertions
        ));
        ex.execute(
            &sql,
            &[
                Value::Ts(Some(end.clone())),
                Value::Ts(Some(now.to_string())),
                Value::text(graph),
                Value::text(id),
            ],
        )
        .await?;
        let mut ended = (*row).clone();
        ended.valid_to = Some(end);
        seeds.insert(ended.a.clone());
        seeds.insert(ended.b.clone());
        out.push(ended);
    }
    if !seeds.is_empty() {
        let seeds: Vec<NRef> = seeds.into_iter().collect();
        refresh(ex, n, graph, fold, &seeds, now, false).await?;
    }
    Ok(out)
}

/// Recomputes the graph's closure and separation from live nodes and current assertions.
async fn rebuild<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    fold: bool,
    disjoint: &[(String, String)],
    now: &str,
) -> Result<Json> {
    let d = ex.dialect();
    let mut hood = Hood::default();
    let rows = select_rows(
        ex,
        n,
        "graph_id = ? AND valid_from <= ? AND valid_to IS NULL AND deleted_at IS NULL",
        &[Value::text(graph), Value::Ts(Some(now.to_string()))],
    )
    .await?;
    let mut ids: BTreeSet<String> = rows
        .iter()
        .flat_map(|r| [r.a.id.clone(), r.b.id.clone()])
        .collect();
    if fold {
        let sql = d.finish(format!(
            "SELECT id FROM {t} WHERE graph_id = ? AND deleted_at IS NULL GROUP BY id HAVING COUNT(*) > 1",
            t = n.nodes
        ));
        for row in ex.query(&sql, &[Value::text(graph)]).await? {
            ids.insert(s(&row, 0));
        }
    }
    for chunk in ids.into_iter().collect::<Vec<_>>().chunks(5000) {
        load_nodes(ex, n, graph, chunk.to_vec(), &mut hood).await?;
    }
    for r in rows {
        hood.rows.insert(r.id.clone(), r);
    }
    let mut uf = classes(&hood, fold, |_| true);
    let mut comps: BTreeMap<NRef, Vec<NRef>> = BTreeMap::new();
    let live: Vec<NRef> = hood
        .nodes
        .iter()
        .filter(|(_, i)| hood.conducts(i))
        .map(|(r, _)| r.clone())
        .collect();
    for r in &live {
        let root = uf.find(r);
        comps.entry(root).or_default().push(r.clone());
    }
    let mut key: HashMap<NRef, NRef> = HashMap::new();
    for m in comps.values_mut() {
        m.sort();
        for x in m.iter() {
            key.insert(x.clone(), m[0].clone());
        }
        if !disjoint.is_empty() {
            let kinds: BTreeSet<&str> = m.iter().map(|x| x.kind.as_str()).collect();
            if let Some((k1, k2)) = check_disjoint(disjoint, &kinds) {
                let a = m
                    .iter()
                    .find(|x| x.kind == k1)
                    .cloned()
                    .unwrap_or_else(|| m[0].clone());
                let b = m
                    .iter()
                    .find(|x| x.kind == k2)
                    .cloned()
                    .unwrap_or_else(|| m[0].clone());
                return Err(contradiction(
                    "fold",
                    &a,
                    &b,
                    "disjoint-kinds",
                    json!({ "conflictingKinds": [k1, k2] }),
                ));
            }
        }
    }
    for row in hood.rows.values() {
        if row.rel == "different"
            && hood.live(&row.a)
            && hood.live(&row.b)
            && uf.same(&row.a, &row.b)
        {
            return Err(contradiction(
                "fold",
                &row.a,
                &row.b,
                "different-assertion",
                json!({ "conflictingAssertionId": row.id }),
            ));
        }
    }
    ex.execute(
        &d.finish(format!("DELETE FROM {} WHERE graph_id = ?", n.closure)),
        &[Value::text(graph)],
    )
    .await?;
    ex.execute(
        &d.finish(format!("DELETE FROM {} WHERE graph_id = ?", n.separation)),
        &[Value::text(graph)],
    )
    .await?;
    let closure: Vec<(&NRef, &NRef)> = comps
        .values()
        .filter(|m| m.len() >= 2)
        .flat_map(|m| m.iter().map(move |x| (x, &m[0])))
        .collect();
    let members = closure.len();
    insert_closure(ex, n, graph, &closure).await?;
    let mut pairs: BTreeMap<(String, String), &ARow> = BTreeMap::new();
    for row in hood.rows.values() {
        if row.rel != "different" || !hood.live(&row.a) || !hood.live(&row.b) {
            continue;
        }
        let ka = key.get(&row.a).unwrap_or(&row.a).class_key();
        let kb = key.get(&row.b).unwrap_or(&row.b).class_key();
        let (lo, hi) = if ka <= kb { (ka, kb) } else { (kb, ka) };
        pairs.entry((lo, hi)).or_insert(row);
    }
    let separated = pairs.len();
    insert_separation(ex, n, graph, &pairs).await?;
    Ok(json!({ "closureRows": members, "separationRows": separated }))
}

async fn read<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    n: &Names,
    graph: &str,
    a: &IdentityArgs,
) -> Result<Json> {
    let what = a.read.as_deref().unwrap_or("membersOf");
    let at = match &a.at {
        Some(t) => super::strict_instant(t, "asOf")?,
        None => now_iso(),
    };
    let refs = &a.refs;
    let Some(first) = refs.first() else {
        return Err(Error::validation(
            "identity read needs a node reference",
            json!({}),
        ));
    };
    // The view's mode: `asOf` reads the past (lifecycle-conducting nodes, assertions active
    // then); `includeEnded` / `includeTombstones` read the present and widen visibility.
    let mode = a
        .mode
        .as_deref()
        .unwrap_or(if a.at.is_some() { "asOf" } else { "current" });
    let past = (mode == "asOf" && a.at.is_some()).then(|| at.clone());
    let hood = gather(ex, n, graph, refs, &Span::At(at.clone()), a.fold, past).await?;
    let visible = |r: &NRef| {
        hood.nodes.get(r).is_some_and(|i| match mode {
            "includeEnded" => i.live(),
            "includeTombstones" => true,
            _ => i.visible_at(&at),
        })
    };
    let mut uf = classes(&hood, a.fold, |_| true);
    let visible_members = |uf: &mut Uf, r: &NRef| -> Vec<NRef> {
        if !visible(r) {
            return vec![];
        }
        members_of(&hood, uf, r)
            .into_iter()
            .filter(|m| visible(m))
            .collect()
    };
    Ok(match what {
        "membersOf" => json!(visible_members(&mut uf, first)
            .iter()
            .map(NRef::json)
            .collect::<Vec<_>>()),
        "representativeOf" => visible_members(&mut uf, first)
            .first()
            .map(NRef::json)
            .unwrap_or(Json::Null),
        "areSame" => {
            let second = refs.get(1).unwrap_or(first);
            json!(visible(first) && visible(second) && uf.same(first, second))
        }
        "areDifferent" => {
            let second = refs.get(1).unwrap_or(first);
            if !visible(first) || !visible(second) || uf.same(first, second) {
                json!(false)
            } else {
                let ca = members_of(&hood, &mut uf, first);
                let cb = members_of(&hood, &mut uf, second);
                let explicit = hood.rows.values().any(|r| {
                    r.rel == "different"
                        && hood.live(&r.a)
                        && hood.live(&r.b)
                        && ((ca.contains(&r.a) && cb.contains(&r.b))
                            || (ca.contains(&r.b) && cb.contains(&r.a)))
                });
                let ka: BTreeSet<&str> = ca.iter().map(|m| m.kind.as_str()).collect();
                let kb: BTreeSet<&str> = cb.iter().map(|m| m.kind.as_str()).collect();
                let disjoint = a.disjoint.iter().any(|(x, y)| {
                    (ka.contains(x.as_str()) && kb.contains(y.as_str()))
                        || (ka.contains(y.as_str()) && kb.contains(x.as_str()))
                });
                json!(explicit || disjoint)
            }
        }
        "assertionsOf" => {
            if !visible(first) {
                json!([])
            } else {
                let mut rows: Vec<&ARow> = hood
                    .rows
                    .values()
                    .filter(|r| &r.a == first || &r.b == first)
                    .collect();
                rows.sort_by(|x, y| x.id.cmp(&y.id));
                json!(rows.iter().map(|r| r.json()).collect::<Vec<_>>())
            }
        }
        "nodesOf" => {
            let members = visible_members(&mut uf, first);
            if members.is_empty() {
                return Ok(json!([]));
            }
            let d = ex.dialect();
            let mut params = vec![Value::text(graph)];
            params.extend(pair_params(&members));
            let sql = d.finish(format!(
                "SELECT {NODE_COLS} FROM {} WHERE graph_id = ? AND {}",
                ctx.tables.nodes,
                pair_in(d, "kind", "id")
            ));
            let rows = ex.query(&sql, &params).await?;
            let mut keyed: Vec<(NRef, &Row)> = rows
                .iter()
                .map(|r| (NRef::new(&s(r, 0), &s(r, 1)), r))
                .collect();
            keyed.sort_by(|x, y| x.0.cmp(&y.0));
            let ordered: Vec<Row> = keyed.into_iter().map(|(_, r)| r.clone()).collect();
            return Ok(
                serde_json::from_str(&super::rows::rows_json(&ordered, 2)?).unwrap_or(json!([]))
            );
        }
        other => {
            return Err(Error::validation(
                format!("unknown identity read \"{other}\""),
                json!({}),
            ))
        }
    })
}

/// PostgreSQL: identity writers of one graph take turns (a transaction-scoped advisory lock);
/// SQLite's single writer already serializes them.
async fn lock_graph<E: Executor>(ex: &mut E, graph: &str) -> Result<()> {
    if ex.dialect() == Dialect::Postgres {
        ex.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[Value::text(format!("typegraph-identity:{graph}"))],
        )
        .await?;
    }
    Ok(())
}

/// Operation `identity`.
pub async fn run<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: IdentityArgs) -> Result<String> {
    let n = names(ctx);
    let graph = ctx.graph.id().to_string();
    let now = now_iso();
    let out = match a.action.as_str() {
        "assert" => {
            let rel = a.relation.clone().unwrap_or_else(|| "same".into());
            if rel != "same" && rel != "different" {
                return Err(Error::validation(
                    format!("unknown identity relation \"{rel}\""),
                    json!({}),
                ));
            }
            crate::atomic!(ex, {
                lock_graph(ex, &graph).await?;
                let mut out = Vec::with_capacity(a.pairs.len());
                for p in &a.pairs {
                    out.push(assert_one(ex, &n, &graph, &a, &rel, p, &now).await?);
                }
                Ok::<_, Error>(Json::Array(out))
            })?
        }
        "retract" => crate::atomic!(ex, {
            lock_graph(ex, &graph).await?;
            let rows = retract_ids(ex, &n, &graph, a.fold, &a.ids, &now).await?;
            Ok::<_, Error>(json!(rows.iter().map(ARow::json).collect::<Vec<_>>()))
        })?,
        "retractPair" => {
            let rel = a.relation.clone().unwrap_or_else(|| "same".into());
            let (Some(p), Some(q)) = (a.refs.first(), a.refs.get(1)) else {
                return Err(Error::validation(
                    "retraction needs two node references",
                    json!({}),
                ));
            };
            let (x, y) = if p <= q { (p, q) } else { (q, p) };
            crate::atomic!(ex, {
                lock_graph(ex, &graph).await?;
                let row = current_pair(ex, &n, &graph, &rel, x, y).await?;
                let Some(row) = row else {
                    return Ok::<_, Error>(Json::Null);
                };
                let ended = retract_ids(ex, &n, &graph, a.fold, &[row.id], &now).await?;
                Ok(ended.first().map(ARow::json).unwrap_or(Json::Null))
            })?
        }
        "read" => read(ex, ctx, &n, &graph, &a).await?,
        "rebuild" => crate::atomic!(ex, {
            lock_graph(ex, &graph).await?;
            rebuild(ex, &n, &graph, a.fold, &a.disjoint, &now).await
        })?,
        "exportAssertions" => {
            // State: current rows; archival: ended ones too. Without `includeDeleted` a row
            // whose endpoint is soft-deleted (or gone) is left out entirely.
            let mut where_ = "graph_id = ? AND deleted_at IS NULL".to_string();
            if !a.archival {
                where_.push_str(" AND valid_to IS NULL");
            }
            let nodes = &n.nodes;
            let live = if a.include_deleted {
                ""
            } else {
                " AND tg_n.deleted_at IS NULL"
            };
            for (k, i) in [("a_kind", "a_id"), ("b_kind", "b_id")] {
                where_.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM {nodes} tg_n WHERE tg_n.graph_id = {t}.graph_id AND tg_n.kind = {t}.{k} AND tg_n.id = {t}.{i}{live})",
                    t = n.assertions
                ));
            }
            where_.push_str(" ORDER BY id");
            let rows = select_rows(ex, &n, &where_, &[Value::text(&graph)]).await?;
            json!(rows
                .iter()
                .map(|r| {
                    let mut o = r.json();
                    if let Some(e) = &r.ended_by {
                        o["endedBy"] = e.json();
                    }
                    o
                })
                .collect::<Vec<_>>())
        }
        "importAssertions" => crate::atomic!(ex, {
            lock_graph(ex, &graph).await?;
            import(ex, &n, &graph, &a, &now).await
        })?,
        other => {
            return Err(Error::validation(
                format!("unknown identity action \"{other}\""),
                json!({}),
            ))
        }
    };
    Ok(out.to_string())
}

/// Writes ledger rows as given (ids and windows kept; a current pair already stored is skipped),
/// then rebuilds the derived relations. Returns `{ created, skipped }`.
async fn import<E: Executor>(
    ex: &mut E,
    n: &Names,
    graph: &str,
    a: &IdentityArgs,
    now: &str,
) -> Result<Json> {
    let (mut created, mut skipped) = (0u64, 0u64);
    let mut errors: Vec<Json> = Vec::new();
    for r in &a.rows {
        if r.relation != "same" && r.relation != "different" {
            return Err(Error::validation(
                format!("unknown identity relation \"{}\"", r.relation),
                json!({}),
            ));
        }
        let (x, y) = if r.a <= r.b {
            (&r.a, &r.b)
        } else {
            (&r.b, &r.a)
        };
        // Endpoints must be stored rows (deleted or not): an assertion over a node no one
        // wrote would be a phantom bridge.
        let mut hood = Hood::default();
        load_nodes(ex, n, graph, vec![x.id.clone(), y.id.clone()], &mut hood).await?;
        if let Some(missing) = [x, y].into_iter().find(|e| !hood.nodes.contains_key(*e)) {
            errors.push(json!({ "kind": r.relation, "id": r.id, "error": format!("Identity assertion endpoint {}/{} does not exist", missing.kind, missing.id) }));
            skipped += 1;
            continue;
        }
        let from = super::strict_instant(&r.valid_from, "validFrom")?;
        let to = r
            .valid_to
            .as_deref()
            .map(|t| super::strict_instant(t, "validTo"))
            .transpose()?;
        if to.is_none()
            && current_pair(ex, n, graph, &r.relation, x, y)
                .await?
                .is_some()
        {
            skipped += 1;
            continue;
        }
        let taken = select_rows(
            ex,
            n,
            "graph_id = ? AND id = ?",
            &[Value::text(graph), Value::text(&r.id)],
        )
        .await?;
        if !taken.is_empty() {
            skipped += 1;
            continue;
        }
        let sql = ex.dialect().finish(format!(
            "INSERT INTO {} (graph_id, id, rel, a_kind, a_id, b_kind, b_id, valid_from, valid_to, created_at, updated_at, ended_by_kind, ended_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            n.assertions
        ));
        ex.execute(
            &sql,
            &[
                Value::text(graph),
                Value::text(&r.id),
                Value::text(&r.relation),
                Value::text(&x.kind),
                Value::text(&x.id),
                Value::text(&y.kind),
                Value::text(&y.id),
                Value::Ts(Some(from)),
                Value::Ts(to),
                Value::Ts(Some(now.to_string())),
                Value::Ts(Some(now.to_string())),
                Value::opt_text(r.ended_by.as_ref().map(|e| e.kind.as_str())),
                Value::opt_text(r.ended_by.as_ref().map(|e| e.id.as_str())),
            ],
        )
        .await?;
        created += 1;
    }
    rebuild(ex, n, graph, a.fold, &a.disjoint, now).await?;
    Ok(json!({ "created": created, "skipped": skipped, "errors": errors }))
}

/// Whether node writes of this call must keep the identity relations (an identity graph, not
/// already inside a captured call).
pub fn wanted<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> bool {
    ctx.graph.spec.identity.is_some() && ex.touched().is_none()
}

/// After a captured node write on an identity graph (same transaction): a soft-deleted node
/// ends its current assertions (recording itself as their cause), a hard-deleted one takes
/// every assertion row touching it along, and the classes of the written nodes are rebuilt —
/// with `fold`, a created or resurrected node joins the live nodes sharing its id.
pub async fn after_writes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    touched: &super::recorded::Touched,
    out: Result<String>,
) -> Result<String> {
    let s = out?;
    let Some(spec) = &ctx.graph.spec.identity else {
        return Ok(s);
    };
    let refs: BTreeSet<NRef> = touched.nodes.iter().map(|(k, i)| NRef::new(k, i)).collect();
    if refs.is_empty() {
        return Ok(s);
    }
    let n = names(ctx);
    let graph = ctx.graph.id().to_string();
    lock_graph(ex, &graph).await?;
    let now = now_iso();
    let d = ex.dialect();
    let list: Vec<NRef> = refs.iter().cloned().collect();
    let mut hood = Hood::default();
    load_nodes(
        ex,
        &n,
        &graph,
        list.iter()
            .map(|r| r.id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        &mut hood,
    )
    .await?;
    let gone: Vec<&NRef> = list
        .iter()
        .filter(|r| !hood.nodes.contains_key(*r))
        .collect();
    let deleted: Vec<&NRef> = list
        .iter()
        .filter(|r| hood.nodes.get(*r).is_some_and(|i| !i.live()))
        .collect();
    for r in &gone {
        let sql = d.finish(format!(
            "DELETE FROM {} WHERE graph_id = ? AND ((a_kind = ? AND a_id = ?) OR (b_kind = ? AND b_id = ?))",
            n.assertions
        ));
        ex.execute(
            &sql,
            &[
                Value::text(&graph),
                Value::text(&r.kind),
                Value::text(&r.id),
                Value::text(&r.kind),
                Value::text(&r.id),
            ],
        )
        .await?;
    }
    for r in &deleted {
        let end = match &hood.nodes[*r].deleted_at {
            Some(t) => t.clone(),
            None => now.clone(),
        };
        let sql = d.finish(format!(
            "UPDATE {} SET valid_to = CASE WHEN valid_from > ? THEN valid_from ELSE ? END, updated_at = ?, ended_by_kind = ?, ended_by_id = ? \
             WHERE graph_id = ? AND valid_to IS NULL AND ((a_kind = ? AND a_id = ?) OR (b_kind = ? AND b_id = ?))",
            n.assertions
        ));
        ex.execute(
            &sql,
            &[
                Value::Ts(Some(end.clone())),
                Value::Ts(Some(end)),
                Value::Ts(Some(now.clone())),
                Value::text(&r.kind),
                Value::text(&r.id),
                Value::text(&graph),
                Value::text(&r.kind),
                Value::text(&r.id),
                Value::text(&r.kind),
                Value::text(&r.id),
            ],
        )
        .await?;
    }
    refresh(ex, &n, &graph, spec.fold, &list, &now, true).await?;
    Ok(s)
}

/// Ends a call [`after_writes`] wrapped: commit on success, rollback on failure.
pub async fn finish<E: Executor>(ex: &mut E, out: Result<String>) -> Result<String> {
    match out {
        Ok(s) => {
            ex.commit().await?;
            Ok(s)
        }
        Err(e) => {
            let _ = ex.rollback().await;
            Err(e)
        }
    }
}
