//! The query compiler and executor: `store.query()` ASTs (built in TypeScript)
//! compile here to one SQL statement per dialect, cached by shape, executed
//! with their parameters, and returned as one JSON text.

pub mod ast;
pub mod compile;
pub mod extract;
pub mod numbered;

use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::ops::Ctx;
use crate::util::{canonical_instant, now_iso, push_json_str};
use crate::value::{Row, Value};
use compile::{Compiler, Conv, Mode, Plan, Src};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Compiled plans by AST shape (the shape text is the key; values never are).
#[derive(Default)]
pub struct PlanCache {
    plans: Mutex<HashMap<String, Arc<Plan>>>,
    /// Plans registered by `prepareQuery`, addressed by index afterwards.
    prepared: Mutex<Vec<Arc<Plan>>>,
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanCache")
    }
}

const CACHE_CAP: usize = 512;

impl PlanCache {
    /// The plan for `shape`, compiling it on first use.
    pub fn get_or_compile(
        &self,
        ctx: &Ctx<'_>,
        dialect: crate::Dialect,
        shape: &str,
    ) -> Result<Arc<Plan>> {
        if let Some(p) = self.lock().get(shape) {
            return Ok(p.clone());
        }
        let plan = Arc::new(compile_shape(ctx, dialect, shape)?);
        let mut m = self.lock();
        if m.len() >= CACHE_CAP {
            m.clear();
        }
        m.insert(shape.to_string(), plan.clone());
        Ok(plan)
    }

    /// Registers the plan for `shape` and returns its id (stable for this registration).
    pub fn prepare(&self, ctx: &Ctx<'_>, dialect: crate::Dialect, shape: &str) -> Result<usize> {
        let plan = self.get_or_compile(ctx, dialect, shape)?;
        let mut v = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = v.iter().position(|p| Arc::ptr_eq(p, &plan)) {
            return Ok(i);
        }
        v.push(plan);
        Ok(v.len() - 1)
    }

    pub fn prepared(&self, id: usize) -> Result<Arc<Plan>> {
        self.prepared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
            .ok_or_else(|| Error::invariant(format!("unknown prepared plan {id}")))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Plan>>> {
        self.plans.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub fn compile_shape(ctx: &Ctx<'_>, dialect: crate::Dialect, shape: &str) -> Result<Plan> {
    let q: ast::Query = serde_json::from_str(shape)
        .map_err(|e| Error::validation(format!("Malformed query: {e}"), json!({})))?;
    let recorded = q.temporal.as_ref().and_then(|t| t.recorded);
    let Some(slot) = recorded else {
        return Compiler::new(ctx.graph, ctx.tables, dialect).plan(&q);
    };
    // Search predicates rank against the fulltext/vector side tables, which hold the present.
    if shape.contains("\"type\":\"similar\"") || shape.contains("\"type\":\"fulltext\"") {
        return Err(Error::new(
            crate::error::Code::UnsupportedPredicate,
            "Fulltext and vector predicates are not available on a recorded-time query: their indexes hold current state only",
            json!({ "code": "RECORDED_QUERY_SEARCH_UNSUPPORTED" }),
        ));
    }
    let tables = ctx.tables.recorded();
    let mut c = Compiler::new(ctx.graph, &tables, dialect);
    c.set_recorded(slot);
    c.plan(&q)
}

#[derive(Deserialize)]
pub struct RunArgs {
    /// The AST with values replaced by slots, as JSON text.
    #[serde(default)]
    pub shape: String,
    /// Instead of `shape`: the id `prepareQuery` returned.
    #[serde(default)]
    pub plan: Option<usize>,
    #[serde(default)]
    pub params: Vec<Json>,
}

/// `prepareQuery`: compiles (or reuses) the plan for a shape; returns its id.
pub fn prepare(dialect: crate::Dialect, ctx: &Ctx<'_>, a: RunArgs) -> Result<String> {
    Ok(ctx.graph.plans.prepare(ctx, dialect, &a.shape)?.to_string())
}

/// `query`: compile (or reuse) and execute; rows as a JSON array of arrays,
/// a number for `count`, a boolean for `exists`.
pub async fn run<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: RunArgs) -> Result<String> {
    let plan = match a.plan {
        Some(id) => ctx.graph.plans.prepared(id)?,
        None => ctx
            .graph
            .plans
            .get_or_compile(ctx, ex.dialect(), &a.shape)?,
    };
    run_plan(ex, ctx, plan, &a.params, false).await
}

/// `query` of a plan `prepareQuery` registered, parameters given as a JSON array (the
/// bindings' own crossing: no argument object, no operation name). Rows read on SQLite come
/// flat: `[columns, row 0's values…, row 1's values…]` (one array for the whole result).
pub async fn run_prepared<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    plan: usize,
    params_json: &str,
) -> Result<String> {
    let params: Vec<Json> = serde_json::from_str(params_json)
        .map_err(|e| Error::validation(format!("Malformed query parameters: {e}"), json!({})))?;
    run_plan(ex, ctx, ctx.graph.plans.prepared(plan)?, &params, true).await
}

async fn run_plan<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    plan: Arc<Plan>,
    args: &[Json],
    flat: bool,
) -> Result<String> {
    let plan = match &plan.live_guard {
        Some(g) if !live_decision(ex, g).await? => g.plain.clone(),
        _ => plan,
    };
    let top = match &plan.vector {
        Some(step) => Some(vector_top_k(ex, ctx, step, args).await?),
        None => None,
    };
    if plan.mode == Mode::Rows && top.is_none() && ex.sqlite_conn().is_some() {
        // Constants and the read instant bound from where they are (no copies per run).
        let now = std::cell::OnceCell::new();
        let params = bind_srcs_borrowed(&plan.params, args, ex.dialect(), &now)?;
        if let Some(db) = ex.sqlite_conn() {
            return render_sqlite(db, &plan, &params, flat);
        }
    }
    let params = bind_srcs(&plan.params, args, ex.dialect(), top.as_deref())?;
    if plan.mode == Mode::Rows {
        if let Some(db) = ex.sqlite_conn() {
            return render_sqlite(db, &plan, &params, flat);
        }
    }
    let rows = ex
        .query_compiled(&plan.sql, &params, plan.ordered_joins, plan.anchored)
        .await?;
    render(&plan, &rows)
}

