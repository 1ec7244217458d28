//! AST → one SQL statement per dialect. Every user value is a parameter; the
//! only identifiers in the text are our own table aliases (`n0`, `e1`, …), the
//! configured (quoted) table names and JSON paths from definitions (escaped).

use super::ast::*;
use crate::dialect::{postgres as pgd, sqlite as sqd, Dialect, Tables};
use crate::error::{Code, Error, Result};
use crate::graph::Graph;
use crate::value::Value;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

mod live;
pub use live::{LiveGuard, LIVE_KIND_CAP, LIVE_REUSE, LIVE_ROW_COST};

/// Implicit and explicit caps on recursive traversal depth (upstream's).
pub const MAX_RECURSIVE_DEPTH: u32 = 10;
pub const MAX_EXPLICIT_RECURSIVE_DEPTH: u32 = 1000;

/// How a bound JSON argument becomes a statement parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Conv {
    /// Typed by its JSON type (string/number/boolean/null).
    Scalar,
    /// Text (numbers and booleans rendered as JSON text).
    Text,
    Number,
    /// A number as its shortest decimal text, for `CAST(? AS numeric)` (PostgreSQL).
    NumericText,
    Bool,
    Int,
    /// An ISO-8601 instant, canonicalised.
    Instant,
    /// The JSON value as JSON text (`jsonb` on PostgreSQL).
    Json,
    /// `[value]` as JSON.
    JsonWrap,
    /// A JSON array bound as one text parameter (SQLite `json_each`).
    JsonArray,
    /// A list bound as one `text[]` (elements rendered as text).
    TextList,
    /// LIKE pattern: 0 = contains, 1 = startsWith, 2 = endsWith (escaped); 3 = verbatim.
    Like(u8),
    /// SQLite JSON path: `base` followed by the pointer segments in the argument.
    SqlitePath(Vec<String>),
    /// PostgreSQL `text[]` path: `base` followed by the pointer segments.
    PgPath(Vec<String>),
    /// A query embedding of this many dimensions, as pgvector text `[a,b,…]`.
    Vector(usize),
    /// A fulltext query turned into an FTS5 MATCH expression for a mode.
    Fts5(String),
}

/// Where a statement parameter comes from at execution time.
#[derive(Clone, Debug, PartialEq)]
pub enum Src {
    Const(Value),
    Arg(usize, Conv),
    /// The read instant of this execution (temporal mode `current`).
    Now,
    /// `[[id, distance], …]` of the vector top-k the engine ranked (SQLite `similarTo`).
    TopK,
}

/// SQLite `similarTo()`: the engine ranks vectors among the ids this candidate
/// statement admits, and binds the top-k into the query as one parameter.
#[derive(Debug)]
pub struct VectorStep {
    /// `(kind, id)` of every candidate the query's other predicates admit.
    pub cand_sql: String,
    pub cand_params: Vec<Src>,
    /// One entry per kind of the alias that declares the field (several under
    /// `includeSubClasses`); the top-k is merged over them by distance.
    pub kinds: Vec<VecKind>,
    pub embedding: usize,
    pub k: usize,
    pub min_score: Option<usize>,
    /// One kind whose other predicates are plain comparisons on the alias: those
    /// predicates over the node table as `n`, without the temporal test (`1=1` for none).
    /// The engine's filtered ranking then answers (`search::topk::filtered_top_k`),
    /// reading only the ranked rows (or the filter's index) instead of every candidate.
    pub filter: Option<(String, Vec<Src>)>,
}

/// One kind's part of a `similarTo()`: its field declaration, the metric it is ranked
/// under (the predicate's, else the kind's declared one) and whether its HNSW graph answers.
#[derive(Clone, Debug)]
pub struct VecKind {
    pub kind: String,
    pub field: crate::search::EmbeddingField,
    pub metric: crate::search::Metric,
    /// `approximate: true`: the field's HNSW graph answers when it has one.
    pub approximate: bool,
}

#[derive(Clone, Debug)]
struct VecSpec {
    alias: String,
    kinds: Vec<VecKind>,
    embedding: Slot,
    k: Slot,
    min_score: Option<Slot>,
}

#[derive(Clone, Debug)]
struct FtSpec {
    alias: String,
    kinds: Vec<String>,
    query: Slot,
    k: Option<Slot>,
    mode: String,
    language: Option<String>,
    min_score: Option<Slot>,
}

/// The search predicates of the outermost query, lifted out of its where clauses.
#[derive(Clone, Debug, Default)]
struct SearchSpec {
    vector: Option<VecSpec>,
    fulltext: Option<FtSpec>,
    /// RRF: k, vector weight, fulltext weight.
    fusion: (f64, f64, f64),
}

impl SearchSpec {
    /// Both predicates on one alias: the hybrid candidates are the union of both sides.
    fn union(&self) -> bool {
        matches!((&self.vector, &self.fulltext), (Some(v), Some(f)) if v.alias == f.alias)
    }
}

/// SQL text plus its parameter sources in placeholder order.
#[derive(Default, Debug)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Src>,
}

impl Sql {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
    fn param(&mut self, src: Src) {
        self.text.push('?');
        self.params.push(src);
    }
    fn arg(&mut self, slot: Slot, conv: Conv) {
        self.param(Src::Arg(slot.index, conv));
    }
    fn konst(&mut self, v: Value) {
        self.param(Src::Const(v));
    }
}

/// What the executor does with the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Rows,
    Count,
    Exists,
}

/// A compiled statement: finished SQL, parameter sources, output column kinds.
#[derive(Debug)]
pub struct Plan {
    pub sql: String,
    pub params: Vec<Src>,
    /// Per output column: `true` when the column holds JSON text to splice verbatim.
    pub json_cols: Vec<bool>,
    /// Per output column: a single extracted prop, where a JSON `null` must stay
    /// distinguishable from a missing key (SQL NULL).
    pub prop_cols: Vec<bool>,
    /// Per output column (SQLite): the column holds the whole props text and the engine picks
    /// this key path out of it while rendering the row (what `props -> '$."k"'` would give,
    /// without SQLite parsing every row's whole document into its binary form).
    pub extract_cols: Vec<Option<Vec<String>>>,
    pub mode: Mode,
    pub vector: Option<VectorStep>,
    /// PostgreSQL: run with the join order as written (`join_collapse_limit = 1`). Set for
    /// multi-hop traversals walking out from a filtered start alias, where the planner's
    /// exhaustive join search (seven relations for three hops, every one joinable with every
    /// other through `graph_id`) costs tens of milliseconds for a plan the written order gives.
    pub ordered_joins: bool,
    /// The statement starts from one node pinned by `id = ?` (no recursion, set operations or
    /// search steps): a plan made without the bound values is the plan made with them, so
    /// PostgreSQL keeps it as a named statement instead of planning it per execution.
    pub anchored: bool,
    /// SQLite aggregates in the rowid visibility form (`compile/live.rs`): the check that
    /// picks between it and the plain per-row form at execution.
    pub live_guard: Option<Box<LiveGuard>>,
}

pub fn validation(msg: impl Into<String>) -> Error {
    Error::validation(msg, json!({}))
}

fn unsupported(msg: impl Into<String>, details: serde_json::Value) -> Error {
    Error::new(Code::UnsupportedPredicate, msg, details)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entity {
    Node,
    Edge,
    Depth,
    Path,
}

#[derive(Clone, Debug)]
struct AliasInfo {
    /// SQL alias of the table (or recursive CTE for depth/path).
    table: String,
    entity: Entity,
    /// Hop index (0 = start).
    hop: usize,
}

/// Compiles queries for one graph, dialect and table layout.
pub struct Compiler<'a> {
    pub graph: &'a Graph,
    pub tables: &'a Tables,
    pub dialect: Dialect,
    /// Nesting counter for subqueries (unique table aliases).
    depth: usize,
    /// Prop-column flags of the outermost select.
    prop_cols: Vec<bool>,
    /// Engine-side prop extraction of the outermost select (see [`Plan::extract_cols`]).
    extract_cols: Vec<Option<Vec<String>>>,
    /// The statement's rows reach the renderer as selected (SQLite row mode, no set
    /// operations comparing whole rows): single props may be picked out by the engine.
    engine_extract: bool,
    /// Alias maps of the enclosing selects, outermost first.
    scopes: Vec<HashMap<String, AliasInfo>>,
    /// Set for the next select (an IN subquery's): project props as scalars.
    scalar_select: bool,
    /// Search predicates of the outermost select.
    search: Option<SearchSpec>,
    vector_step: Option<VectorStep>,
    /// The outermost select reads visibility by rowid (`live.rs`).
    rowid_live: bool,
    /// Never use the rowid form (the plain alternative of a plan that does).
    plain_live: bool,
    /// The start kind of a top-level select that used the rowid form.
    rowid_kind: Option<String>,
    /// Recorded time: the revision slot every alias is filtered at (tables are the recorded ones).
    recorded: Option<Slot>,
}

impl<'a> Compiler<'a> {
    pub fn new(graph: &'a Graph, tables: &'a Tables, dialect: Dialect) -> Self {
        Compiler {
            graph,
            tables,
            dialect,
            depth: 0,
            prop_cols: Vec::new(),
            extract_cols: Vec::new(),
            engine_extract: false,
            scopes: Vec::new(),
            scalar_select: false,
            search: None,
            vector_step: None,
            rowid_live: false,
            plain_live: false,
            rowid_kind: None,
            recorded: None,
        }
    }

    pub fn plan(&mut self, q: &Query) -> Result<Plan> {
        let mode = match q.mode.as_deref().unwrap_or("rows") {
            "rows" => Mode::Rows,
            "count" => Mode::Count,
            "exists" => Mode::Exists,
            other => return Err(validation(format!("Unknown query mode \"{other}\""))),
        };
        // Aggregates over set operations always read visibility per row.
        self.plain_live |= !q.set_ops.is_empty();
        self.engine_extract =
            self.dialect == Dialect::Sqlite && mode == Mode::Rows && q.set_ops.is_empty();
        let lifted = self.lift_search(q)?;
        let q = lifted.as_ref().unwrap_or(q);
        let mut sql = Sql::default();
        let json_cols = match mode {
            Mode::Rows => self.compound(q, &mut sql)?,
            Mode::Count => {
                sql.push("SELECT COUNT(*) FROM (");
                self.compound(q, &mut sql)?;
                sql.push(") tg_c");
                vec![false]
            }
            Mode::Exists => {
                sql.push("SELECT 1 FROM (");
                self.compound(q, &mut sql)?;
                sql.push(") tg_c LIMIT 1");
                vec![]
            }
        };
        let (prop_cols, extract_cols) = if mode == Mode::Rows {
            (
                std::mem::take(&mut self.prop_cols),
                std::mem::take(&mut self.extract_cols),
            )
        } else {
            (vec![], vec![])
        };
        let (text, params) = super::numbered::share_equal(self.dialect, &sql.text, sql.params);
        Ok(Plan {
            prop_cols,
            extract_cols,
            sql: text,
            params,
            json_cols,
            mode,
            vector: self.vector_step.take(),
            ordered_joins: self.dialect == Dialect::Postgres
                && q.hops.len() >= 2
                && q.wheres.iter().any(|w| w.alias == q.start.alias),
            anchored: anchored_on_id(q),
            live_guard: match self.rowid_kind.take() {
                Some(kind) => Some(Box::new(self.live_guard(q, kind)?)),
                None => None,
            },
        })
    }

    /// A query with its set operations; returns the JSON flags of its columns.
    fn compound(&mut self, q: &Query, sql: &mut Sql) -> Result<Vec<bool>> {
        if q.set_ops.is_empty() {
            return self.select(q, sql);
        }
        // Left-deep, as the builder chains them: `a.union(b).intersect(c)` is (a ∪ b) ∩ c on both
        // dialects (PostgreSQL would otherwise bind INTERSECT tighter than UNION), and an earlier
        // link's own limit/offset applies to that link's result only.
        let n = q.set_ops.len();
        for _ in 1..n {
            sql.push("SELECT * FROM (");
        }
        sql.push("SELECT * FROM (");
        let cols = self.select(q, sql)?;
        sql.push(") tg_s0");
        for (i, op) in q.set_ops.iter().enumerate() {
            let kw = match op.op.as_str() {
                "union" => " UNION ",
                "unionAll" => " UNION ALL ",
                "intersect" => " INTERSECT ",
                "except" => " EXCEPT ",
                other => return Err(validation(format!("Unknown set operation \"{other}\""))),
            };
            sql.push(kw);
            sql.push("SELECT * FROM (");
            let other = self.select(&op.query, sql)?;
            if other.len() != cols.len() {
                return Err(validation(
                    "Set operation operands must select the same shape",
                ));
            }
            sql.push(&format!(") tg_s{}", i + 1));
            if i + 1 < n {
                self.limit_offset(op.limit, op.offset, sql);
                sql.push(&format!(") tg_c{}", i + 1));
            }
        }
        self.limit_offset(q.set_limit, q.set_offset, sql);
        Ok(cols)
    }

