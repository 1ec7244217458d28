//! The SQLite handle: one connection, driven on the calling thread.

use crate::error::{disposed, to_napi};
use napi::bindgen_prelude::Function;
use napi_derive::napi;
use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{self, Ctx};
use typegraph_core::{Graph, Tables};

#[napi]
pub struct NativeSqlite {
    shared: Arc<Shared>,
    /// This connection's number in [`CONNS`] (the point reads' functions find it there).
    slot: u32,
}

/// What a [`NativeSqlite`] owns; its fields are read through `Deref` as the handle's own.
pub struct Shared {
    conn: Mutex<Option<SqliteConn>>,
    graphs: Mutex<Vec<Arc<(Graph, Tables)>>>,
}

impl std::ops::Deref for NativeSqlite {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

thread_local! {
    /// The open connections of this JS thread by number: the hot point reads are plain functions
    /// given that number (a method call's `this` is unwrapped and its borrow registered in a
    /// process-wide map on every call; a number costs one array read).
    static CONNS: RefCell<Vec<Option<Arc<Shared>>>> = const { RefCell::new(Vec::new()) };
}

impl Drop for NativeSqlite {
    fn drop(&mut self) {
        let _ = CONNS.try_with(|c| {
            if let Some(e) = c.borrow_mut().get_mut(self.slot as usize) {
                *e = None;
            }
        });
    }
}

fn conn_of(slot: u32) -> napi::Result<Arc<Shared>> {
    CONNS
        .with(|c| c.borrow().get(slot as usize).cloned().flatten())
        .ok_or_else(disposed)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[napi]
impl NativeSqlite {
    /// Opens (creating when missing) a database file, or `:memory:`.
    #[napi(factory, catch_unwind)]
    pub fn open(path: String) -> napi::Result<NativeSqlite> {
        let conn = SqliteConn::open(&path).map_err(to_napi)?;
        let shared = Arc::new(Shared {
            conn: Mutex::new(Some(conn)),
            graphs: Mutex::new(Vec::new()),
        });
        // Numbers are never reused: a stale number finds nothing rather than another connection.
        let slot = CONNS.with(|c| {
            let mut c = c.borrow_mut();
            c.push(Some(shared.clone()));
            c.len() - 1
        }) as u32;
        Ok(NativeSqlite { shared, slot })
    }

    /// This connection's number for [`sqlite_get_node`] and [`sqlite_query_plan`] (valid on
    /// this JS thread while the handle lives).
    #[napi]
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// Creates every TypeGraph table and index that is missing.
    #[napi(catch_unwind)]
    pub fn bootstrap(&self, table_names_json: Option<String>) -> napi::Result<()> {
        let tables = parse_tables(table_names_json)?;
        self.with(|ex| run_ready(ops::schema::bootstrap(ex, &tables)))
    }

    /// Registers a graph for this connection; returns its handle.
    #[napi(catch_unwind)]
    pub fn register(
        &self,
        graph_json: String,
        table_names_json: Option<String>,
    ) -> napi::Result<u32> {
        let graph = Graph::from_json(&graph_json).map_err(to_napi)?;
        let tables = parse_tables(table_names_json)?;
        let mut g = lock(&self.graphs);
        g.push(Arc::new((graph, tables)));
        Ok((g.len() - 1) as u32)
    }

    /// Runs one engine operation: JSON arguments in, JSON text out.
    #[napi(catch_unwind)]
    pub fn call(&self, graph: u32, op: String, args: String) -> napi::Result<String> {
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(|| napi::Error::from_reason("unknown graph handle"))?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        self.with(|ex| run_ready(ops::dispatch(ex, &ctx, &op, &args)))
    }

    /// `getNode` in the current temporal mode with its kind and id as they are (`getById`'s
    /// crossing: no argument object to serialise and parse); answers the row's JSON or `null`.
    #[napi(catch_unwind)]
    pub fn get_node(&self, graph: u32, kind: String, id: String) -> napi::Result<String> {
        self.shared.get_node(graph, kind, id)
    }

    /// Runs a plan `prepareQuery` registered with a JSON array of parameters (the prepared
    /// query's repeated run: no argument object, no operation name to dispatch).
    #[napi(catch_unwind)]
    pub fn query_plan(&self, graph: u32, plan: u32, params_json: String) -> napi::Result<String> {
        self.shared.query_plan(graph, plan, &params_json)
    }

    /// `update` of a node in one call: the engine reads the row and calls `merge` with its
    /// stored props (JSON text); `merge` returns the validated props as JSON text, or null to
    /// abort (the caller then throws the error it kept). `window`: the window options as a JSON
    /// object, when any is stated. Answers the written row with `null` for its props (they are
    /// the text `merge` returned). Runs on the calling thread like every SQLite call.
    #[napi(catch_unwind)]
    pub fn update_node_with(
        &self,
        graph: u32,
        kind: String,
        id: String,
        window: Option<String>,
        merge: Function<String, Option<String>>,
    ) -> napi::Result<String> {
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(|| napi::Error::from_reason("unknown graph handle"))?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        let args = ops::patch::PatchArgs::parse(kind, id, window.as_deref()).map_err(to_napi)?;
        let mut step = |props: &str| -> typegraph_core::Result<String> {
            match merge.call(props.to_string()) {
                Ok(Some(props)) => Ok(props),
                _ => Err(typegraph_core::Error::new(
                    typegraph_core::Code::Validation,
                    "update aborted by its merge step",
                    serde_json::json!({ "aborted": true }),
                )),
            }
        };
        self.with(|ex| run_ready(ops::patch::update_node_with(ex, &ctx, &args, &mut step)))
    }

    /// `bulkUpsertById` of distinct node ids in one call: the engine reads the stored rows and
    /// calls `merge` once with them (JSON text); `merge` returns the merged, validated items as
    /// JSON text, or null to abort (the caller then throws the error it kept).
    #[napi(catch_unwind)]
    pub fn upsert_nodes_with(
        &self,
        graph: u32,
        args: String,
        merge: Function<String, Option<String>>,
    ) -> napi::Result<String> {
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(|| napi::Error::from_reason("unknown graph handle"))?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        let step = |rows: &str| -> typegraph_core::Result<String> {
            match merge.call(rows.to_string()) {
                Ok(Some(items)) => Ok(items),
                _ => Err(typegraph_core::Error::new(
                    typegraph_core::Code::Validation,
                    "upsert aborted by its merge step",
                    serde_json::json!({ "aborted": true }),
                )),
            }
        };
        self.with(|ex| {
            run_ready(ops::upsert_with::upsert_nodes_with(
                ex,
                &ctx,
                &args,
                &mut |rows: String| std::future::ready(step(&rows)),
            ))
        })
    }

    /// Compiles a query AST to `{ sql, params }` without running it (`toSQL()`).
    #[napi(catch_unwind)]
    pub fn compile_query(&self, graph: u32, args: String) -> napi::Result<String> {
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(|| napi::Error::from_reason("unknown graph handle"))?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        typegraph_core::query::parse_args(&args)
            .and_then(|a| {
                typegraph_core::query::compile_only(&ctx, typegraph_core::Dialect::Sqlite, a)
            })
            .map_err(to_napi)
    }

    /// Opens a transaction (`BEGIN IMMEDIATE`) held across calls until commit/rollback.
    #[napi(catch_unwind)]
    pub fn begin(&self) -> napi::Result<()> {
        self.with(|ex| run_ready(ex.begin()))
    }

    /// Opens a transaction with `store.transaction`'s options (`isolationLevel`, `accessMode`).
    #[napi(catch_unwind)]
    pub fn begin_with(
        &self,
        isolation_level: Option<String>,
        access_mode: Option<String>,
    ) -> napi::Result<()> {
        let options = typegraph_core::exec::tx_options::TxOptions::parse(
            isolation_level.as_deref(),
            access_mode.as_deref(),
        )
        .map_err(to_napi)?;
        self.with(|ex| match ex.sqlite_conn() {
            Some(db) => db.begin_with(&options),
            None => Err(typegraph_core::Error::invariant(
                "SQLite executor without its connection",
            )),
        })
    }

    #[napi(catch_unwind)]
    pub fn commit(&self) -> napi::Result<()> {
        self.with(|ex| run_ready(ex.commit()))
    }

    #[napi(catch_unwind)]
    pub fn rollback(&self) -> napi::Result<()> {
        self.with(|ex| run_ready(ex.rollback()))
    }

    /// Runs a SQL script (no parameters) on this connection — used by tests and migrations.
    #[napi(catch_unwind)]
    pub fn exec(&self, sql: String) -> napi::Result<()> {
        self.with(|ex| run_ready(ex.batch(&sql)))
    }

    /// Runs one query with JSON-array parameters; returns rows as a JSON array of arrays.
    #[napi(catch_unwind)]
    pub fn query(&self, sql: String, params_json: Option<String>) -> napi::Result<String> {
        let params =
            typegraph_core::ops::rows::params_from_json(params_json.as_deref()).map_err(to_napi)?;
        self.with(|ex| {
            let rows = run_ready(ex.query(&sql, &params))?;
            typegraph_core::ops::rows::rows_json(&rows, usize::MAX)
        })
    }

    #[napi]
    pub fn is_open(&self) -> bool {
        lock(&self.conn).is_some()
    }

    /// Closes the connection; later calls fail with BackendDisposedError.
    #[napi]
    pub fn close(&self) {
        lock(&self.conn).take();
        // The registered graph definitions go with the connection (calls after close are refused).
        lock(&self.graphs).clear();
    }
}

impl Shared {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut SqliteExec<'_>) -> typegraph_core::Result<T>,
    ) -> napi::Result<T> {
        // Every call comes from the JS thread, so a held lock means re-entry (a merge step of
        // `update_node_with` calling back into this connection): refused instead of deadlocking.
        let mut guard = match self.conn.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(to_napi(typegraph_core::Error::new(
                    typegraph_core::Code::Configuration,
                    "The SQLite connection is busy with the call that is validating an update; store calls cannot be made from inside a schema's validation",
                    serde_json::json!({ "code": "REENTRANT_CALL" }),
                )))
            }
        };
        let db = guard.as_mut().ok_or_else(disposed)?;
        let mut ex = SqliteExec { db };
        f(&mut ex).map_err(to_napi)
    }
}