/// [`rowid_form_pays`], reused while the connection has written nothing since it was taken
/// (see [`compile::LiveGuard::reuse`]).
async fn live_decision<E: Executor>(ex: &mut E, g: &compile::LiveGuard) -> Result<bool> {
    let changes = ex.sqlite_conn().map(|c| c.conn.total_changes());
    if let Some(rowid) = changes.and_then(|c| g.reuse(c)) {
        return Ok(rowid);
    }
    let rowid = rowid_form_pays(ex, g).await?;
    if let Some(c) = changes {
        g.remember(rowid, c);
    }
    Ok(rowid)
}

/// Whether the rowid visibility form of an aggregate costs less than reading the kind's rows
/// (see [`compile::LiveGuard`]): true unless the kind is small and the graph much larger.
async fn rowid_form_pays<E: Executor>(ex: &mut E, g: &compile::LiveGuard) -> Result<bool> {
    use compile::{LIVE_KIND_CAP, LIVE_ROW_COST};
    let count = |rows: Vec<Row>| {
        rows.first()
            .and_then(|r| r.first())
            .and_then(|v| v.as_i64())
    };
    let id = Value::text(&g.graph_id);
    let k = count(
        ex.query(&g.kind_sql, &[id.clone(), Value::text(&g.kind)])
            .await?,
    )
    .unwrap_or(0);
    if k >= LIVE_KIND_CAP {
        return Ok(true);
    }
    let bound = k * LIVE_ROW_COST;
    let n = count(ex.query(&g.graph_sql, &[id, Value::Int(bound + 1)]).await?).unwrap_or(0);
    Ok(n <= bound)
}