    fn limit_offset(&self, limit: Option<Slot>, offset: Option<Slot>, sql: &mut Sql) {
        // SQLite (built with STAT4) re-plans a statement whenever a bare `LIMIT ?`
        // is rebound; an expression keeps the cached plan valid across executions.
        let (open, close) = match self.dialect {
            Dialect::Sqlite => ("CAST(", " AS INTEGER)"),
            Dialect::Postgres => ("", ""),
        };
        if let Some(l) = limit {
            sql.push(" LIMIT ");
            sql.push(open);
            sql.arg(l, Conv::Int);
            sql.push(close);
        } else if offset.is_some() && self.dialect == Dialect::Sqlite {
            sql.push(" LIMIT -1");
        }
        if let Some(o) = offset {
            sql.push(" OFFSET ");
            sql.push(open);
            sql.arg(o, Conv::Int);
            sql.push(close);
        }
    }

    fn kinds(&self, k: &KindRef) -> Result<Vec<String>> {
        self.graph.node(&k.kind)?;
        if k.include_sub_classes {
            Ok(self
                .graph
                .subclasses
                .get(&k.kind)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_else(|| vec![k.kind.clone()]))
        } else {
            Ok(vec![k.kind.clone()])
        }
    }

    fn aliases(&self, q: &Query) -> Result<HashMap<String, AliasInfo>> {
        let p = format!("q{}", self.depth);
        let mut m: HashMap<String, AliasInfo> = HashMap::new();
        let mut add = |name: &str, info: AliasInfo| -> Result<()> {
            if m.insert(name.to_string(), info).is_some() {
                return Err(Error::validation(
                    format!("Alias \"{name}\" is already in use"),
                    json!({ "issues": [{ "path": "alias", "message": format!("\"{name}\" is already in use") }] }),
                ));
            }
            Ok(())
        };
        add(
            &q.start.alias,
            AliasInfo {
                table: format!("{p}n0"),
                entity: Entity::Node,
                hop: 0,
            },
        )?;
        let mut recursive_seen = false;
        for (i, h) in q.hops.iter().enumerate() {
            let i = i + 1;
            add(
                &h.edge_alias,
                AliasInfo {
                    // A recursive hop's edges are not projected (upstream's rule).
                    table: if h.recursive.is_some() {
                        String::new()
                    } else {
                        format!("{p}e{i}")
                    },
                    entity: Entity::Edge,
                    hop: i,
                },
            )?;
            add(
                &h.node_alias,
                AliasInfo {
                    table: format!("{p}n{i}"),
                    entity: Entity::Node,
                    hop: i,
                },
            )?;
            if let Some(r) = &h.recursive {
                if recursive_seen {
                    return Err(unsupported(
                        "Only one recursive traversal is supported per query",
                        json!({}),
                    ));
                }
                recursive_seen = true;
                if let Some(d) = &r.depth_alias {
                    add(
                        d,
                        AliasInfo {
                            table: format!("{p}r{i}"),
                            entity: Entity::Depth,
                            hop: i,
                        },
                    )?;
                }
                if let Some(pa) = &r.path_alias {
                    add(
                        pa,
                        AliasInfo {
                            table: format!("{p}r{i}"),
                            entity: Entity::Path,
                            hop: i,
                        },
                    )?;
                }
            }
        }
        Ok(m)
    }

