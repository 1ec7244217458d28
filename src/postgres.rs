//! The PostgreSQL handle: a sqlx pool on napi's tokio runtime; explicit
//! transactions hold one pooled connection between calls.

use crate::error::{disposed, to_napi};
use crate::sqlite::parse_tables;
use napi_derive::napi;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Postgres;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::Executor;
use typegraph_core::ops::{self, Ctx};
use typegraph_core::{Graph, Tables};

struct TxConn {
    conn: PoolConnection<Postgres>,
    depth: u32,
}

#[napi]
pub struct NativePostgres {
    pool: Mutex<Option<PgPool>>,
    graphs: Mutex<Vec<Arc<(Graph, Tables)>>>,
    txs: Mutex<HashMap<u32, Arc<tokio::sync::Mutex<TxConn>>>>,
    next_tx: AtomicU32,
    /// Connections a call or transaction finished with cleanly, kept checked out of the pool and
    /// reused by the next call. Handing one back to sqlx's pool costs a Sync round trip (its
    /// release test) per call; a connection whose call failed goes back through the pool instead.
    idle: Mutex<Vec<PoolConnection<Postgres>>>,
}

/// How many cleanly finished connections are kept for reuse (the rest go back to the pool).
const IDLE_KEPT: usize = 4;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[napi]
impl NativePostgres {
    /// Connects a pool (at most `max_connections`) to a `postgres://` URL.
    #[napi(factory, catch_unwind)]
    pub async fn connect(
        url: String,
        max_connections: Option<u32>,
    ) -> napi::Result<NativePostgres> {
        // No ping before each checkout: a broken connection surfaces as a database error on use,
        // and the extra round trip would double the cost of every point operation.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.unwrap_or(10))
            .test_before_acquire(false)
            .connect(&url)
            .await
            .map_err(|e| to_napi(e.into()))?;
        Ok(NativePostgres {
            pool: Mutex::new(Some(pool)),
            graphs: Mutex::new(Vec::new()),
            txs: Mutex::new(HashMap::new()),
            next_tx: AtomicU32::new(1),
            idle: Mutex::new(Vec::new()),
        })
    }

    #[napi]
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

    #[napi]
    pub async fn bootstrap(&self, table_names_json: Option<String>) -> napi::Result<()> {
        let tables = parse_tables(table_names_json)?;
        let mut conn = self.acquire().await?;
        let mut depth = 0;
        let mut ex = PgExec {
            conn: &mut conn,
            depth: &mut depth,
        };
        ops::schema::bootstrap(&mut ex, &tables)
            .await
            .map_err(to_napi)
    }

    /// Runs one engine operation, inside transaction `tx` when given.
    #[napi]
    pub async fn call(
        &self,
        graph: u32,
        op: String,
        args: String,
        tx: Option<u32>,
    ) -> napi::Result<String> {
        let entry = lock(&self.graphs)
            .get(graph as usize)
            .cloned()
            .ok_or_else(|| napi::Error::from_reason("unknown graph handle"))?;
        let ctx = Ctx {
            graph: &entry.0,
            tables: &entry.1,
        };
        match tx {
            Some(id) => {
                let t = self.tx(id)?;
                let mut t = t.lock().await;
                let TxConn { conn, depth } = &mut *t;
                let mut ex = PgExec { conn, depth };
                ops::dispatch(&mut ex, &ctx, &op, &args)
                    .await
                    .map_err(to_napi)
            }
            None => {
                let mut conn = self.acquire().await?;
                let mut depth = 0;
                let mut ex = PgExec {
                    conn: &mut conn,
                    depth: &mut depth,
                };
                let out = ops::dispatch(&mut ex, &ctx, &op, &args).await;
                if out.is_ok() && depth == 0 {
                    self.keep(conn);
                }
                out.map_err(to_napi)
            }
        }
    }