/// SQLite `similarTo()`: candidates by the query's other predicates, ranked by the
/// engine's vectors; `[[id, distance, kind], …]` nearest first, merged over the kinds
/// that declare the field (several under `includeSubClasses`).
async fn vector_top_k<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    step: &compile::VectorStep,
    args: &[Json],
) -> Result<String> {
    let arg = |i: usize| args.get(i).ok_or_else(|| bad_param(i, "bound"));
    let k = arg(step.k)?
        .as_u64()
        .filter(|k| *k >= 1)
        .ok_or_else(|| bad_param(step.k, "a positive integer k"))? as usize;
    let min_score = match step.min_score {
        Some(i) => Some(
            arg(i)?
                .as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad_param(i, "a finite minScore"))?,
        ),
        None => None,
    };
    let cparams = bind_srcs(&step.cand_params, args, ex.dialect(), None)?;
    // One kind and plain predicates: the engine's filtered ranking reads only the ranked
    // rows (or the filter's index), not every candidate's row.
    if let (Some((fsql, fsrcs)), [vk]) = (&step.filter, step.kinds.as_slice()) {
        let query = embedding_arg(arg(step.embedding)?, step.embedding, vk.field.dimensions)?;
        let max_dist = min_score.map(|s| vk.metric.max_distance(s));
        let fparams = bind_srcs(fsrcs, args, ex.dialect(), None)?;
        let top = crate::search::topk::filtered_top_k(
            ex,
            ctx,
            vk,
            &query,
            k,
            max_dist,
            fsql,
            fparams,
            &step.cand_sql,
            &cparams,
        )
        .await?;
        if let Some(top) = top {
            let list: Vec<Json> = top
                .into_iter()
                .map(|(id, d)| json!([id, d, vk.kind]))
                .collect();
            return Ok(Json::Array(list).to_string());
        }
    }
    let mut allowed: std::collections::HashMap<String, std::collections::HashSet<String>> =
        Default::default();
    for mut r in ex.query(&step.cand_sql, &cparams).await? {
        let id = match r.pop() {
            Some(Value::Text(t)) => t,
            _ => continue,
        };
        if let Some(Value::Text(kind)) = r.pop() {
            allowed.entry(kind).or_default().insert(id);
        }
    }
    let empty = std::collections::HashSet::new();
    let mut merged: Vec<(String, f64, &str)> = Vec::new();
    for vk in &step.kinds {
        let query = embedding_arg(arg(step.embedding)?, step.embedding, vk.field.dimensions)?;
        let max_dist = min_score.map(|s| vk.metric.max_distance(s));
        let ids = allowed.get(&vk.kind).unwrap_or(&empty);
        if ids.is_empty() && step.kinds.len() > 1 {
            continue;
        }
        let top = crate::search::topk::top_k(
            ex,
            ctx,
            &vk.kind,
            &vk.field,
            &query,
            vk.metric,
            k,
            max_dist,
            ids,
            vk.approximate,
        )
        .await?;
        merged.extend(top.into_iter().map(|(id, d)| (id, d, vk.kind.as_str())));
    }
    if step.kinds.len() > 1 {
        merged.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        merged.truncate(k);
    }
    let list: Vec<Json> = merged
        .into_iter()
        .map(|(id, d, kind)| json!([id, d, kind]))
        .collect();
    Ok(Json::Array(list).to_string())
}

/// `compileQuery`: `{ sql, params }` for `toSQL()` (parameters as bound).
pub async fn to_sql<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: RunArgs) -> Result<String> {
    compile_only(ctx, ex.dialect(), a)
}

/// `toSQL()` without a connection: compile and show the parameters as they
/// would be bound (unbound `param()` slots and the read instant included).
pub fn compile_only(ctx: &Ctx<'_>, dialect: crate::Dialect, a: RunArgs) -> Result<String> {
    let plan = compile_shape(ctx, dialect, &a.shape)?;
    let now = now_iso();
    let list: Vec<Json> = plan
        .params
        .iter()
        .map(|src| match src {
            Src::Const(v) => value_json(v),
            Src::Now => json!(now),
            Src::TopK => Json::Null,
            Src::Arg(i, conv) => a
                .params
                .get(*i)
                .filter(|v| !v.is_null())
                .and_then(|v| convert(v, conv, *i, dialect).ok())
                .map(|v| value_json(&v))
                .unwrap_or(Json::Null),
        })
        .collect();
    Ok(json!({ "sql": plan.sql, "params": list }).to_string())
}