    fn alias<'m>(m: &'m HashMap<String, AliasInfo>, name: &str) -> Result<&'m AliasInfo> {
        m.get(name).ok_or_else(|| {
            Error::validation(
                format!("Unknown alias \"{name}\""),
                json!({ "issues": [{ "path": "alias", "message": format!("\"{name}\" is not defined in this query") }] }),
            )
        })
    }

    /// Reads the recorded relations at the revision in `slot` (a recorded view's query).
    pub fn set_recorded(&mut self, slot: Slot) {
        self.recorded = Some(slot);
        self.plain_live = true;
    }

    fn temporal_filter(&self, q: &Query, t: &str, sql: &mut Sql) -> Result<()> {
        if let Some(r) = self.recorded {
            sql.push(&format!(" AND {t}.recorded_from <= "));
            sql.param(Src::Arg(r.index, Conv::Int));
            sql.push(&format!(" AND {t}.recorded_to > "));
            sql.param(Src::Arg(r.index, Conv::Int));
        }
        let (mode, as_of) = match &q.temporal {
            Some(tm) => (tm.mode.as_deref().unwrap_or("current"), tm.as_of),
            None => ("current", None),
        };
        match mode {
            "includeTombstones" => {}
            "includeEnded" => sql.push(&format!(" AND {t}.deleted_at IS NULL")),
            "current" | "asOf" => {
                let src = |_: ()| match (mode, as_of) {
                    ("asOf", Some(s)) => Ok(Src::Arg(s.index, Conv::Instant)),
                    ("asOf", None) => Err(Error::validation(
                        "temporal(\"asOf\") requires an asOf instant",
                        json!({}),
                    )),
                    _ => Ok(Src::Now),
                };
                sql.push(&format!(
                    " AND {t}.deleted_at IS NULL AND ({t}.valid_from IS NULL OR {t}.valid_from <= "
                ));
                sql.param(src(())?);
                sql.push(&format!(") AND ({t}.valid_to IS NULL OR {t}.valid_to > "));
                sql.param(src(())?);
                sql.push(")");
            }
            other => {
                return Err(Error::validation(
                    format!("Unknown temporal mode \"{other}\""),
                    json!({ "temporalMode": other }),
                ))
            }
        }
        Ok(())
    }

    fn kind_filter(&self, t: &str, kinds: &[String], sql: &mut Sql) {
        if kinds.len() == 1 {
            sql.push(&format!(" AND {t}.kind = "));
            sql.konst(Value::text(&kinds[0]));
        } else {
            sql.push(&format!(" AND {t}.kind IN ("));
            for (i, k) in kinds.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.konst(Value::text(k));
            }
            sql.push(")");
        }
    }

    fn kinds_in(&self, col: &str, kinds: &[String], sql: &mut Sql) {
        if kinds.len() == 1 {
            sql.push(&format!("{col} = "));
            sql.konst(Value::text(&kinds[0]));
        } else {
            sql.push(&format!("{col} IN ("));
            for (i, k) in kinds.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.konst(Value::text(k));
            }
            sql.push(")");
        }
    }

    /// The condition tying edge `e` to the node it leaves from (`sid`/`skind`), with
    /// the hop's ontology expansion; returns the expressions of the node it reaches.
    /// Inverse kinds are followed backwards; a self-loop matches once.
    #[allow(clippy::too_many_arguments)]
    fn edge_match(
        &self,
        h: &Hop,
        e: &str,
        sid: &str,
        skind: &str,
        near: &str,
        far: &str,
        sql: &mut Sql,
    ) -> Result<(String, String)> {
        let (direct, inverse) = self.graph.expand_edge(&h.edge_kind, h.expand.as_deref())?;
        for k in direct.iter().chain(inverse.iter()) {
            self.edge_kind_check(k)?;
        }
        if inverse.is_empty() {
            sql.push(&format!(
                "{e}.{near}_id = {sid} AND {e}.{near}_kind = {skind} AND "
            ));
            self.kinds_in(&format!("{e}.kind"), &direct, sql);
            return Ok((format!("{e}.{far}_id"), format!("{e}.{far}_kind")));
        }
        sql.push("((");
        self.kinds_in(&format!("{e}.kind"), &direct, sql);
        sql.push(&format!(
            " AND {e}.{near}_id = {sid} AND {e}.{near}_kind = {skind}) OR ("
        ));
        self.kinds_in(&format!("{e}.kind"), &inverse, sql);
        sql.push(&format!(
            " AND {e}.{far}_id = {sid} AND {e}.{far}_kind = {skind}"
        ));
        let overlap: Vec<String> = inverse
            .iter()
            .filter(|k| direct.contains(k))
            .cloned()
            .collect();
        if !overlap.is_empty() {
            sql.push(&format!(
                " AND NOT ({e}.from_id = {e}.to_id AND {e}.from_kind = {e}.to_kind AND "
            ));
            self.kinds_in(&format!("{e}.kind"), &overlap, sql);
            sql.push(")");
        }
        sql.push("))");
        let pick = |col: &str| {
            format!(
                "CASE WHEN {e}.{near}_id = {sid} AND {e}.{near}_kind = {skind} THEN {e}.{far}_{col} ELSE {e}.{near}_{col} END"
            )
        };
        Ok((pick("id"), pick("kind")))
    }

    fn graph_filter(&self, t: &str, sql: &mut Sql) {
        sql.push(&format!("{t}.graph_id = "));
        sql.konst(Value::text(self.graph.id()));
    }

    /// Predicates attached to one alias.
    fn alias_preds(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        alias: &str,
        sql: &mut Sql,
    ) -> Result<()> {
        let info = Self::alias(m, alias)?.clone();
        for w in q.wheres.iter().filter(|w| w.alias == alias) {
            sql.push(" AND ");
            self.pred(&w.pred, &info, sql)?;
        }
        Ok(())
    }

    fn edge_kind_check(&self, kind: &str) -> Result<()> {
        self.graph.edge(kind).map(|_| ())
    }

    /// The FROM … WHERE … of hops `0..upto` (exclusive), every alias filtered.
    fn body(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        upto: usize,
        sql: &mut Sql,
    ) -> Result<()> {
        let p = format!("q{}", self.depth);
        let n0 = format!("{p}n0");
        sql.push(&format!(" FROM {} {n0}", self.tables.nodes));
        for (i, h) in q.hops.iter().enumerate().take(upto) {
            self.hop_join(q, m, i + 1, h, sql)?;
        }
        let search = if self.depth == 0 && upto == q.hops.len() {
            self.search.clone()
        } else {
            None
        };
        if let Some(sp) = &search {
            if sp.union() {
                // Hybrid on one alias (upstream's shape): a node found by either side ranks,
                // the side that did not find it adds nothing to its fused score.
                sql.push(", tg_hc LEFT JOIN tg_vs ON tg_vs.node_id = tg_hc.node_id AND tg_vs.node_kind = tg_hc.node_kind \
                          LEFT JOIN tg_ft ON tg_ft.node_id = tg_hc.node_id AND tg_ft.node_kind = tg_hc.node_kind");
            } else {
                if sp.vector.is_some() {
                    sql.push(", tg_vs");
                }
                if sp.fulltext.is_some() {
                    sql.push(", tg_ft");
                }
            }
        }
        sql.push(" WHERE ");
        self.graph_filter(&n0, sql);
        let kinds = self.kinds(&q.start.kind)?;
        self.kind_filter(&n0, &kinds, sql);
        if self.rowid_live && self.depth == 0 {
            self.rowid_visibility_filter(q, &n0, sql)?;
        } else {
            self.temporal_filter(q, &n0, sql)?;
        }
        self.alias_preds(q, m, &q.start.alias, sql)?;
        if let Some(sp) = &search {
            if let (true, Some(v)) = (sp.union(), &sp.vector) {
                let t = &Self::alias(m, &v.alias)?.table;
                sql.push(&format!(
                    " AND tg_hc.node_id = {t}.id AND tg_hc.node_kind = {t}.kind"
                ));
                return Ok(());
            }
            if let Some(v) = &sp.vector {
                let t = &Self::alias(m, &v.alias)?.table;
                sql.push(&format!(
                    " AND tg_vs.node_id = {t}.id AND tg_vs.node_kind = {t}.kind"
                ));
            }
            if let Some(f) = &sp.fulltext {
                let t = &Self::alias(m, &f.alias)?.table;
                sql.push(&format!(
                    " AND tg_ft.node_id = {t}.id AND tg_ft.node_kind = {t}.kind"
                ));
            }
        }
        Ok(())
    }

    fn source_of(&self, q: &Query, m: &HashMap<String, AliasInfo>, i: usize) -> Result<String> {
        let h = &q.hops[i - 1];
        let name = match &h.from {
            Some(f) => f.clone(),
            None if i == 1 => q.start.alias.clone(),
            None => q.hops[i - 2].node_alias.clone(),
        };
        let info = Self::alias(m, &name)?;
        if info.entity != Entity::Node || info.hop >= i {
            return Err(validation(format!(
                "Traversal source \"{name}\" must be an earlier node alias"
            )));
        }
        Ok(info.table.clone())
    }

    fn hop_join(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        i: usize,
        h: &Hop,
        sql: &mut Sql,
    ) -> Result<()> {
        self.edge_kind_check(&h.edge_kind)?;
        let p = format!("q{}", self.depth);
        let src = self.source_of(q, m, i)?;
        let e = format!("{p}e{i}");
        let n = format!("{p}n{i}");
        let (near, far) = match h.direction.as_deref().unwrap_or("out") {
            "out" => ("from", "to"),
            "in" => ("to", "from"),
            other => return Err(validation(format!("Unknown direction \"{other}\""))),
        };
        let kinds = self.kinds(&h.node_kind)?;
        let join = if h.optional { " LEFT JOIN " } else { " JOIN " };
        let historical = self.recorded.is_some();
        if h.include_identity_members && (h.optional || self.edge_counts_only(q) || historical) {
            return Err(Error::new(
                crate::error::Code::UnsupportedPredicate,
                "includeIdentityMembers is supported on non-optional traversals (not at recorded-time coordinates)",
                json!({ "edgeAlias": h.edge_alias }),
            ));
        }
        if h.recursive.is_some() {
            let r = format!("{p}r{i}");
            let min = h.recursive.as_ref().map(|r| r.min_hops).unwrap_or(1);
            sql.push(&format!(
                "{join}({r} JOIN {} {n} ON {n}.graph_id = ",
                self.tables.nodes
            ));
            sql.konst(Value::text(self.graph.id()));
            sql.push(&format!(
                " AND {n}.id = {r}.node_id AND {n}.kind = {r}.node_kind"
            ));
            self.kind_filter(&n, &kinds, sql);
            self.temporal_filter(q, &n, sql)?;
            self.alias_preds(q, m, &h.node_alias, sql)?;
            sql.push(&format!(
                ") ON {r}.src_id = {src}.id AND {r}.src_kind = {src}.kind AND {r}.depth >= {min}"
            ));
            return Ok(());
        }
        if self.edge_counts_only(q) {
            // Edge-count aggregate: the edge joins on its own liveness; the target joins
            // LEFT behind it, gated by its kind and temporal window, so `countEdges` sees
            // every live edge while `count(target)` (NULLs not counted) sees live targets.
            sql.push(&format!(
                "{join}{} {e} ON {e}.graph_id = {src}.graph_id AND ",
                self.tables.edges
            ));
            let (fid, fkind) = self.edge_match(
                h,
                &e,
                &format!("{src}.id"),
                &format!("{src}.kind"),
                near,
                far,
                sql,
            )?;
            sql.push(" AND ");
            self.kinds_in(&format!("{e}.{far}_kind"), &kinds, sql);
            self.temporal_filter(q, &e, sql)?;
            self.alias_preds(q, m, &h.edge_alias, sql)?;
            sql.push(&format!(
                " LEFT JOIN {} {n} ON {n}.graph_id = {e}.graph_id AND {n}.id = {fid} AND {n}.kind = {fkind}",
                self.tables.nodes
            ));
            self.kind_filter(&n, &kinds, sql);
            self.temporal_filter(q, &n, sql)?;
            return Ok(());
        }
        if !h.optional {
            // Inner hop: flat joins, edge first (keyed by its source), then the target.
            // SQLite plans without statistics; when the start alias is filtered, walk
            // outward from it in query order (CROSS JOIN fixes SQLite's join order).
            let jk = if self.dialect == Dialect::Sqlite
                && q.wheres.iter().any(|w| w.alias == q.start.alias)
            {
                " CROSS JOIN"
            } else {
                " JOIN"
            };
            // Identity expansion: the hop leaves from each visible member of the source's
            // class, found through the maintained closure (the source's own row by primary key,
            // its class's members by the class index); a source outside any class is its own
            // only member.
            let src = if h.include_identity_members {
                let mn = format!("{p}is{i}");
                let j = self.identity_members(
                    q,
                    &format!("{p}i{i}"),
                    &mn,
                    &format!("{src}.kind"),
                    &format!("{src}.id"),
                    jk,
                )?;
                sql.push(&j.text);
                sql.params.extend(j.params);
                mn
            } else {
                src
            };
            sql.push(&format!(
                "{jk} {} {e} ON {e}.graph_id = {src}.graph_id AND ",
                self.tables.edges
            ));
            let (fid, fkind) = self.edge_match(
                h,
                &e,
                &format!("{src}.id"),
                &format!("{src}.kind"),
                near,
                far,
                sql,
            )?;
            self.temporal_filter(q, &e, sql)?;
            self.alias_preds(q, m, &h.edge_alias, sql)?;
            sql.push(&format!(
                "{jk} {} {n} ON {n}.graph_id = {e}.graph_id AND {n}.id = {fid} AND {n}.kind = {fkind}",
                self.tables.nodes
            ));
            self.kind_filter(&n, &kinds, sql);
            self.temporal_filter(q, &n, sql)?;
            self.alias_preds(q, m, &h.node_alias, sql)?;
            return Ok(());
        }
        // Optional hop: the edge and its target join together, then LEFT JOIN as one.
        let expanded = !self
            .graph
            .expand_edge(&h.edge_kind, h.expand.as_deref())?
            .1
            .is_empty();
        if expanded {
            // Either end may be the target; the outer ON picks the right one.
            sql.push(&format!(
                "{join}({} {e} JOIN {} {n} ON {n}.graph_id = {e}.graph_id AND (({n}.id = {e}.to_id AND {n}.kind = {e}.to_kind) OR ({n}.id = {e}.from_id AND {n}.kind = {e}.from_kind))",
                self.tables.edges, self.tables.nodes
            ));
        } else {
            sql.push(&format!(
                "{join}({} {e} JOIN {} {n} ON {n}.graph_id = {e}.graph_id AND {n}.id = {e}.{far}_id AND {n}.kind = {e}.{far}_kind",
                self.tables.edges, self.tables.nodes
            ));
        }
        self.kind_filter(&n, &kinds, sql);
        self.temporal_filter(q, &n, sql)?;
        self.alias_preds(q, m, &h.node_alias, sql)?;
        sql.push(&format!(") ON {e}.graph_id = {src}.graph_id AND "));
        let (fid, fkind) = self.edge_match(
            h,
            &e,
            &format!("{src}.id"),
            &format!("{src}.kind"),
            near,
            far,
            sql,
        )?;
        if expanded {
            sql.push(&format!(" AND {n}.id = {fid} AND {n}.kind = {fkind}"));
        }
        self.temporal_filter(q, &e, sql)?;
        self.alias_preds(q, m, &h.edge_alias, sql)?;
        Ok(())
    }

    /// Joins that turn a hop's source `(src_kind, src_id)` into each visible member of its
    /// identity class, the member's node row aliased `mn` (the source itself when it belongs to
    /// no class). At the current coordinate the maintained closure answers (the source's row by
    /// primary key, its class's members by the class index); at any other coordinate the classes
    /// are rebuilt once per statement from the ledger: `same` assertions active at the instant
    /// and, with `fold`, same-id pairs of nodes written by then and not yet deleted.
    fn identity_members(
        &mut self,
        q: &Query,
        pre: &str,
        mn: &str,
        src_kind: &str,
        src_id: &str,
        jk: &str,
    ) -> Result<Sql> {
        let mut j = Sql::default();
        let (mode, as_of) = match &q.temporal {
            Some(tm) => (tm.mode.as_deref().unwrap_or("current"), tm.as_of),
            None => ("current", None),
        };
        let (mk, mi) = if mode == "current" {
            let closure = crate::dialect::quote_ident(
                &self
                    .tables
                    .physical("identityClosure", "typegraph_identity_closure"),
            );
            let (c1, c2) = (format!("{pre}c"), format!("{pre}m"));
            j.push(&format!(" LEFT JOIN {closure} {c1} ON {c1}.graph_id = "));
            j.konst(Value::text(self.graph.id()));
            j.push(&format!(
                " AND {c1}.member_kind = {src_kind} AND {c1}.member_id = {src_id} \
                 LEFT JOIN {closure} {c2} ON {c2}.graph_id = {c1}.graph_id AND {c2}.class_kind = {c1}.class_kind AND {c2}.class_id = {c1}.class_id"
            ));
            (format!("{c2}.member_kind"), format!("{c2}.member_id"))
        } else {
            let at = |_: ()| match (mode, as_of) {
                ("asOf", Some(s)) => Ok(Src::Arg(s.index, Conv::Instant)),
                ("asOf", None) => Err(validation("temporal(\"asOf\") requires an asOf instant")),
                _ => Ok(Src::Now),
            };
            let assertions = crate::dialect::quote_ident(
                &self
                    .tables
                    .physical("identityAssertions", "typegraph_identity_assertions"),
            );
            let nodes = self.tables.nodes.clone();
            let fold = self.graph.spec.identity.as_ref().is_some_and(|i| i.fold);
            let c = format!("{pre}h");
            // Nodes conducting identity at the instant: not yet deleted then; a same-id fold also
            // needs both nodes written by then (folds follow the lifecycle, not the window).
            let exists = |j: &mut Sql, t: &str, at: &dyn Fn(()) -> Result<Src>| -> Result<()> {
                j.push(&format!(
                    " AND ({t}.deleted_at IS NULL OR {t}.deleted_at > "
                ));
                j.param(at(())?);
                j.push(")");
                Ok(())
            };
            let conducts = |j: &mut Sql, t: &str, at: &dyn Fn(()) -> Result<Src>| -> Result<()> {
                j.push(&format!(" AND {t}.created_at <= "));
                j.param(at(())?);
                exists(j, t, at)
            };
            j.push(&format!(
                " LEFT JOIN (WITH RECURSIVE tg_ide(xk, xi, yk, yi) AS (SELECT tg_a.a_kind, tg_a.a_id, tg_a.b_kind, tg_a.b_id FROM {assertions} tg_a \
                 JOIN {nodes} tg_na ON tg_na.graph_id = tg_a.graph_id AND tg_na.kind = tg_a.a_kind AND tg_na.id = tg_a.a_id"
            ));
            exists(&mut j, "tg_na", &at)?;
            j.push(&format!(
                " JOIN {nodes} tg_nb ON tg_nb.graph_id = tg_a.graph_id AND tg_nb.kind = tg_a.b_kind AND tg_nb.id = tg_a.b_id"
            ));
            exists(&mut j, "tg_nb", &at)?;
            j.push(" WHERE tg_a.graph_id = ");
            j.konst(Value::text(self.graph.id()));
            j.push(" AND tg_a.rel = 'same' AND tg_a.deleted_at IS NULL AND tg_a.valid_from <= ");
            j.param(at(())?);
            j.push(" AND (tg_a.valid_to IS NULL OR tg_a.valid_to > ");
            j.param(at(())?);
            j.push(")");
            if fold {
                j.push(&format!(
                    " UNION ALL SELECT tg_f1.kind, tg_f1.id, tg_f2.kind, tg_f2.id FROM {nodes} tg_f1 \
                     JOIN {nodes} tg_f2 ON tg_f2.graph_id = tg_f1.graph_id AND tg_f2.id = tg_f1.id AND tg_f2.kind <> tg_f1.kind"
                ));
                conducts(&mut j, "tg_f2", &at)?;
                j.push(" WHERE tg_f1.graph_id = ");
                j.konst(Value::text(self.graph.id()));
                conducts(&mut j, "tg_f1", &at)?;
            }
            j.push(
                "), tg_ids(xk, xi, yk, yi) AS (SELECT xk, xi, yk, yi FROM tg_ide UNION SELECT yk, yi, xk, xi FROM tg_ide), \
                 tg_idr(sk, si, mk, mi) AS (SELECT xk, xi, xk, xi FROM tg_ids UNION SELECT tg_r.sk, tg_r.si, tg_s.yk, tg_s.yi FROM tg_idr tg_r JOIN tg_ids tg_s ON tg_s.xk = tg_r.mk AND tg_s.xi = tg_r.mi) \
                 SELECT sk, si, mk, mi FROM tg_idr)",
            );
            j.push(&format!(
                " {c} ON {c}.sk = {src_kind} AND {c}.si = {src_id}"
            ));
            (format!("{c}.mk"), format!("{c}.mi"))
        };
        j.push(&format!(
            "{jk} {} {mn} ON {mn}.graph_id = ",
            self.tables.nodes
        ));
        j.konst(Value::text(self.graph.id()));
        j.push(&format!(
            " AND {mn}.kind = COALESCE({mk}, {src_kind}) AND {mn}.id = COALESCE({mi}, {src_id})"
        ));
        self.temporal_filter(q, mn, &mut j)?;
        Ok(j)
    }

    /// A count aggregate grouped by its start node over one plain hop, counting only ids of
    /// the hop's edge and/or target (no filter on the target): the edge then counts on its
    /// own liveness, not its target's (as upstream's count fast path).
    fn edge_counts_only(&self, q: &Query) -> bool {
        let [h] = q.hops.as_slice() else {
            return false;
        };
        let start = &q.start.alias;
        if h.recursive.is_some()
            || h.from.as_ref().is_some_and(|f| f != start)
            || !q.having.is_empty()
            || !q.set_ops.is_empty()
        {
            return false;
        }
        let [g] = q.group_by.as_slice() else {
            return false;
        };
        if &g.alias != start || !matches!(g.field.system.as_deref(), Some("$node") | Some("id")) {
            return false;
        }
        if q.wheres.iter().any(|w| w.alias == h.node_alias) {
            return false;
        }
        if q.order_by
            .iter()
            .any(|o| o.alias.as_ref().is_some_and(|a| a != start))
        {
            return false;
        }
        let mut counted = false;
        for s in &q.select {
            match s.agg.as_deref() {
                None if &s.alias == start => {}
                Some("count") | Some("countDistinct")
                    if s.col == "id" && (s.alias == h.node_alias || s.alias == h.edge_alias) =>
                {
                    counted = true
                }
                _ => return false,
            }
        }
        counted
            && self
                .graph
                .expand_edge(&h.edge_kind, h.expand.as_deref())
                .map(|(_, inverse)| inverse.is_empty())
                .unwrap_or(false)
    }

    /// `WITH RECURSIVE` for the (single) recursive hop, if any.
    fn recursive_cte(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        sql: &mut Sql,
    ) -> Result<()> {
        let Some((idx, h)) = q
            .hops
            .iter()
            .enumerate()
            .find(|(_, h)| h.recursive.is_some())
        else {
            return Ok(());
        };
        let i = idx + 1;
        let rec = h.recursive.as_ref().expect("recursive hop");
        let max = match rec.max_hops {
            None => MAX_RECURSIVE_DEPTH,
            Some(mx) if mx > MAX_EXPLICIT_RECURSIVE_DEPTH => {
                return Err(unsupported(
                    format!(
                        "Recursive traversal maxHops ({mx}) exceeds the maximum of {MAX_EXPLICIT_RECURSIVE_DEPTH}"
                    ),
                    json!({ "maxHops": mx, "limit": MAX_EXPLICIT_RECURSIVE_DEPTH }),
                ))
            }
            Some(mx) => mx,
        };
        if rec.min_hops > max {
            return Err(validation("minHops must be <= maxHops"));
        }
        self.edge_kind_check(&h.edge_kind)?;
        let p = format!("q{}", self.depth);
        let r = format!("{p}r{i}");
        let src = self.source_of(q, m, i)?;
        let (near, far) = match h.direction.as_deref().unwrap_or("out") {
            "out" => ("from", "to"),
            "in" => ("to", "from"),
            other => return Err(validation(format!("Unknown direction \"{other}\""))),
        };
        let kinds = self.kinds(&h.node_kind)?;
        // An identity hop reaches folded peers sharing an id: its cycle token is the (kind, id)
        // pair (`vpath`), while `path` keeps the bare ids the public path output reads.
        let (vcol, vseed) = if h.include_identity_members {
            (
                ", vpath".to_string(),
                format!(", '|' || {src}.kind || '#' || {src}.id || '|'"),
            )
        } else {
            (String::new(), String::new())
        };
        sql.push(&format!(
            "WITH RECURSIVE {r}(src_id, src_kind, node_id, node_kind, depth, path{vcol}) AS (SELECT DISTINCT {src}.id, {src}.kind, {src}.id, {src}.kind, 0, '|' || {src}.id || '|'{vseed}"
        ));
        self.body(q, m, idx, sql)?;
        // Aliases after the recursive hop are not in scope of the seed; their
        // predicates live in their own joins.
        let e = format!("{p}x{i}");
        let n = format!("{p}y{i}");
        // The reached node's expressions (the select list precedes the join that defines
        // them, so they are computed on a scratch buffer and spliced in order).
        let mut cond = Sql::default();
        // Identity expansion: each step leaves from every visible member of the reached
        // node's class (closure by primary key, then the class's members), itself when classless.
        let (step_id, step_kind, members) = if h.include_identity_members {
            let mn = format!("{p}ris{i}");
            let j = self.identity_members(
                q,
                &format!("{p}ri{i}"),
                &mn,
                &format!("{r}.node_kind"),
                &format!("{r}.node_id"),
                " JOIN",
            )?;
            (format!("{mn}.id"), format!("{mn}.kind"), Some(j))
        } else {
            (format!("{r}.node_id"), format!("{r}.node_kind"), None)
        };
        let (fid, fkind) = self.edge_match(h, &e, &step_id, &step_kind, near, far, &mut cond)?;
        sql.push(&format!(
            " UNION ALL SELECT {r}.src_id, {r}.src_kind, {fid}, {fkind}, {r}.depth + 1, {r}.path || {fid} || '|'{} FROM {r}",
            if h.include_identity_members {
                format!(", {r}.vpath || {fkind} || '#' || {fid} || '|'")
            } else {
                String::new()
            }
        ));
        if let Some(j) = members {
            sql.push(&j.text);
            sql.params.extend(j.params);
        }
        sql.push(&format!(
            " JOIN {} {e} ON {e}.graph_id = ",
            self.tables.edges
        ));
        sql.konst(Value::text(self.graph.id()));
        sql.push(" AND ");
        sql.push(&cond.text);
        sql.params.extend(cond.params);
        self.temporal_filter(q, &e, sql)?;
        let edge_info = AliasInfo {
            table: e.clone(),
            entity: Entity::Edge,
            hop: i,
        };
        for w in q.wheres.iter().filter(|w| w.alias == h.edge_alias) {
            sql.push(" AND ");
            self.pred(&w.pred, &edge_info, sql)?;
        }
        sql.push(&format!(
            " JOIN {} {n} ON {n}.graph_id = {e}.graph_id AND {n}.id = {fid} AND {n}.kind = {fkind}",
            self.tables.nodes
        ));
        self.kind_filter(&n, &kinds, sql);
        self.temporal_filter(q, &n, sql)?;
        let node_info = AliasInfo {
            table: n.clone(),
            entity: Entity::Node,
            hop: i,
        };
        for w in q.wheres.iter().filter(|w| w.alias == h.node_alias) {
            sql.push(" AND ");
            self.pred(&w.pred, &node_info, sql)?;
        }
        sql.push(&format!(" WHERE {r}.depth < {max}"));
        if rec.cycle_policy.as_deref().unwrap_or("prevent") == "prevent" {
            let (col, token) = if h.include_identity_members {
                ("vpath", format!("'|' || {fkind} || '#' || {fid} || '|'"))
            } else {
                ("path", format!("'|' || {fid} || '|'"))
            };
            let pos = match self.dialect {
                Dialect::Sqlite => format!("instr({r}.{col}, {token})"),
                Dialect::Postgres => format!("strpos({r}.{col}, {token})"),
            };
            sql.push(&format!(" AND {pos} = 0"));
        }
        sql.push(") ");
        Ok(())
    }

    /// One SELECT (no set operations); returns its column JSON flags.
    fn select(&mut self, q: &Query, sql: &mut Sql) -> Result<Vec<bool>> {
        let m = self.aliases(q)?;
        for w in &q.wheres {
            Self::alias(&m, &w.alias)?;
        }
        // Subqueries may refer to this query's aliases (`fieldRef`).
        self.scopes.push(m.clone());
        let r = self.select_in(q, &m, sql);
        self.scopes.pop();
        r
    }

    /// An alias of this query or of an enclosing one (innermost first).
    fn scoped_alias(&self, name: &str) -> Result<AliasInfo> {
        for m in self.scopes.iter().rev() {
            if let Some(i) = m.get(name) {
                return Ok(i.clone());
            }
        }
        Err(Error::validation(
            format!("Unknown alias \"{name}\" in fieldRef"),
            json!({ "issues": [{ "path": "alias", "message": format!("\"{name}\" is not defined in this query or an enclosing one") }] }),
        ))
    }

    fn select_in(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        sql: &mut Sql,
    ) -> Result<Vec<bool>> {
        let m = m.clone();
        // The one column of an IN subquery compares as a scalar, not as JSON.
        let scalar = std::mem::take(&mut self.scalar_select);
        if self.depth == 0 {
            self.rowid_live = !self.plain_live && self.rowid_visibility(q);
            if self.rowid_live {
                self.rowid_kind = Some(q.start.kind.kind.clone());
            }
        }
        self.recursive_cte(q, &m, sql)?;
        let search = if self.depth == 0 {
            self.search.clone()
        } else {
            None
        };
        if let Some(sp) = &search {
            self.search_ctes(q, &m, sp, sql)?;
        }
        sql.push("SELECT ");
        let mut json_cols = Vec::new();
        let mut prop_cols = Vec::new();
        let mut extract_cols = Vec::new();
        if q.select.is_empty() {
            sql.push("1");
        }
        let aggregate = q.select.iter().any(|s| s.agg.is_some()) || !q.group_by.is_empty();
        for (i, s) in q.select.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let grouped = self.scalar_group_expr(&m, s, aggregate)?;
            let scalar_prop = grouped.is_some();
            let extract = if !aggregate && !scalar && self.engine_extract_item(q, &m, s) {
                Some(s.path.clone())
            } else {
                None
            };
            let (expr, is_json) = if let Some(e) = grouped {
                (e, false)
            } else if extract.is_some() {
                (format!("{}.props", Self::alias(&m, &s.alias)?.table), true)
            } else if scalar && s.agg.is_none() && s.col == "prop" {
                let f = FieldRef {
                    system: None,
                    path: s.path.clone(),
                    value_type: s.value_type.clone(),
                };
                (self.value_expr(Self::alias(&m, &s.alias)?, &f)?, false)
            } else {
                self.select_expr(&m, s)?
            };
            sql.push(&expr);
            json_cols.push(is_json);
            prop_cols.push(s.agg.is_none() && s.col == "prop" && !scalar_prop);
            extract_cols.push(extract);
        }
        if self.depth == 0 && self.prop_cols.is_empty() {
            self.prop_cols = prop_cols;
            self.extract_cols = extract_cols;
        }
        self.body(q, &m, q.hops.len(), sql)?;
        if let Some(k) = &q.keyset {
            self.keyset(q, &m, k, sql)?;
        }
        if aggregate {
            let mut keys = Vec::new();
            for g in &q.group_by {
                let info = Self::alias(&m, &g.alias)?;
                if g.field.system.as_deref() == Some("$node") {
                    keys.push(format!("{t}.graph_id, {t}.kind, {t}.id", t = info.table));
                } else {
                    keys.push(self.value_expr(info, &g.field)?);
                }
            }
            // Plain selected fields group too (field(alias, path) outputs).
            for s in q.select.iter().filter(|s| s.agg.is_none()) {
                let expr = match self.scalar_group_expr(&m, s, true)? {
                    Some(e) => e,
                    None => self.select_expr(&m, s)?.0,
                };
                if !keys.contains(&expr) {
                    keys.push(expr);
                }
            }
            if !keys.is_empty() {
                sql.push(" GROUP BY ");
                sql.push(&keys.join(", "));
            }
            if !q.having.is_empty() {
                sql.push(" HAVING ");
                for (i, h) in q.having.iter().enumerate() {
                    if i > 0 {
                        sql.push(" AND ");
                    }
                    let s = q
                        .select
                        .get(h.output)
                        .ok_or_else(|| validation("HAVING refers to an unknown aggregate"))?;
                    let (expr, _) = self.select_expr(&m, s)?;
                    let op = cmp_sym(&h.op)?;
                    sql.push(&format!("{expr} {op} "));
                    let conv = match h.value_type.as_deref() {
                        Some("string") => Conv::Text,
                        Some("boolean") => Conv::Bool,
                        _ => Conv::Number,
                    };
                    sql.arg(h.value, conv);
                }
            }
        }
        let relevance = match &search {
            Some(sp) if !aggregate => Some(Self::relevance(sp)),
            _ => None,
        };
        if let (Some(r), true) = (&relevance, q.order_by.is_empty()) {
            sql.push(&format!(" ORDER BY {r}"));
        }
        if !q.order_by.is_empty() {
            sql.push(" ORDER BY ");
            for (i, o) in q.order_by.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let dir = if o.desc { "DESC" } else { "ASC" };
                if let Some(out) = o.output {
                    if out >= q.select.len() {
                        return Err(validation("orderBy refers to an unknown output"));
                    }
                    let nulls = if o.desc { "NULLS FIRST" } else { "NULLS LAST" };
                    sql.push(&format!("{} {dir} {nulls}", out + 1));
                    continue;
                }
                let expr = self.order_expr(&m, o)?;
                let nulls = if o.desc { "DESC" } else { "ASC" };
                sql.push(&format!("({expr} IS NULL) {nulls}, {expr} {dir}"));
            }
            if let Some(r) = &relevance {
                sql.push(&format!(", {r}"));
            }
        }
        self.limit_offset(q.limit, q.offset, sql);
        Ok(json_cols)
    }

    fn order_expr(&self, m: &HashMap<String, AliasInfo>, o: &OrderBy) -> Result<String> {
        let alias = o
            .alias
            .as_deref()
            .ok_or_else(|| validation("orderBy needs an alias"))?;
        let info = Self::alias(m, alias)?;
        if info.table.is_empty() {
            return Err(unsupported(
                "Cannot order by the edge of a recursive traversal",
                json!({ "alias": alias }),
            ));
        }
        let field = o
            .field
            .as_ref()
            .ok_or_else(|| validation("orderBy needs a field"))?;
        match info.entity {
            Entity::Depth => return Ok(format!("{}.depth", info.table)),
            Entity::Path => return Ok(format!("{}.path", info.table)),
            _ => {}
        }
        if matches!(field.vt(), "array" | "object" | "embedding") {
            return Err(unsupported(
                "Ordering by JSON arrays or objects is not supported",
                json!({ "alias": alias }),
            ));
        }
        self.value_expr(info, field)
    }

    /// Keyset condition for cursor pagination: strictly after (before) the bound row
    /// in ORDER BY order, NULLs placed as the ORDER BY places them.
    fn keyset(
        &mut self,
        _q: &Query,
        m: &HashMap<String, AliasInfo>,
        k: &Keyset,
        sql: &mut Sql,
    ) -> Result<()> {
        let q = _q;
        if k.values.len() != q.order_by.len() || q.order_by.is_empty() {
            return Err(validation("Cursor does not match the query's orderBy"));
        }
        let exprs: Vec<(String, bool)> = q
            .order_by
            .iter()
            .map(|o| Ok((self.order_expr(m, o)?, o.desc)))
            .collect::<Result<_>>()?;
        // OR over i: all earlier columns equal (NULL-safe), column i strictly beyond.
        sql.push(" AND (");
        for i in 0..exprs.len() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(");
            for (j, (e, _)) in exprs.iter().enumerate().take(i) {
                let null_eq = match self.dialect {
                    Dialect::Sqlite => "IS",
                    Dialect::Postgres => "IS NOT DISTINCT FROM",
                };
                sql.push(&format!("{e} {null_eq} "));
                sql.arg(k.values[j], self.key_conv(&q.order_by[j]));
                sql.push(" AND ");
            }
            let (e, desc) = &exprs[i];
            let v = k.values[i];
            let conv = self.key_conv(&q.order_by[i]);
            // Effective order: asc = nulls last; desc = nulls first (reversed when paging back).
            if *desc {
                // beyond = smaller values, then NULL comes first so nothing after NULL except..
                // desc order: NULLs first, then values descending.
                sql.push(&format!("((? IS NULL AND {e} IS NOT NULL) OR {e} < "));
                sql.params.push(Src::Arg(v.index, conv.clone()));
                sql.arg(v, conv);
                sql.push(")");
            } else {
                // asc order: values ascending, then NULLs.
                sql.push(&format!("((? IS NOT NULL AND {e} IS NULL) OR {e} > "));
                sql.params.push(Src::Arg(v.index, conv.clone()));
                sql.arg(v, conv);
                sql.push(")");
            }
            sql.push(")");
        }
        sql.push(")");
        Ok(())
    }

    fn key_conv(&self, o: &OrderBy) -> Conv {
        let vt = o.field.as_ref().map(|f| f.vt()).unwrap_or("string");
        match (self.dialect, vt) {
            (Dialect::Postgres, "number") => Conv::Number,
            (Dialect::Postgres, "boolean") => Conv::Bool,
            (Dialect::Postgres, _) => Conv::Text,
            _ => Conv::Scalar,
        }
    }

    fn system_col(info: &AliasInfo, sys: &str) -> Result<String> {
        let col = match (info.entity, sys) {
            (_, "id") => "id",
            (_, "kind") => "kind",
            (Entity::Edge, "fromId") => "from_id",
            (Entity::Edge, "toId") => "to_id",
            (Entity::Edge, "fromKind") => "from_kind",
            (Entity::Edge, "toKind") => "to_kind",
            (_, other) => {
                return Err(Error::validation(
                    format!("Unknown system field \"{other}\""),
                    json!({}),
                ))
            }
        };
        Ok(format!("{}.{col}", info.table))
    }

    /// A field as a typed scalar for comparison and ordering.
    fn value_expr(&self, info: &AliasInfo, f: &FieldRef) -> Result<String> {
        if let Some(sys) = &f.system {
            return Self::system_col(info, sys);
        }
        if f.path.is_empty() {
            return Err(validation("field reference without a path"));
        }
        let props = format!("{}.props", info.table);
        Ok(match (self.dialect, f.vt()) {
            (Dialect::Sqlite, _) => sqd::json_text(&props, &f.path),
            (Dialect::Postgres, "number") => {
                format!("({})::numeric", pgd::json_text(&props, &f.path))
            }
            (Dialect::Postgres, "boolean") => {
                format!("({})::boolean", pgd::json_text(&props, &f.path))
            }
            (Dialect::Postgres, _) => pgd::json_text(&props, &f.path),
        })
    }

    /// A field as JSON (arrays, objects, projections).
    fn json_expr(&self, info: &AliasInfo, path: &[String]) -> String {
        let props = format!("{}.props", info.table);
        match self.dialect {
            Dialect::Sqlite => format!("{props} -> '{}'", sqlite_path(path).replace('\'', "''")),
            Dialect::Postgres => pgd::json_value(&props, path),
        }
    }

    fn select_expr(
        &self,
        m: &HashMap<String, AliasInfo>,
        s: &SelectItem,
    ) -> Result<(String, bool)> {
        let info = Self::alias(m, &s.alias)?;
        let t = &info.table;
        if t.is_empty() {
            return Err(unsupported(
                format!(
                    "Edge alias \"{}\" of a recursive traversal cannot be selected",
                    s.alias
                ),
                json!({ "alias": s.alias }),
            ));
        }
        if let Some(agg) = &s.agg {
            let target = match (s.col.as_str(), s.path.is_empty()) {
                ("prop", false) => {
                    let f = FieldRef {
                        system: None,
                        path: s.path.clone(),
                        value_type: s.value_type.clone(),
                    };
                    let mut e = self.value_expr(info, &f)?;
                    if matches!(agg.as_str(), "sum" | "avg")
                        && self.dialect == Dialect::Postgres
                        && f.vt() != "number"
                    {
                        e = format!(
                            "({})::numeric",
                            pgd::json_text(&format!("{t}.props"), &s.path)
                        );
                    }
                    e
                }
                _ => format!("{t}.id"),
            };
            let expr = match agg.as_str() {
                // The start alias of a rowid-visibility aggregate is never NULL.
                "count" if self.rowid_live && self.depth == 0 && target == format!("{t}.id") => {
                    "COUNT(*)".to_string()
                }
                "count" => format!("COUNT({target})"),
                "countDistinct" => format!("COUNT(DISTINCT {target})"),
                "sum" => self.float(format!("SUM({target})")),
                "avg" => self.float(format!("AVG({target})")),
                "min" => self.minmax("MIN", &target, s),
                "max" => self.minmax("MAX", &target, s),
                other => return Err(validation(format!("Unknown aggregate \"{other}\""))),
            };
            return Ok((expr, false));
        }
        let col = match (info.entity, s.col.as_str()) {
            (Entity::Depth, _) => return Ok((format!("{t}.depth"), false)),
            (Entity::Path, _) => return Ok((format!("{t}.path"), false)),
            (_, "id") => "id",
            (_, "kind") => "kind",
            (Entity::Edge, "fromId") => "from_id",
            (Entity::Edge, "toId") => "to_id",
            (Entity::Edge, "fromKind") => "from_kind",
            (Entity::Edge, "toKind") => "to_kind",
            (Entity::Node, "version") => "version",
            (_, "validFrom") => "valid_from",
            (_, "validTo") => "valid_to",
            (_, "createdAt") => "created_at",
            (_, "updatedAt") => "updated_at",
            (_, "deletedAt") => "deleted_at",
            (_, "props") => return Ok((format!("{t}.props"), true)),
            (_, "prop")
                if self.dialect == Dialect::Sqlite
                    && s.value_type.as_deref() == Some("number")
                    && !s.path.is_empty() =>
            {
                // A number field as the scalar `json_extract` yields: the same expression a
                // declared index stores, so an index scan hands the value over without
                // parsing the row's JSON. A JSON null or a missing key (NULL) falls back to
                // the `->` form, which tells the two apart.
                let path = sqlite_path(&s.path).replace('\'', "''");
                return Ok((
                    format!("COALESCE(json_extract({t}.props, '{path}'), {t}.props -> '{path}')"),
                    true,
                ));
            }
            (_, "prop") => return Ok((self.json_expr(info, &s.path), true)),
            (_, other) => return Err(validation(format!("Unknown select column \"{other}\""))),
        };
        Ok((format!("{t}.{col}"), false))
    }

    /// Whether select item `s` of the outermost row select is read as its alias's whole
    /// props text, the engine picking the field out while rendering (SQLite): a single prop
    /// of a table alias, unless it is a number field of the start alias that a declared index
    /// of its kind stores (then `json_extract` may take the value from the index, see
    /// `select_expr`).
    fn engine_extract_item(
        &self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        s: &SelectItem,
    ) -> bool {
        if !self.engine_extract
            || self.depth != 0
            || self.search.is_some()
            || s.agg.is_some()
            || s.col != "prop"
            || s.path.is_empty()
        {
            return false;
        }
        let Ok(info) = Self::alias(m, &s.alias) else {
            return false;
        };
        if info.table.is_empty() || !matches!(info.entity, Entity::Node | Entity::Edge) {
            return false;
        }
        // Only the start alias is read through a declared index of its own kind (a hop's
        // node is found by its key), so only there can `json_extract` skip the document.
        if info.entity == Entity::Node
            && s.value_type.as_deref() == Some("number")
            && q.start.alias == s.alias
        {
            let indexed = match self.graph.node(&q.start.kind.kind).ok() {
                Some(spec) => spec
                    .index_paths
                    .iter()
                    .any(|ix| ix.iter().any(|c| c.as_slice() == s.path.as_slice())),
                None => true,
            };
            if indexed {
                return false;
            }
        }
        true
    }

    /// A plain field of an aggregate query selected as the scalar it groups by (the same
    /// expression as the GROUP BY key and an expression index), when the scalar reads
    /// back as the same JSON value: strings and dates (and numbers on SQLite).
    fn scalar_group_expr(
        &self,
        m: &HashMap<String, AliasInfo>,
        s: &SelectItem,
        aggregate: bool,
    ) -> Result<Option<String>> {
        if !aggregate || s.agg.is_some() || s.col != "prop" || s.path.is_empty() {
            return Ok(None);
        }
        let vt = s.value_type.as_deref().unwrap_or("unknown");
        let ok = match self.dialect {
            Dialect::Sqlite => matches!(vt, "string" | "number" | "date"),
            Dialect::Postgres => matches!(vt, "string" | "date"),
        };
        if !ok {
            return Ok(None);
        }
        let f = FieldRef {
            system: None,
            path: s.path.clone(),
            value_type: s.value_type.clone(),
        };
        Ok(Some(self.value_expr(Self::alias(m, &s.alias)?, &f)?))
    }

    fn float(&self, e: String) -> String {
        match self.dialect {
            Dialect::Sqlite => e,
            Dialect::Postgres => format!("({e})::double precision"),
        }
    }

    fn minmax(&self, f: &str, target: &str, s: &SelectItem) -> String {
        let num = s.value_type.as_deref() == Some("number");
        if num {
            self.float(format!("{f}({target})"))
        } else {
            format!("{f}({target})")
        }
    }

    // ---- predicates ------------------------------------------------------

    fn pred(&mut self, p: &Pred, info: &AliasInfo, sql: &mut Sql) -> Result<()> {
        match p {
            Pred::And { preds } | Pred::Or { preds } => {
                let and = matches!(p, Pred::And { .. });
                if preds.is_empty() {
                    sql.push(if and { "1=1" } else { "1=0" });
                    return Ok(());
                }
                sql.push("(");
                for (i, q) in preds.iter().enumerate() {
                    if i > 0 {
                        sql.push(if and { " AND " } else { " OR " });
                    }
                    self.pred(q, info, sql)?;
                }
                sql.push(")");
                Ok(())
            }
            Pred::Not { pred } => {
                sql.push("NOT (");
                self.pred(pred, info, sql)?;
                sql.push(")");
                Ok(())
            }
            Pred::Cmp {
                field,
                op,
                r#ref: Some(r),
                ..
            } => {
                // Compared with a field of this or an enclosing query (correlated subquery).
                let other = self.scoped_alias(&r.alias)?;
                if matches!(field.vt(), "array" | "object" | "embedding")
                    || matches!(r.field.vt(), "array" | "object" | "embedding")
                {
                    return Err(unsupported(
                        format!(
                            "Operator \"{op}\" cannot compare JSON arrays or objects with fieldRef"
                        ),
                        json!({ "operator": op }),
                    ));
                }
                let lhs = self.value_expr(info, field)?;
                let mut rhs = self.value_expr(&other, &r.field)?;
                if self.dialect == Dialect::Postgres
                    && field.vt() == "number"
                    && r.field.vt() != "number"
                {
                    rhs = format!("({rhs})::numeric");
                }
                sql.push(&format!("{lhs} {} {rhs}", cmp_sym(op)?));
                Ok(())
            }
            Pred::Cmp {
                field,
                op,
                value,
                value2,
                list_type,
                ..
            } => self.cmp(info, field, op, *value, *value2, list_type.as_deref(), sql),
            Pred::Similar { .. } | Pred::Fulltext { .. } => Err(unsupported(
                "similarTo() and $fulltext.matches() must appear at the top level of an outer query's whereNode, or inside AND groups (not under OR or NOT, not in subqueries)",
                json!({}),
            )),
            Pred::Exists { query, negated } => {
                if *negated {
                    sql.push("NOT ");
                }
                sql.push("EXISTS (");
                self.subquery(query, sql)?;
                sql.push(")");
                Ok(())
            }
            Pred::InSubquery {
                alias,
                field,
                query,
                negated,
            } => {
                let target = if alias.is_empty() {
                    info.clone()
                } else {
                    self.scoped_alias(alias)?
                };
                let e = self.value_expr(&target, field)?;
                sql.push(&format!("{e} {}IN (", if *negated { "NOT " } else { "" }));
                if query.select.len() != 1 {
                    return Err(unsupported(
                        "An IN subquery must project exactly one column",
                        json!({ "columns": query.select.len() }),
                    ));
                }
                self.scalar_select = true;
                self.subquery(query, sql)?;
                sql.push(")");
                Ok(())
            }
        }
    }

    fn subquery(&mut self, q: &Query, sql: &mut Sql) -> Result<()> {
        if q.hops.iter().any(|h| h.recursive.is_some()) || !q.set_ops.is_empty() {
            return Err(unsupported(
                "Subqueries cannot use recursive traversals or set operations",
                json!({}),
            ));
        }
        self.depth += 1;
        let r = self.select(q, sql);
        self.depth -= 1;
        r.map(|_| ())
    }

    fn need(slot: Option<Slot>, op: &str) -> Result<Slot> {
        slot.ok_or_else(|| validation(format!("Operator \"{op}\" needs a value")))
    }

    #[allow(clippy::too_many_arguments)]
    fn cmp(
        &mut self,
        info: &AliasInfo,
        f: &FieldRef,
        op: &str,
        value: Option<Slot>,
        value2: Option<Slot>,
        list_type: Option<&str>,
        sql: &mut Sql,
    ) -> Result<()> {
        let vt = f.vt();
        let d = self.dialect;
        let pg = d == Dialect::Postgres;
        let scalar_conv = || match (d, vt) {
            (Dialect::Sqlite, _) => Conv::Scalar,
            (_, "number") => Conv::Number,
            (_, "boolean") => Conv::Bool,
            _ => Conv::Text,
        };
        let wrong_type = || {
            unsupported(
                format!("Operator \"{op}\" is not supported on a {vt} field"),
                json!({ "operator": op, "valueType": vt }),
            )
        };
        match (vt, op) {
            // ---- arrays --------------------------------------------------
            ("array", "contains" | "containsAll" | "containsAny") => {
                let json = self.json_expr(info, &f.path);
                let props = format!("{}.props", info.table);
                let v = Self::need(value, op)?;
                match (d, op) {
                    (Dialect::Sqlite, "contains") => {
                        sql.push(&format!(
                            "EXISTS (SELECT 1 FROM json_each({props}, '{}') WHERE value = ",
                            sqlite_path(&f.path).replace('\'', "''")
                        ));
                        sql.arg(v, Conv::Scalar);
                        sql.push(")");
                    }
                    (Dialect::Sqlite, "containsAll") => {
                        sql.push("NOT EXISTS (SELECT 1 FROM json_each(");
                        sql.arg(v, Conv::JsonArray);
                        sql.push(&format!(
                            ") tg_p WHERE tg_p.value NOT IN (SELECT value FROM json_each({props}, '{}')))",
                            sqlite_path(&f.path).replace('\'', "''")
                        ));
                    }
                    (Dialect::Sqlite, _) => {
                        sql.push(&format!(
                            "EXISTS (SELECT 1 FROM json_each({props}, '{}') tg_a WHERE tg_a.value IN (SELECT value FROM json_each(",
                            sqlite_path(&f.path).replace('\'', "''")
                        ));
                        sql.arg(v, Conv::JsonArray);
                        sql.push(")))");
                    }
                    (_, "contains") => {
                        sql.push(&format!("{json} @> "));
                        sql.arg(v, Conv::JsonWrap);
                    }
                    (_, "containsAll") => {
                        sql.push(&format!("{json} @> "));
                        sql.arg(v, Conv::Json);
                    }
                    _ => {
                        sql.push("EXISTS (SELECT 1 FROM jsonb_array_elements(");
                        sql.arg(v, Conv::Json);
                        sql.push(&format!(
                            ") tg_b WHERE {json} @> jsonb_build_array(tg_b.value))"
                        ));
                    }
                }
                Ok(())
            }
            (
                "array",
                "isEmpty" | "isNotEmpty" | "lengthEq" | "lengthGt" | "lengthGte" | "lengthLt"
                | "lengthLte",
            ) => {
                let len = match d {
                    Dialect::Sqlite => format!(
                        "COALESCE(json_array_length({}.props, '{}'), 0)",
                        info.table,
                        sqlite_path(&f.path).replace('\'', "''")
                    ),
                    Dialect::Postgres => format!(
                        "COALESCE(jsonb_array_length({}), 0)",
                        self.json_expr(info, &f.path)
                    ),
                };
                match op {
                    "isEmpty" => sql.push(&format!("{len} = 0")),
                    "isNotEmpty" => sql.push(&format!("{len} > 0")),
                    _ => {
                        let sym = cmp_sym(&op[6..].to_ascii_lowercase())?;
                        sql.push(&format!("{len} {sym} "));
                        sql.arg(Self::need(value, op)?, Conv::Int);
                    }
                }
                Ok(())
            }
            // ---- objects -------------------------------------------------
            (
                "object" | "unknown",
                "hasKey" | "hasPath" | "pathEquals" | "pathContains" | "pathIsNull"
                | "pathIsNotNull",
            ) => {
                let ptr = Self::need(value, op)?;
                let props = format!("{}.props", info.table);
                let path_conv = if pg {
                    Conv::PgPath(f.path.clone())
                } else {
                    Conv::SqlitePath(f.path.clone())
                };
                match (d, op) {
                    (Dialect::Sqlite, "hasKey" | "hasPath") => {
                        sql.push(&format!("json_type({props}, "));
                        sql.arg(ptr, path_conv);
                        sql.push(") IS NOT NULL");
                    }
                    (Dialect::Postgres, "hasKey" | "hasPath") => {
                        sql.push(&format!("({props} #> CAST("));
                        sql.arg(ptr, path_conv);
                        sql.push(" AS text[])) IS NOT NULL");
                    }
                    (Dialect::Sqlite, "pathEquals") => {
                        sql.push(&format!("json_extract({props}, "));
                        sql.arg(ptr, path_conv);
                        sql.push(") = ");
                        sql.arg(Self::need(value2, op)?, Conv::Scalar);
                    }
                    (Dialect::Postgres, "pathEquals") => {
                        sql.push(&format!("({props} #> CAST("));
                        sql.arg(ptr, path_conv);
                        sql.push(" AS text[])) = ");
                        sql.arg(Self::need(value2, op)?, Conv::Json);
                    }
                    (Dialect::Sqlite, "pathContains") => {
                        sql.push(&format!("EXISTS (SELECT 1 FROM json_each({props}, "));
                        sql.arg(ptr, path_conv);
                        sql.push(") WHERE value = ");
                        sql.arg(Self::need(value2, op)?, Conv::Scalar);
                        sql.push(")");
                    }
                    (Dialect::Postgres, "pathContains") => {
                        sql.push(&format!("({props} #> CAST("));
                        sql.arg(ptr, path_conv);
                        sql.push(" AS text[])) @> ");
                        sql.arg(Self::need(value2, op)?, Conv::JsonWrap);
                    }
                    (Dialect::Sqlite, _) => {
                        sql.push(&format!("json_extract({props}, "));
                        sql.arg(ptr, path_conv);
                        sql.push(if op == "pathIsNull" {
                            ") IS NULL"
                        } else {
                            ") IS NOT NULL"
                        });
                    }
                    (Dialect::Postgres, _) => {
                        sql.push(&format!("({props} #>> CAST("));
                        sql.arg(ptr, path_conv);
                        sql.push(if op == "pathIsNull" {
                            " AS text[])) IS NULL"
                        } else {
                            " AS text[])) IS NOT NULL"
                        });
                    }
                }
                Ok(())
            }
            (_, "isNull" | "isNotNull") => {
                let e = if matches!(vt, "array" | "object") && f.system.is_none() {
                    match d {
                        Dialect::Sqlite => {
                            sqd::json_text(&format!("{}.props", info.table), &f.path)
                        }
                        Dialect::Postgres => {
                            pgd::json_text(&format!("{}.props", info.table), &f.path)
                        }
                    }
                } else {
                    self.value_expr(info, f)?
                };
                sql.push(&format!(
                    "{e} {}",
                    if op == "isNull" {
                        "IS NULL"
                    } else {
                        "IS NOT NULL"
                    }
                ));
                Ok(())
            }
            ("array" | "object" | "embedding", _) => Err(wrong_type()),
            (_, "eq" | "neq" | "gt" | "gte" | "lt" | "lte") => {
                if vt == "boolean" && !matches!(op, "eq" | "neq") {
                    return Err(wrong_type());
                }
                let e = self.value_expr(info, f)?;
                sql.push(&format!("{e} {} ", cmp_sym(op)?));
                push_scalar(sql, Self::need(value, op)?, scalar_conv());
                Ok(())
            }
            (_, "between") => {
                if !matches!(vt, "number" | "date" | "unknown") && f.system.is_none() {
                    return Err(wrong_type());
                }
                let e = self.value_expr(info, f)?;
                sql.push(&format!("{e} BETWEEN "));
                push_scalar(sql, Self::need(value, op)?, scalar_conv());
                sql.push(" AND ");
                push_scalar(sql, Self::need(value2, op)?, scalar_conv());
                Ok(())
            }
            (_, "in" | "notIn") => {
                let v = Self::need(value, op)?;
                let e = self.value_expr(info, f)?;
                if op == "notIn" {
                    sql.push("NOT (");
                }
                match d {
                    Dialect::Sqlite => {
                        sql.push(&format!("{e} IN (SELECT value FROM json_each("));
                        sql.arg(v, Conv::JsonArray);
                        sql.push("))");
                    }
                    Dialect::Postgres => {
                        let numeric = vt == "number" || list_type == Some("number");
                        let boolean = vt == "boolean" || list_type == Some("boolean");
                        let ty = if numeric {
                            "numeric"
                        } else if boolean {
                            "boolean"
                        } else {
                            "text"
                        };
                        if f.system.is_none() && ty != "text" && vt != "number" && vt != "boolean" {
                            // A field of unknown type holding numbers/booleans: compare as jsonb, so
                            // numbers match numerically and values of another JSON type never raise a cast error.
                            let lhs = pgd::json_value(&format!("{}.props", info.table), &f.path);
                            sql.push(&format!("{lhs} IN (SELECT to_jsonb(x) FROM unnest(CAST("));
                            sql.arg(v, Conv::TextList);
                            sql.push(&format!(" AS {ty}[])) AS x)"));
                        } else {
                            sql.push(&format!("{e} IN (SELECT unnest(CAST("));
                            sql.arg(v, Conv::TextList);
                            sql.push(&format!(" AS {ty}[])))"));
                        }
                    }
                }
                if op == "notIn" {
                    sql.push(")");
                }
                Ok(())
            }
            ("string" | "unknown", "contains" | "startsWith" | "endsWith" | "like" | "ilike") => {
                let e = self.value_expr(info, f)?;
                let v = Self::need(value, op)?;
                let kind = match op {
                    "contains" => 0,
                    "startsWith" => 1,
                    "endsWith" => 2,
                    _ => 3,
                };
                // Backslash escapes on both dialects (PostgreSQL's default; SQLite has none unless declared),
                // for raw like/ilike patterns as for the escaped contains/startsWith/endsWith ones.
                let esc = " ESCAPE '\\'";
                match (d, op) {
                    (_, "like") => {
                        sql.push(&format!("{e} LIKE "));
                        sql.arg(v, Conv::Like(kind));
                        sql.push(esc);
                    }
                    (Dialect::Sqlite, _) => {
                        sql.push(&format!("LOWER({e}) LIKE LOWER("));
                        sql.arg(v, Conv::Like(kind));
                        sql.push(&format!("){esc}"));
                    }
                    (Dialect::Postgres, _) => {
                        sql.push(&format!("{e} ILIKE "));
                        sql.arg(v, Conv::Like(kind));
                        sql.push(esc);
                    }
                }
                Ok(())
            }
            _ => Err(wrong_type()),
        }
    }
}