impl Shared {
    fn graph(&self, graph: u32) -> napi::Result<Arc<(Graph, Tables)>> {
        lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(|| napi::Error::from_reason("unknown graph handle"))
    }

    fn get_node(&self, graph: u32, kind: String, id: String) -> napi::Result<String> {
        let entry = self.graph(graph)?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        let args = ops::nodes::IdArgs {
            kind,
            id,
            temporal_mode: None,
            as_of: None,
        };
        self.with(|ex| run_ready(ops::nodes::get(ex, &ctx, args)))
    }

    fn query_plan(&self, graph: u32, plan: u32, params_json: &str) -> napi::Result<String> {
        let entry = self.graph(graph)?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        self.with(|ex| {
            run_ready(typegraph_core::query::run_prepared(
                ex,
                &ctx,
                plan as usize,
                params_json,
            ))
        })
    }
}

/// `NativeSqlite.getNode` of the connection numbered `slot` (see [`NativeSqlite::slot`]).
#[napi(catch_unwind)]
pub fn sqlite_get_node(slot: u32, graph: u32, kind: String, id: String) -> napi::Result<String> {
    conn_of(slot)?.get_node(graph, kind, id)
}

/// `NativeSqlite.queryPlan` of the connection numbered `slot` (see [`NativeSqlite::slot`]).
#[napi(catch_unwind)]
pub fn sqlite_query_plan(
    slot: u32,
    graph: u32,
    plan: u32,
    params_json: String,
) -> napi::Result<String> {
    conn_of(slot)?.query_plan(graph, plan, &params_json)
}

pub fn parse_tables(json: Option<String>) -> napi::Result<Tables> {
    match json {
        None => Ok(Tables::default()),
        Some(j) => {
            let m =
                serde_json::from_str(&j).map_err(|e| napi::Error::from_reason(e.to_string()))?;
            Ok(Tables::with_overrides(m))
        }
    }
}