/// Parses `compileQuery` arguments (for bindings that call [`compile_only`] directly).
pub fn parse_args(args: &str) -> Result<RunArgs> {
    serde_json::from_str(args)
        .map_err(|e| Error::validation(format!("Malformed query arguments: {e}"), json!({})))
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Null | Value::Ts(None) | Value::Json(None) => Json::Null,
        Value::Int(i) => json!(i),
        Value::Real(f) => json!(f),
        Value::Bool(b) => json!(b),
        Value::Text(s) | Value::Ts(Some(s)) | Value::Json(Some(s)) => json!(s),
        Value::TextList(l) => json!(l),
        Value::NullableTextList(l) => json!(l),
    }
}

fn bad_param(i: usize, what: &str) -> Error {
    Error::validation(
        format!("Query parameter {i} must be {what}"),
        json!({ "issues": [{ "path": format!("params.{i}"), "message": format!("expected {what}") }] }),
    )
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn pointer_segments(v: &Json, i: usize) -> Result<Vec<String>> {
    match v {
        Json::Array(items) => Ok(items.iter().map(json_text).collect()),
        Json::String(s) if s.is_empty() => Ok(vec![]),
        Json::String(s) if s.starts_with('/') => Ok(s[1..]
            .split('/')
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect()),
        _ => Err(bad_param(i, "a JSON pointer")),
    }
}

fn convert(v: &Json, conv: &Conv, i: usize, dialect: crate::Dialect) -> Result<Value> {
    Ok(match conv {
        Conv::Scalar => match v {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(f64::NAN))),
            Json::String(s) => Value::Text(s.clone()),
            _ => return Err(bad_param(i, "a scalar")),
        },
        Conv::Text => match v {
            Json::Null => Value::Null,
            Json::Array(_) | Json::Object(_) => return Err(bad_param(i, "a scalar")),
            other => Value::Text(json_text(other)),
        },
        Conv::Number => match v {
            Json::Null => Value::Null,
            Json::Number(n) => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
            Json::String(s) => Value::Real(s.parse().map_err(|_| bad_param(i, "a number"))?),
            _ => return Err(bad_param(i, "a number")),
        },
        Conv::NumericText => match v {
            Json::Null => Value::Null,
            Json::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Value::Text(i.to_string()),
                (None, Some(f)) if f.is_finite() => Value::Text(Json::from(f).to_string()),
                _ => Value::Text(n.to_string()),
            },
            Json::String(s) => {
                let f: f64 = s.parse().map_err(|_| bad_param(i, "a number"))?;
                if !f.is_finite() {
                    return Err(bad_param(i, "a finite number"));
                }
                Value::Text(Json::from(f).to_string())
            }
            _ => return Err(bad_param(i, "a number")),
        },
        Conv::Int => match v {
            Json::Number(n) => Value::Int(
                n.as_i64()
                    .or_else(|| n.as_f64().map(|f| f as i64))
                    .ok_or_else(|| bad_param(i, "an integer"))?,
            ),
            _ => return Err(bad_param(i, "an integer")),
        },
        Conv::Bool => match v {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            _ => return Err(bad_param(i, "a boolean")),
        },
        Conv::Instant => match v {
            Json::String(s) => Value::Ts(Some(
                canonical_instant(s).ok_or_else(|| bad_param(i, "an ISO-8601 instant"))?,
            )),
            _ => return Err(bad_param(i, "an ISO-8601 instant")),
        },
        Conv::Json => Value::Json(Some(v.to_string())),
        Conv::JsonWrap => Value::Json(Some(format!("[{v}]"))),
        Conv::JsonArray => match v {
            Json::Array(_) => Value::Text(v.to_string()),
            _ => return Err(bad_param(i, "a list")),
        },
        Conv::TextList => match v {
            Json::Array(items) => Value::TextList(items.iter().map(json_text).collect()),
            _ => return Err(bad_param(i, "a list")),
        },
        Conv::Like(kind) => {
            let s = match v {
                Json::String(s) => s,
                _ => return Err(bad_param(i, "a string")),
            };
            Value::Text(match kind {
                0 => format!("%{}%", like_escape(s)),
                1 => format!("{}%", like_escape(s)),
                2 => format!("%{}", like_escape(s)),
                _ => s.clone(),
            })
        }
        Conv::SqlitePath(base) => {
            let _ = dialect;
            Value::Text(compile::sqlite_pointer_path(base, &pointer_segments(v, i)?))
        }
        Conv::PgPath(base) => {
            let mut p = base.clone();
            p.extend(pointer_segments(v, i)?);
            Value::TextList(p)
        }
        Conv::Vector(dims) => {
            let v = embedding_arg(v, i, *dims)?;
            Value::Text(format!(
                "[{}]",
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ))
        }
        Conv::Fts5(mode) => {
            let s = match v {
                Json::String(s) => s,
                _ => return Err(bad_param(i, "a string")),
            };
            let m = crate::search::facade::fts5_query(s, mode);
            // An empty expression matches nothing (FTS5 refuses an empty MATCH).
            Value::Text(if m.trim().is_empty() {
                "\"\u{1}\"".into()
            } else {
                m
            })
        }
    })
}