/// Whether `q` starts from one node pinned by an `id` equality its start alias's filters
/// require (a top-level conjunct), with no recursive hop, set operation or search step.
fn anchored_on_id(q: &Query) -> bool {
    fn pins(p: &Pred) -> bool {
        match p {
            Pred::And { preds } => preds.iter().any(pins),
            Pred::Cmp {
                field,
                op,
                value: Some(_),
                r#ref: None,
                ..
            } => op == "eq" && field.system.as_deref() == Some("id"),
            _ => false,
        }
    }
    fn searches(p: &Pred) -> bool {
        match p {
            Pred::Similar { .. } | Pred::Fulltext { .. } => true,
            Pred::And { preds } | Pred::Or { preds } => preds.iter().any(searches),
            Pred::Not { pred } => searches(pred),
            _ => false,
        }
    }
    q.set_ops.is_empty()
        && q.fusion.is_none()
        && q.hops.iter().all(|h| h.recursive.is_none())
        && !q.wheres.iter().any(|w| searches(&w.pred))
        && q.wheres
            .iter()
            .any(|w| w.alias == q.start.alias && pins(&w.pred))
}

/// A compared value. PostgreSQL numbers are cast to `numeric` in the statement: bound as
/// `float8` against a `(…)::numeric` field, the field side would be cast to `float8` instead,
/// which no expression index on `(…)::numeric` serves (a declared index then went unused).
/// The value is bound as its shortest decimal text, so the comparison stays exact.
fn push_scalar(sql: &mut Sql, slot: Slot, conv: Conv) {
    if matches!(conv, Conv::Number) {
        // As decimal text: a `float8` → `numeric` cast keeps only 15 significant digits.
        sql.push("CAST(");
        sql.arg(slot, Conv::NumericText);
        sql.push(" AS numeric)");
    } else {
        sql.arg(slot, conv);
    }
}

