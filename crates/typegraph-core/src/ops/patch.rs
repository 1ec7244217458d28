//! `update` of a node as one call from the binding (SQLite): the engine reads the row, hands its
//! stored props to the caller's merge-and-validate step (zod, in TypeScript, called back on the
//! same thread), and writes the validated props with the same guarded statement as `updateNode`.
//! The read and the write are two statements (kept statements, `kept_writes`) in one crossing;
//! an autocommit update holds them in one `BEGIN IMMEDIATE` transaction. Inside a caller's
//! transaction a writer cannot come between them either; the version guard still fences the
//! write, and a lost race (only possible when another path moved the row) runs the
//! read-merge-write again. The answer is the written row without its props: the caller holds
//! them already (the text it returned is the text stored).

use super::rows::{opt_str, row_json, NODE_PROPS};
use super::{evolve, kept_writes, nodes, Ctx};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::value::Value;
use serde::Deserialize;
use serde_json::value::RawValue;

const VERSION: usize = 3;
const DELETED_AT: usize = 8;
/// Rounds of read-merge-write before a lost race is reported (as the TypeScript retry loop).
const ATTEMPTS: usize = 9;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchArgs {
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub clear_valid_to: bool,
    /// Upsert paths: a stated lower bound (must match the live row's unless preserved).
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub preserve_valid_from: bool,
}

/// The caller's step: the stored props (JSON text, `null` when the row has none) in, the
/// validated props (JSON text) out. An `Err` aborts the update with that error.
pub type Merge<'m> = dyn FnMut(&str) -> Result<String> + 'm;

impl PatchArgs {
    /// `kind` and `id` with the window options of `options` (JSON object text), when given.
    pub fn parse(kind: String, id: String, options: Option<&str>) -> Result<PatchArgs> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Window {
            #[serde(default)]
            valid_to: Option<String>,
            #[serde(default)]
            clear_valid_to: bool,
            #[serde(default)]
            valid_from: Option<String>,
            #[serde(default)]
            preserve_valid_from: bool,
        }
        let w: Window = match options {
            None => Window::default(),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                Error::validation(
                    format!("Malformed operation arguments: {e}"),
                    serde_json::json!({}),
                )
            })?,
        };
        Ok(PatchArgs {
            kind,
            id,
            valid_to: w.valid_to,
            clear_valid_to: w.clear_valid_to,
            valid_from: w.valid_from,
            preserve_valid_from: w.preserve_valid_from,
        })
    }
}

/// Runs `updateNode` for `a` with props from `merge`; fenced like a dispatched write. Answers
/// the written row's JSON text (NODE_COLS) with `null` in place of its props.
pub async fn update_node_with<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &PatchArgs,
    merge: &mut Merge<'_>,
) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    if super::recorded::wanted(ex, ctx) || super::identity::wanted(ex, ctx) {
        ex.begin().await?;
        let mut cap = super::recorded::Capture {
            inner: ex,
            touched: Default::default(),
        };
        let out = fenced_run(&mut cap, ctx, a, merge).await;
        let super::recorded::Capture { inner, touched } = cap;
        let out = super::identity::after_writes(inner, ctx, &touched, out).await;
        if !super::recorded::ticks(ctx) {
            return super::identity::finish(inner, out).await;
        }
        return super::recorded::finish(inner, ctx, touched, out).await;
    }
    // SQLite outside a transaction: the read, the merge and the write run in one write
    // transaction (`BEGIN IMMEDIATE`), one round of WAL locks instead of a read transaction and
    // then a write transaction; no writer comes between the read and the write (the version
    // fence still guards the write). The schema fence is the fast path's guard, or the fenced
    // executor's check when the write takes the transactional path (a savepoint inside this).
    let own = matches!(ex.sqlite_conn(), Some(db) if !db.in_transaction());
    if own {
        ex.begin().await?;
    }
    let out = fenced_run(ex, ctx, a, merge).await;
    if !own {
        return out;
    }
    match out {
        Ok(row) => match ex.commit().await {
            Ok(()) => Ok(row),
            Err(e) => {
                let _ = ex.rollback().await;
                Err(e)
            }
        },
        Err(e) => {
            let _ = ex.rollback().await;
            Err(e)
        }
    }
}

async fn fenced_run<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &PatchArgs,
    merge: &mut Merge<'_>,
) -> Result<String> {
    match ctx.graph.schema_version() {
        Some(v) => {
            let mut fenced = evolve::Fenced::new(ex, ctx.tables, ctx.graph.id(), v);
            run(&mut fenced, ctx, a, merge).await
        }
        None => run(ex, ctx, a, merge).await,
    }
}

async fn run<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &PatchArgs,
    merge: &mut Merge<'_>,
) -> Result<String> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        // SQLite reads from the point read's kept statement; PostgreSQL (and any other
        // executor) reads through `fetch`. The merge gets the stored props text as read.
        let read = match ex.sqlite_conn() {
            Some(db) => {
                let sql = nodes::select_one_sql(crate::Dialect::Sqlite, ctx);
                let params = [
                    Value::text(ctx.graph.id()),
                    Value::text(&a.kind),
                    Value::text(&a.id),
                ];
                kept_writes::read_node(db, ctx.tables, &sql, &params)?
            }
            None => nodes::fetch(ex, ctx, &a.kind, &a.id).await?,
        };
        let current = match read {
            Some(r) => r,
            None => return Err(nodes::not_found(&a.kind, &a.id)),
        };
        // The merge sees tombstones too (validation errors come first, as before); a deleted
        // row is then not found.
        let props = merge(opt_str(&current, NODE_PROPS).unwrap_or("null"))?;
        if opt_str(&current, DELETED_AT).is_some() {
            return Err(nodes::not_found(&a.kind, &a.id));
        }
        let props = RawValue::from_string(props).map_err(|e| {
            Error::validation(format!("Invalid props JSON: {e}"), serde_json::json!({}))
        })?;
        let args = nodes::UpdateArgs {
            kind: a.kind.clone(),
            id: a.id.clone(),
            props,
            expected_version: current.get(VERSION).and_then(|v| v.as_i64()),
            valid_to: a.valid_to.clone(),
            clear_valid_to: a.clear_valid_to,
            valid_from: a.valid_from.clone(),
            preserve_valid_from: a.preserve_valid_from,
        };
        match nodes::update_over(ex, ctx, args, Some(&current)).await {
            Ok(mut row) => {
                if let Some(p) = row.get_mut(NODE_PROPS) {
                    *p = Value::Null;
                }
                return row_json(Some(&row), NODE_PROPS);
            }
            Err(e)
                if attempt < ATTEMPTS
                    && e.code == Code::StaleVersion
                    && e.details.get("retry") == Some(&serde_json::Value::Bool(true)) =>
            {
                continue
            }
            Err(e) => return Err(e),
        }
    }
}