/// A query embedding: finite numbers, `dims` of them.
fn embedding_arg(v: &Json, i: usize, dims: usize) -> Result<Vec<f32>> {
    let items = match v {
        Json::Array(items) => items,
        _ => return Err(bad_param(i, "an embedding (array of numbers)")),
    };
    if items.len() != dims {
        return Err(Error::validation(
            format!(
                "similarTo(): the query embedding has {} dimensions, but {dims} are declared for this field.",
                items.len()
            ),
            json!({ "issues": [{ "path": "embedding", "message": "dimension mismatch" }] }),
        ));
    }
    items
        .iter()
        .map(|x| {
            x.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f as f32)
                .ok_or_else(|| {
                    Error::validation(
                        "similarTo(): the query embedding must contain finite numbers",
                        json!({}),
                    )
                })
        })
        .collect()
}

/// Parameters for one execution, in placeholder order.
pub fn bind(plan: &Plan, args: &[Json], dialect: crate::Dialect) -> Result<Vec<Value>> {
    bind_srcs(&plan.params, args, dialect, None)
}

fn bind_srcs(
    srcs: &[Src],
    args: &[Json],
    dialect: crate::Dialect,
    top_k: Option<&str>,
) -> Result<Vec<Value>> {
    let mut now: Option<String> = None;
    let mut out = Vec::with_capacity(srcs.len());
    for src in srcs {
        out.push(match src {
            Src::Const(v) => v.clone(),
            Src::Now => Value::Ts(Some(now.get_or_insert_with(now_iso).clone())),
            Src::TopK => Value::Text(top_k.unwrap_or("[]").to_string()),
            Src::Arg(i, conv) => {
                let v = args.get(*i).ok_or_else(|| bad_param(*i, "bound"))?;
                convert(v, conv, *i, dialect)?
            }
        });
    }
    Ok(out)
}

/// [`bind_srcs`] for a run without a top-k step, constants and the read instant (`now`, taken
/// once) borrowed instead of copied.
fn bind_srcs_borrowed<'a>(
    srcs: &'a [Src],
    args: &[Json],
    dialect: crate::Dialect,
    now: &'a std::cell::OnceCell<Value>,
) -> Result<Vec<std::borrow::Cow<'a, Value>>> {
    use std::borrow::Cow;
    let mut out = Vec::with_capacity(srcs.len());
    for src in srcs {
        out.push(match src {
            Src::Const(v) => Cow::Borrowed(v),
            Src::Now => Cow::Borrowed(now.get_or_init(|| Value::Ts(Some(now_iso())))),
            Src::TopK => Cow::Owned(Value::Text("[]".to_string())),
            Src::Arg(i, conv) => {
                let v = args.get(*i).ok_or_else(|| bad_param(*i, "bound"))?;
                Cow::Owned(convert(v, conv, *i, dialect)?)
            }
        });
    }
    Ok(out)
}

fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::Null | Value::Ts(None) | Value::Json(None) => out.push_str("null"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Real(f) if f.is_finite() => {
            let s = f.to_string();
            out.push_str(&s);
        }
        Value::Real(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Text(s) | Value::Ts(Some(s)) => push_json_str(out, s),
        Value::Json(Some(s)) => out.push_str(s),
        Value::TextList(l) => out.push_str(&serde_json::to_string(l).unwrap_or_default()),
        Value::NullableTextList(l) => out.push_str(&serde_json::to_string(l).unwrap_or_default()),
    }
}