// ---- search predicates ------------------------------------------------------

fn has_search(p: &Pred) -> bool {
    match p {
        Pred::Similar { .. } | Pred::Fulltext { .. } => true,
        Pred::And { preds } | Pred::Or { preds } => preds.iter().any(has_search),
        Pred::Not { pred } => has_search(pred),
        _ => false,
    }
}

fn has_fulltext(p: &Pred) -> bool {
    match p {
        Pred::Fulltext { .. } => true,
        Pred::And { preds } | Pred::Or { preds } => preds.iter().any(has_fulltext),
        Pred::Not { pred } => has_fulltext(pred),
        _ => false,
    }
}

/// A search predicate under OR/NOT: a validation error, as upstream refuses it (by predicate kind).
fn misplaced_search(p: &Pred) -> Error {
    let what = if has_fulltext(p) {
        "Fulltext match predicates (.matches())"
    } else {
        "Vector similarity predicates"
    };
    Error::validation(
        format!("{what} cannot be nested under OR or NOT; combine them with other filters through AND instead."),
        json!({ "issues": [{ "path": "where", "message": "a search predicate is allowed at the top level of whereNode() or inside AND groups only" }] }),
    )
}

/// Removes the search predicates of an AND tree into `found`; the rest stays.
fn strip_search(p: &Pred, found: &mut Vec<Pred>) -> Result<Option<Pred>> {
    match p {
        Pred::Similar { .. } | Pred::Fulltext { .. } => {
            found.push(p.clone());
            Ok(None)
        }
        Pred::And { preds } => {
            let mut rest = Vec::new();
            for x in preds {
                if let Some(r) = strip_search(x, found)? {
                    rest.push(r);
                }
            }
            Ok(if rest.is_empty() {
                None
            } else {
                Some(Pred::And { preds: rest })
            })
        }
        Pred::Or { .. } | Pred::Not { .. } if has_search(p) => Err(misplaced_search(p)),
        _ => Ok(Some(p.clone())),
    }
}