    /// Compiles a query AST to `{ sql, params }` without a connection (`toSQL()`).
    #[napi]
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
                typegraph_core::query::compile_only(&ctx, typegraph_core::Dialect::Postgres, a)
            })
            .map_err(to_napi)
    }

    /// `toSQL()` before the pool is connected: compiles against a graph
    /// definition parsed for this call (no handle, no connection).
    #[napi]
    pub fn compile_query_detached(
        graph_json: String,
        table_names_json: Option<String>,
        args: String,
    ) -> napi::Result<String> {
        let graph = Graph::from_json(&graph_json).map_err(to_napi)?;
        let tables = parse_tables(table_names_json)?;
        let ctx = Ctx {
            graph: &graph,
            tables: &tables,
        };
        typegraph_core::query::parse_args(&args)
            .and_then(|a| {
                typegraph_core::query::compile_only(&ctx, typegraph_core::Dialect::Postgres, a)
            })
            .map_err(to_napi)
    }

    /// Opens a transaction on a dedicated connection; returns its handle.
    #[napi]
    pub async fn begin(&self) -> napi::Result<u32> {
        let conn = self.acquire().await?;
        let mut t = TxConn { conn, depth: 0 };
        PgExec {
            conn: &mut t.conn,
            depth: &mut t.depth,
        }
        .begin()
        .await
        .map_err(to_napi)?;
        let id = self.next_tx.fetch_add(1, Ordering::Relaxed);
        lock(&self.txs).insert(id, Arc::new(tokio::sync::Mutex::new(t)));
        Ok(id)
    }

    #[napi]
    pub async fn commit(&self, tx: u32) -> napi::Result<()> {
        self.finish(tx, true).await
    }

    #[napi]
    pub async fn rollback(&self, tx: u32) -> napi::Result<()> {
        self.finish(tx, false).await
    }

    /// Runs a SQL script (no parameters).
    #[napi]
    pub async fn exec(&self, sql: String) -> napi::Result<()> {
        let mut conn = self.acquire().await?;
        let mut depth = 0;
        PgExec {
            conn: &mut conn,
            depth: &mut depth,
        }
        .batch(&sql)
        .await
        .map_err(to_napi)
    }

    /// Runs one query with JSON-array parameters; rows as a JSON array of arrays.
    #[napi]
    pub async fn query(&self, sql: String, params_json: Option<String>) -> napi::Result<String> {
        let params = ops::rows::params_from_json(params_json.as_deref()).map_err(to_napi)?;
        let mut conn = self.acquire().await?;
        let mut depth = 0;
        let rows = PgExec {
            conn: &mut conn,
            depth: &mut depth,
        }
        .query(&sql, &params)
        .await
        .map_err(to_napi)?;
        ops::rows::rows_json(&rows, usize::MAX).map_err(to_napi)
    }

    /// Closes the pool; later calls fail with BackendDisposedError.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let pool = lock(&self.pool).take();
        lock(&self.txs).clear();
        // The registered graph definitions go with the pool (calls after close are refused).
        lock(&self.graphs).clear();
        // Kept connections count as checked out: the pool's close waits for them.
        drop(std::mem::take(&mut *lock(&self.idle)));
        if let Some(p) = pool {
            p.close().await;
        }
        Ok(())
    }
}

impl NativePostgres {
    async fn acquire(&self) -> napi::Result<PoolConnection<Postgres>> {
        let pool = lock(&self.pool).clone().ok_or_else(disposed)?;
        if let Some(conn) = lock(&self.idle).pop() {
            return Ok(conn);
        }
        pool.acquire().await.map_err(|e| to_napi(e.into()))
    }

    /// Keeps a connection whose work finished cleanly (no transaction left open) for the next call.
    fn keep(&self, conn: PoolConnection<Postgres>) {
        if lock(&self.pool).is_none() {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() < IDLE_KEPT {
            idle.push(conn);
        }
    }

    fn tx(&self, id: u32) -> napi::Result<Arc<tokio::sync::Mutex<TxConn>>> {
        lock(&self.txs).get(&id).cloned().ok_or_else(|| {
            to_napi(typegraph_core::Error::new(
                typegraph_core::Code::TransactionClosed,
                "Transaction is closed: the statement ran after the transaction boundary returned",
                serde_json::json!({}),
            ))
        })
    }

    async fn finish(&self, tx: u32, commit: bool) -> napi::Result<()> {
        let t = lock(&self.txs).remove(&tx);
        let Some(t) = t else {
            return Err(self.tx(tx).err().unwrap_or_else(disposed));
        };
        let mut guard = t.lock().await;
        let TxConn { conn, depth } = &mut *guard;
        let mut ex = PgExec { conn, depth };
        let r = if commit {
            ex.commit().await
        } else {
            ex.rollback().await
        };
        drop(guard);
        if r.is_ok() {
            // Ended cleanly and no call still holds it: the connection serves the next call.
            if let Ok(m) = Arc::try_unwrap(t) {
                let done = m.into_inner();
                if done.depth == 0 {
                    self.keep(done.conn);
                }
            }
        }
        r.map_err(to_napi)
    }
}