/// SQLite rows straight to JSON text, read borrowed from the statement (no owned row copies);
/// the same text [`render`] gives for `Mode::Rows`.
fn render_sqlite<P: std::borrow::Borrow<Value>>(
    db: &mut crate::exec::sqlite::SqliteConn,
    plan: &Plan,
    params: &[P],
    flat: bool,
) -> Result<String> {
    use rusqlite::types::ValueRef;
    use std::fmt::Write;
    let mut out = String::with_capacity(1024);
    out.push('[');
    let mut first = true;
    // The plan's SQL text (its address the key) runs from a kept statement.
    db.for_each_row_kept(plan.sql.as_ptr() as usize, &plan.sql, params, |n, r| {
        if flat {
            // The column count leads (0 alone: no rows); every value follows, row after row.
            if first {
                let _ = write!(out, "{n}");
            }
        } else {
            if !first {
                out.push(',');
            }
            out.push('[');
        }
        first = false;
        for i in 0..n {
            if i > 0 || flat {
                out.push(',');
            }
            match r.get_ref(i)? {
                ValueRef::Null => out.push_str("null"),
                ValueRef::Integer(v) => {
                    let _ = write!(out, "{v}");
                }
                ValueRef::Real(f) if f.is_finite() => {
                    let _ = write!(out, "{f}");
                }
                ValueRef::Real(_) => out.push_str("null"),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    // Stored text is UTF-8; the lossy pass (a slower scan) only when it is not.
                    let s = match std::str::from_utf8(t) {
                        Ok(s) => std::borrow::Cow::Borrowed(s),
                        Err(_) => String::from_utf8_lossy(t),
                    };
                    if let Some(Some(path)) = plan.extract_cols.get(i) {
                        push_extracted(&mut out, &s, path)?
                    } else if plan.prop_cols.get(i).copied().unwrap_or(false) && s == "null" {
                        // A stored JSON null in a single-prop column: kept apart from a missing key.
                        out.push_str(r#"{"$null":1}"#)
                    } else if plan.json_cols.get(i).copied().unwrap_or(false) {
                        out.push_str(&s)
                    } else {
                        push_json_str(&mut out, &s)
                    }
                }
            }
        }
        if !flat {
            out.push(']');
        }
        Ok(())
    })?;
    if flat && first {
        out.push('0');
    }
    out.push(']');
    Ok(out)
}

/// One prop picked out of a props document (a column of [`Plan::extract_cols`]): its stored
/// text, a JSON null as the marker that keeps it apart from a missing key, `null` when missing.
fn push_extracted(out: &mut String, doc: &str, path: &[String]) -> Result<()> {
    match extract::json_path(doc, path)? {
        Some("null") => out.push_str(r#"{"$null":1}"#),
        Some(v) => out.push_str(v),
        None => out.push_str("null"),
    }
    Ok(())
}

/// Result rows → JSON text; JSON columns are spliced verbatim.
pub fn render(plan: &Plan, rows: &[Row]) -> Result<String> {
    match plan.mode {
        Mode::Count => Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
            .to_string()),
        Mode::Exists => Ok((if rows.is_empty() { "false" } else { "true" }).to_string()),
        Mode::Rows => {
            let mut out = String::with_capacity(rows.len() * 128 + 2);
            out.push('[');
            for (ri, r) in rows.iter().enumerate() {
                if ri > 0 {
                    out.push(',');
                }
                out.push('[');
                for (i, v) in r.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let prop = plan.prop_cols.get(i).copied().unwrap_or(false);
                    match v {
                        Value::Text(s) | Value::Json(Some(s))
                            if matches!(plan.extract_cols.get(i), Some(Some(_))) =>
                        {
                            let Some(Some(path)) = plan.extract_cols.get(i) else {
                                unreachable!()
                            };
                            push_extracted(&mut out, s, path)?
                        }
                        // A stored JSON null in a single-prop column: kept apart from a missing key.
                        Value::Text(s) | Value::Json(Some(s)) if prop && s == "null" => {
                            out.push_str(r#"{"$null":1}"#)
                        }
                        Value::Text(s) if plan.json_cols.get(i).copied().unwrap_or(false) => {
                            out.push_str(s)
                        }
                        other => push_value(&mut out, other),
                    }
                }
                out.push(']');
            }
            out.push(']');
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests;