fn parse_metric(m: &str) -> Result<crate::search::Metric> {
    use crate::search::Metric;
    Ok(match m {
        "cosine" => Metric::Cosine,
        "l2" => Metric::L2,
        "inner_product" => Metric::InnerProduct,
        other => {
            return Err(validation(format!(
                "Unknown vector metric \"{other}\" (cosine, l2, inner_product)"
            )))
        }
    })
}

impl<'a> Compiler<'a> {
    /// Alias → its node kinds (start or hop target).
    fn alias_kinds(&self, q: &Query, alias: &str) -> Result<Vec<String>> {
        if q.start.alias == alias {
            return self.kinds(&q.start.kind);
        }
        for h in &q.hops {
            if h.node_alias == alias {
                return self.kinds(&h.node_kind);
            }
        }
        Err(unsupported(
            format!("Search predicates apply to node aliases; \"{alias}\" is not one"),
            json!({ "alias": alias }),
        ))
    }

    /// Lifts `similarTo` / `$fulltext.matches` out of the outermost query's where
    /// clauses (upstream's restrictions apply); returns the query without them.
    fn lift_search(&mut self, q: &Query) -> Result<Option<Query>> {
        let any = q.wheres.iter().any(|w| has_search(&w.pred));
        if !any {
            if q.fusion.is_some() {
                return Err(unsupported(
                    ".fuseWith() needs both a .similarTo() and a $fulltext.matches() predicate",
                    json!({}),
                ));
            }
            return Ok(None);
        }
        if q.hops.iter().any(|h| h.recursive.is_some()) || !q.set_ops.is_empty() {
            return Err(unsupported(
                "Search predicates cannot be combined with recursive traversals or set operations",
                json!({}),
            ));
        }
        let mut out = q.clone();
        out.wheres.clear();
        let mut spec = SearchSpec::default();
        for w in &q.wheres {
            let mut found = Vec::new();
            if let Some(rest) = strip_search(&w.pred, &mut found)? {
                out.wheres.push(Where {
                    alias: w.alias.clone(),
                    pred: rest,
                });
            }
            for f in found {
                match f {
                    Pred::Similar {
                        field,
                        embedding,
                        k,
                        metric,
                        min_score,
                        approximate,
                    } => {
                        if spec.vector.is_some() {
                            return Err(unsupported(
                                "Only one similarTo() predicate is supported per query",
                                json!({}),
                            ));
                        }
                        let name = field.path.first().cloned().unwrap_or_default();
                        let kinds = self.alias_kinds(q, &w.alias)?;
                        let declaring: Vec<(String, crate::search::EmbeddingField)> = kinds
                            .iter()
                            .filter_map(|k| {
                                self.graph.spec.nodes.get(k).and_then(|n| {
                                    n.embeddings
                                        .iter()
                                        .find(|e| e.field == name)
                                        .map(|e| (k.clone(), e.clone()))
                                })
                            })
                            .collect();
                        if declaring.is_empty() {
                            return Err(unsupported(
                                format!("similarTo(): \"{name}\" is not an embedding() field of alias \"{}\"", w.alias),
                                json!({ "alias": w.alias, "field": name }),
                            ));
                        }
                        let requested = match &metric {
                            Some(m) => Some(parse_metric(m)?),
                            None => None,
                        };
                        let mut vkinds = Vec::with_capacity(declaring.len());
                        for (kind, ef) in declaring {
                            // Per kind, as upstream: the predicate's metric, else the kind's own.
                            let m = requested.unwrap_or(ef.metric);
                            if approximate && m != ef.metric && ef.index_type != "none" {
                                return Err(Error::new(
                                    Code::Configuration,
                                    format!(
                                        "similarTo(): approximate retrieval under metric \"{}\" is impossible — the {} index of {kind}.{name} is built for \"{}\". Omit metric (or pass \"{}\"), or drop approximate to scan exactly.",
                                        m.as_str(), ef.index_type, ef.metric.as_str(), ef.metric.as_str()
                                    ),
                                    json!({ "nodeKind": kind, "fieldPath": name, "requestedMetric": m.as_str(), "declaredMetric": ef.metric.as_str(), "indexType": ef.index_type }),
                                ));
                            }
                            let approximate = approximate && ef.index_type != "none";
                            vkinds.push(VecKind {
                                kind,
                                field: ef,
                                metric: m,
                                approximate,
                            });
                        }
                        spec.vector = Some(VecSpec {
                            alias: w.alias.clone(),
                            kinds: vkinds,
                            embedding,
                            k,
                            min_score,
                        });
                    }
                    Pred::Fulltext {
                        query,
                        k,
                        mode,
                        language,
                        min_score,
                    } => {
                        if spec.fulltext.is_some() {
                            return Err(unsupported(
                                "Only one $fulltext.matches() predicate is supported per query; combine the terms into one query string",
                                json!({}),
                            ));
                        }
                        let kinds = self.alias_kinds(q, &w.alias)?;
                        let kinds: Vec<String> = kinds
                            .into_iter()
                            .filter(|k| {
                                self.graph
                                    .spec
                                    .nodes
                                    .get(k)
                                    .is_some_and(|n| !n.searchable.is_empty())
                            })
                            .collect();
                        if kinds.is_empty() {
                            return Err(unsupported(
                                format!("Cannot call .$fulltext.matches() on alias \"{}\" — its node kind has no fields declared with searchable(). Add at least one: `title: searchable({{ language: \"english\" }})`.", w.alias),
                                json!({ "alias": w.alias }),
                            ));
                        }
                        let mode = mode.unwrap_or_else(|| "websearch".into());
                        if !matches!(mode.as_str(), "websearch" | "phrase" | "plain" | "raw") {
                            return Err(validation(format!(
                                "Unknown fulltext mode \"{mode}\" (websearch, phrase, plain, raw)"
                            )));
                        }
                        if language.is_some() && self.dialect == Dialect::Sqlite {
                            // A query the dialect cannot express: upstream's UnsupportedPredicateError.
                            return Err(unsupported(
                                "The SQLite fts5 fulltext strategy does not honor a per-query `language` override in $fulltext.matches(): its tokenizer is fixed when the table is created. Drop the option.",
                                json!({ "strategy": "fts5", "capability": "fulltext.languageOverride" }),
                            ));
                        }
                        spec.fulltext = Some(FtSpec {
                            alias: w.alias.clone(),
                            kinds,
                            query,
                            k,
                            mode,
                            language,
                            min_score,
                        });
                    }
                    _ => {}
                }
            }
        }
        let fusion = q.fusion.clone().unwrap_or_default();
        if q.fusion.is_some() && (spec.vector.is_none() || spec.fulltext.is_none()) {
            return Err(unsupported(
                ".fuseWith() needs both a .similarTo() and a $fulltext.matches() predicate",
                json!({}),
            ));
        }
        let w = fusion.weights.unwrap_or_default();
        spec.fusion = (
            fusion.k.unwrap_or(60.0),
            w.vector.unwrap_or(1.0),
            w.fulltext.unwrap_or(1.0),
        );
        let (k, wv, wf) = spec.fusion;
        if !(k.is_finite()
            && k >= 0.0
            && wv.is_finite()
            && wv >= 0.0
            && wf.is_finite()
            && wf >= 0.0)
        {
            return Err(validation(
                "fuseWith(): k and weights must be finite and non-negative",
            ));
        }
        self.search = Some(spec);
        Ok(Some(out))
    }

