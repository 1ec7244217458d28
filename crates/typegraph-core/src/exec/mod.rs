//! One executor abstraction over both databases.
//!
//! Operation code is written once as `async fn op<E: Executor>(ex: &mut E, ..)`.
//! PostgreSQL runs it on tokio; SQLite's executor does its work synchronously
//! and returns ready futures, so [`run_ready`] drives the same code on the
//! calling thread with a single poll and no runtime.

pub mod kept;
pub mod postgres;
pub mod sqlite;
pub mod tx_options;

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::value::{Row, Value};
use std::future::Future;

pub trait Executor: Send {
    fn dialect(&self) -> Dialect;
    /// Runs one statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> impl Future<Output = Result<u64>> + Send;
    /// Runs one statement and returns all its rows.
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send;
    /// Like [`Executor::query`], with the planner told to keep the joins in the order written
    /// (PostgreSQL's `join_collapse_limit = 1` for this statement; elsewhere a plain query).
    fn query_in_written_order(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.query(sql, params)
    }
    /// A compiled builder query: `ordered` as [`Executor::query_in_written_order`]; `anchored`
    /// says the statement starts from one bound id, so a plan made without the values is as
    /// good as one made with them (PostgreSQL then keeps it as a named statement, joins or not,
    /// and stops planning it per execution). Elsewhere a plain query.
    fn query_compiled(
        &mut self,
        sql: &str,
        params: &[Value],
        ordered: bool,
        anchored: bool,
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        let _ = anchored;
        async move {
            if ordered {
                self.query_in_written_order(sql, params).await
            } else {
                self.query(sql, params).await
            }
        }
    }
    /// Runs a script of `;`-separated statements without parameters (DDL).
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<()>> + Send;
    /// Opens a transaction, or a savepoint when one is already open.
    fn begin(&mut self) -> impl Future<Output = Result<()>> + Send;
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send;
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// PostgreSQL `COPY … FROM STDIN` with `data` in COPY's text format; returns the rows
    /// written. Only the PostgreSQL executor streams; elsewhere this is an invariant error.
    fn copy_in(&mut self, sql: &str, data: &[u8]) -> impl Future<Output = Result<u64>> + Send {
        let _ = (sql, data);
        async { Err(Error::invariant("COPY FROM STDIN is PostgreSQL only")) }
    }
    /// The SQLite connection behind this executor, for engine-side search (`None` on PostgreSQL).
    fn sqlite_conn(&mut self) -> Option<&mut sqlite::SqliteConn> {
        None
    }
    /// Recorded-time capture: where write paths note the keys they wrote (`None`: not capturing).
    fn touched(&mut self) -> Option<&mut crate::ops::recorded::Touched> {
        None
    }
    /// Recorded-time revisions the connection's open transaction took.
    fn recorded_tx(&mut self) -> Option<&mut crate::ops::recorded::TxRevisions> {
        None
    }
}

/// Statement text for nested transaction levels, shared by both dialects.
pub(crate) fn begin_sql(depth: u32, outer: &'static str) -> String {
    if depth == 0 {
        outer.to_string()
    } else {
        format!("SAVEPOINT tg_sp_{depth}")
    }
}
pub(crate) fn commit_sql(depth: u32) -> String {
    if depth <= 1 {
        "COMMIT".to_string()
    } else {
        format!("RELEASE SAVEPOINT tg_sp_{}", depth - 1)
    }
}
pub(crate) fn rollback_sql(depth: u32) -> String {
    if depth <= 1 {
        "ROLLBACK".to_string()
    } else {
        let n = depth - 1;
        format!("ROLLBACK TO SAVEPOINT tg_sp_{n}; RELEASE SAVEPOINT tg_sp_{n}")
    }
}

/// Runs `body` atomically: a transaction (or savepoint) around it, rolled back on error.
#[macro_export]
macro_rules! atomic {
    ($ex:expr, $body:expr) => {{
        $ex.begin().await?;
        let out = async { $body }.await;
        match out {
            Ok(v) => {
                $ex.commit().await?;
                Ok(v)
            }
            Err(e) => {
                let _ = $ex.rollback().await;
                Err(e)
            }
        }
    }};
}

/// Drives a future whose every await is already ready (the SQLite path).
pub fn run_ready<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("synchronous executor future was not ready"),
    }
}

/// Reads a required text column.
pub fn col_str(row: &Row, i: usize) -> Result<&str> {
    row.get(i)
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::invariant(format!("expected text in column {i}")))
}