    /// ORDER BY of the search relevance (best first, ties by id).
    fn relevance(sp: &SearchSpec) -> String {
        match (&sp.vector, &sp.fulltext) {
            (Some(_), Some(_)) if sp.union() => {
                let (k, wv, wf) = sp.fusion;
                format!("(COALESCE({wv:?} / ({k:?} + tg_vs.rnk), 0) + COALESCE({wf:?} / ({k:?} + tg_ft.rnk), 0)) DESC, tg_hc.node_id")
            }
            (Some(_), Some(_)) => {
                let (k, wv, wf) = sp.fusion;
                format!("({wv:?} / ({k:?} + tg_vs.rnk) + {wf:?} / ({k:?} + tg_ft.rnk)) DESC, tg_vs.node_id")
            }
            (Some(_), None) => "tg_vs.dist ASC, tg_vs.node_id".into(),
            (None, Some(_)) => "tg_ft.score DESC, tg_ft.node_id".into(),
            (None, None) => "1".into(),
        }
    }

    /// The candidate filter inside a search CTE: the alias's other predicates on `tg_c`.
    fn candidate_filter(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        alias: &str,
        sql: &mut Sql,
    ) -> Result<()> {
        self.temporal_filter(q, "tg_c", sql)?;
        let hop = Self::alias(m, alias)?.hop;
        let info = AliasInfo {
            table: "tg_c".into(),
            entity: Entity::Node,
            hop,
        };
        for w in q.wheres.iter().filter(|w| w.alias == alias) {
            sql.push(" AND ");
            self.pred(&w.pred, &info, sql)?;
        }
        if hop > 0 {
            self.reachable_scope(q, alias, hop, sql)?;
        }
        Ok(())
    }

    /// A search alias reached by traversal ranks only the nodes the traversal reaches: its
    /// top-k is taken within that scope, not over the whole kind and then intersected.
    fn reachable_scope(&mut self, q: &Query, alias: &str, hop: usize, sql: &mut Sql) -> Result<()> {
        self.depth += 1;
        let out = (|| {
            let m2 = self.aliases(q)?;
            let t = Self::alias(&m2, alias)?.table.clone();
            sql.push(" AND EXISTS (SELECT 1");
            self.body(q, &m2, hop, sql)?;
            sql.push(&format!(" AND {t}.id = tg_c.id AND {t}.kind = tg_c.kind)"));
            Ok(())
        })();
        self.depth -= 1;
        out
    }

    /// The alias's predicates over the node table as `n`, without the temporal test, when
    /// every one is a plain comparison on the alias's own fields (`1=1` when there are none).
    fn plain_filter(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        alias: &str,
    ) -> Result<Option<(String, Vec<Src>)>> {
        fn plain(p: &Pred) -> bool {
            match p {
                Pred::And { preds } | Pred::Or { preds } => preds.iter().all(plain),
                Pred::Not { pred } => plain(pred),
                Pred::Cmp { r#ref, .. } => r#ref.is_none(),
                _ => false,
            }
        }
        let mine: Vec<&Pred> = q
            .wheres
            .iter()
            .filter(|w| w.alias == alias)
            .map(|w| &w.pred)
            .collect();
        if !mine.iter().all(|p| plain(p)) {
            return Ok(None);
        }
        let info = AliasInfo {
            table: "n".into(),
            entity: Entity::Node,
            hop: Self::alias(m, alias)?.hop,
        };
        let mut sql = Sql::default();
        if mine.is_empty() {
            sql.push("1=1");
        }
        for (i, p) in mine.into_iter().enumerate() {
            if i > 0 {
                sql.push(" AND ");
            }
            sql.push("(");
            self.pred(p, &info, &mut sql)?;
            sql.push(")");
        }
        Ok(Some((self.dialect.finish(sql.text), sql.params)))
    }

    fn search_ctes(
        &mut self,
        q: &Query,
        m: &HashMap<String, AliasInfo>,
        sp: &SearchSpec,
        sql: &mut Sql,
    ) -> Result<()> {
        sql.push("WITH ");
        if let Some(v) = &sp.vector {
            match self.dialect {
                Dialect::Sqlite => {
                    let mut cand = Sql::default();
                    cand.push(&format!(
                        "SELECT tg_c.kind, tg_c.id FROM {} tg_c WHERE tg_c.graph_id = ",
                        self.tables.nodes
                    ));
                    cand.konst(Value::text(self.graph.id()));
                    cand.push(" AND ");
                    let kinds: Vec<String> = v.kinds.iter().map(|k| k.kind.clone()).collect();
                    self.kinds_in("tg_c.kind", &kinds, &mut cand);
                    self.candidate_filter(q, m, &v.alias, &mut cand)?;
                    let filter = if v.kinds.len() == 1 && Self::alias(m, &v.alias)?.hop == 0 {
                        self.plain_filter(q, m, &v.alias)?
                    } else {
                        None
                    };
                    self.vector_step = Some(VectorStep {
                        cand_sql: self.dialect.finish(cand.text),
                        cand_params: cand.params,
                        kinds: v.kinds.clone(),
                        embedding: v.embedding.index,
                        k: v.k.index,
                        min_score: v.min_score.map(|s| s.index),
                        filter,
                    });
                    sql.push("tg_vs(node_id, dist, rnk, node_kind) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), CAST(key AS INTEGER) + 1, json_extract(value, '$[2]') FROM json_each(");
                    sql.param(Src::TopK);
                    sql.push("))");
                }
                Dialect::Postgres => {
                    use crate::search::Metric;
                    // One ranked branch per declaring kind (its own table, metric and
                    // dimensions), merged by distance.
                    sql.push("tg_vs AS (SELECT node_id, node_kind, dist, ROW_NUMBER() OVER (ORDER BY dist, node_id) AS rnk FROM (");
                    let many = v.kinds.len() > 1;
                    for (bi, vk) in v.kinds.iter().enumerate() {
                        if bi > 0 {
                            sql.push(" UNION ALL ");
                        }
                        let op = match vk.metric {
                            Metric::Cosine => "<=>",
                            Metric::L2 => "<->",
                            Metric::InnerProduct => "<#>",
                        };
                        let vt = crate::dialect::quote_ident(&crate::search::vector_table(
                            self.graph.id(),
                            &vk.kind,
                            &vk.field.field,
                        ));
                        let dims = vk.field.dimensions;
                        sql.push(if many { "(" } else { "" });
                        sql.push(&format!("SELECT tg_c.id AS node_id, tg_c.kind AS node_kind, (tg_v.embedding {op} CAST("));
                        sql.arg(v.embedding, Conv::Vector(dims));
                        sql.push(&format!(
                            " AS vector))::float8 AS dist FROM {vt} tg_v JOIN {} tg_c ON tg_c.graph_id = tg_v.graph_id AND tg_c.kind = ",
                            self.tables.nodes
                        ));
                        sql.konst(Value::text(&vk.kind));
                        sql.push(" AND tg_c.id = tg_v.node_id WHERE tg_v.graph_id = ");
                        sql.konst(Value::text(self.graph.id()));
                        self.candidate_filter(q, m, &v.alias, sql)?;
                        if let Some(ms) = v.min_score {
                            sql.push(&format!(" AND (tg_v.embedding {op} CAST("));
                            sql.arg(v.embedding, Conv::Vector(dims));
                            sql.push(" AS vector)) <= ");
                            match vk.metric {
                                Metric::Cosine => {
                                    sql.push("1 - ");
                                    sql.arg(ms, Conv::Number);
                                }
                                Metric::L2 => sql.arg(ms, Conv::Number),
                                Metric::InnerProduct => {
                                    sql.push("-");
                                    sql.arg(ms, Conv::Number);
                                }
                            }
                        }
                        sql.push(" ORDER BY dist, node_id LIMIT ");
                        sql.arg(v.k, Conv::Int);
                        sql.push(if many { ")" } else { "" });
                    }
                    if many {
                        sql.push(" ORDER BY dist, node_id LIMIT ");
                        sql.arg(v.k, Conv::Int);
                    }
                    sql.push(") tg_vsi)");
                }
            }
        }
        if let Some(f) = &sp.fulltext {
            if sp.vector.is_some() {
                sql.push(", ");
            }
            let ft = self.tables.fulltext.clone();
            let nodes = self.tables.nodes.clone();
            match self.dialect {
                Dialect::Sqlite => {
                    sql.push(&format!(
                        "tg_ft AS (SELECT node_id, node_kind, score, ROW_NUMBER() OVER (ORDER BY score DESC, node_id) AS rnk FROM (SELECT {ft}.node_id AS node_id, {ft}.node_kind AS node_kind, -bm25({ft}) AS score FROM {ft} CROSS JOIN {nodes} tg_c ON tg_c.graph_id = {ft}.graph_id AND tg_c.kind = {ft}.node_kind AND tg_c.id = {ft}.node_id WHERE {ft} MATCH "
                    ));
                    sql.arg(f.query, Conv::Fts5(f.mode.clone()));
                    sql.push(&format!(" AND {ft}.graph_id = "));
                    sql.konst(Value::text(self.graph.id()));
                    sql.push(" AND ");
                    self.kinds_in(&format!("{ft}.node_kind"), &f.kinds, sql);
                    self.candidate_filter(q, m, &f.alias, sql)?;
                    if let Some(ms) = f.min_score {
                        sql.push(&format!(" AND -bm25({ft}) >= "));
                        sql.arg(ms, Conv::Number);
                    }
                }
                Dialect::Postgres => {
                    let func = match f.mode.as_str() {
                        "phrase" => "phraseto_tsquery",
                        "plain" => "plainto_tsquery",
                        "raw" => "to_tsquery",
                        _ => "websearch_to_tsquery",
                    };
                    let tsq = |c: &Self, sql: &mut Sql| {
                        sql.push(&format!("{func}("));
                        match &f.language {
                            Some(l) => {
                                sql.push("CAST(");
                                sql.konst(Value::text(l));
                                sql.push(" AS regconfig)");
                            }
                            None => sql.push("ft.\"language\""),
                        }
                        sql.push(", ");
                        sql.arg(f.query, Conv::Text);
                        sql.push(")");
                        let _ = c;
                    };
                    sql.push("tg_ft AS (SELECT node_id, node_kind, score, ROW_NUMBER() OVER (ORDER BY score DESC, node_id) AS rnk FROM (SELECT ft.node_id AS node_id, ft.node_kind AS node_kind, ts_rank_cd(ft.tsv, ");
                    tsq(self, sql);
                    sql.push(&format!(
                        ")::float8 AS score FROM {ft} ft JOIN {nodes} tg_c ON tg_c.graph_id = ft.graph_id AND tg_c.kind = ft.node_kind AND tg_c.id = ft.node_id WHERE ft.tsv @@ "
                    ));
                    tsq(self, sql);
                    sql.push(" AND ft.graph_id = ");
                    sql.konst(Value::text(self.graph.id()));
                    sql.push(" AND ");
                    self.kinds_in("ft.node_kind", &f.kinds, sql);
                    self.candidate_filter(q, m, &f.alias, sql)?;
                    if let Some(ms) = f.min_score {
                        sql.push(" AND ts_rank_cd(ft.tsv, ");
                        tsq(self, sql);
                        sql.push(")::float8 >= ");
                        sql.arg(ms, Conv::Number);
                    }
                }
            }
            sql.push(" ORDER BY score DESC, node_id LIMIT ");
            match f.k {
                Some(k) => sql.arg(k, Conv::Int),
                None => sql.konst(Value::Int(50)),
            }
            sql.push(") tg_fti)");
        }
        if sp.union() {
            sql.push(", tg_hc AS (SELECT node_id, node_kind FROM tg_vs UNION SELECT node_id, node_kind FROM tg_ft)");
        }
        sql.push(" ");
        Ok(())
    }
}

fn cmp_sym(op: &str) -> Result<&'static str> {
    Ok(match op {
        "eq" => "=",
        "neq" => "<>",
        "gt" => ">",
        "gte" => ">=",
        "lt" => "<",
        "lte" => "<=",
        other => {
            return Err(unsupported(
                format!("Unsupported comparison \"{other}\""),
                json!({ "operator": other }),
            ))
        }
    })
}

/// `$."a"."b"` (keys escaped for the JSON path; the caller escapes for SQL).
pub fn sqlite_path(path: &[String]) -> String {
    let mut p = String::from("$");
    for k in path {
        p.push_str(".\"");
        p.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
        p.push('"');
    }
    p
}

/// SQLite JSON path for pointer segments: digits index arrays.
pub fn sqlite_pointer_path(base: &[String], ptr: &[String]) -> String {
    let mut p = sqlite_path(base);
    for k in ptr {
        if !k.is_empty() && k.len() < 10 && k.bytes().all(|b| b.is_ascii_digit()) {
            p.push_str(&format!("[{k}]"));
        } else {
            p.push_str(".\"");
            p.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
            p.push('"');
        }
    }
    p
}

/// Kinds a graph knows (for tests).
pub fn _kinds(g: &Graph) -> BTreeSet<String> {
    g.spec.nodes.keys().cloned().collect()
}
