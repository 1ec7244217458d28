//! SQLite through rusqlite, on the calling thread.

use super::{begin_sql, commit_sql, rollback_sql, Executor};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::value::{Row, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::future::{ready, Future};

/// An open SQLite database plus its transaction depth.
pub struct SqliteConn {
    /// Statements of the hottest reads (`kept.rs`); declared first, so they are finalized
    /// before the connection closes.
    pub(crate) kept: super::kept::KeptStatements,
    pub conn: rusqlite::Connection,
    pub depth: u32,
    /// In-memory vector slots and the uncommitted writes to them (engine-side search).
    pub search: crate::search::cache::SqliteSearch,
    /// The open transaction is read only (`PRAGMA query_only` is on until it ends).
    read_only_tx: bool,
    /// Recorded-time revisions the open transaction took (history stores).
    pub recorded: crate::ops::recorded::TxRevisions,
}

impl SqliteConn {
    /// Opens (creating when missing) a database. File databases get upstream's
    /// local pragmas: WAL, synchronous NORMAL, a 5 s busy timeout.
    pub fn open(path: &str) -> Result<SqliteConn> {
        crate::search::register_sqlite_vec();
        let conn = if path == ":memory:" || path.is_empty() {
            rusqlite::Connection::open_in_memory()?
        } else {
            rusqlite::Connection::open(path)?
        };
        conn.busy_timeout(std::time::Duration::from_millis(5000))?;
        if path != ":memory:" && !path.is_empty() {
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
            // No mmap_size: mapping the file cost ingest 40% (W1 35k → 21k rows/s, W5 24k → 15k
            // records/s, same machine, back-to-back) for at most 10–25% on multi-hop reads.
        }
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA cache_size = -64000; PRAGMA temp_store = MEMORY;",
        )?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(SqliteConn {
            kept: Default::default(),
            conn,
            depth: 0,
            search: Default::default(),
            read_only_tx: false,
            recorded: Default::default(),
        })
    }

    pub fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    /// Opens a top-level transaction with `store.transaction`'s options: a read-only one begins
    /// deferred (it takes no write lock) and refuses writes until it ends (`query_only`); any
    /// other begins `IMMEDIATE` like [`Executor::begin`]. The isolation level is SQLite's own
    /// (serializable) whatever is asked.
    pub fn begin_with(&mut self, options: &super::tx_options::TxOptions) -> Result<()> {
        if self.depth > 0 {
            return Err(Error::new(
                crate::error::Code::Configuration,
                "A transaction with options cannot be opened inside another on SQLite",
                serde_json::json!({ "code": "NESTED_TRANSACTION_OPTIONS" }),
            ));
        }
        if options.read_only == Some(true) {
            self.control("BEGIN")?;
            if let Err(e) = self.conn.pragma_update(None, "query_only", true) {
                let _ = self.control("ROLLBACK");
                return Err(e.into());
            }
            self.read_only_tx = true;
        } else {
            self.control("BEGIN IMMEDIATE")?;
        }
        self.depth = 1;
        Ok(())
    }

    /// After the outermost transaction ended: writes allowed again if it was read only.
    fn end_read_only(&mut self) -> Result<()> {
        if self.depth == 0 && self.read_only_tx {
            self.read_only_tx = false;
            self.conn.pragma_update(None, "query_only", false)?;
        }
        Ok(())
    }

    fn run_query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| db_err(sql, e))?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(Bind)))
            .map_err(|e| db_err(sql, e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| db_err(sql, e))? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => Value::Text(match std::str::from_utf8(t) {
                        Ok(s) => s.to_owned(),
                        Err(_) => String::from_utf8_lossy(t).into_owned(),
                    }),
                    ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
                });
            }
            out.push(row);
        }
        Ok(out)
    }

    /// Runs a query and hands each row to `f` (column count, row) to read its values borrowed,
    /// without owned copies; reads that render straight to JSON text use this instead of
    /// [`Executor::query`].
    pub fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Value],
        mut f: impl FnMut(usize, &rusqlite::Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| db_err(sql, e))?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(Bind)))
            .map_err(|e| db_err(sql, e))?;
        while let Some(r) = rows.next().map_err(|e| db_err(sql, e))? {
            f(n, r)?;
        }
        Ok(())
    }

    /// Transaction control through the statement cache (no re-parse per write).
    fn control(&mut self, sql: &str) -> Result<()> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut st| st.execute([]))
            .map(|_| ())
            .map_err(Error::from)
    }

    fn run_execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| db_err(sql, e))?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter().map(Bind)))
            .map_err(|e| db_err(sql, e))?;
        Ok(n as u64)
    }
}

pub(crate) fn db_err(sql: &str, e: rusqlite::Error) -> Error {
    let verb = sql
        .split_whitespace()
        .next()
        .unwrap_or("statement")
        .to_ascii_lowercase();
    Error::database(&verb, e.to_string())
}

pub(crate) struct Bind<'a>(pub(crate) &'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null | Value::Ts(None) | Value::Json(None) => {
                ToSqlOutput::Borrowed(ValueRef::Null)
            }
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(*b as i64)),
            Value::Text(s) | Value::Ts(Some(s)) | Value::Json(Some(s)) => {
                ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
            }
            Value::TextList(items) => ToSqlOutput::Owned(rusqlite::types::Value::Text(
                serde_json::to_string(items).unwrap_or_else(|_| "[]".into()),
            )),
            Value::NullableTextList(items) => ToSqlOutput::Owned(rusqlite::types::Value::Text(
                serde_json::to_string(items).unwrap_or_else(|_| "[]".into()),
            )),
        })
    }
}

/// Executor over a borrowed SQLite connection.
pub struct SqliteExec<'a> {
    pub db: &'a mut SqliteConn,
}

impl Executor for SqliteExec<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> impl Future<Output = Result<u64>> + Send {
        ready(self.db.run_execute(sql, params))
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        ready(self.db.run_query(sql, params))
    }
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<()>> + Send {
        // Scripts may touch vector tables behind the engine's back.
        self.db.search.invalidate();
        ready(
            self.db
                .conn
                .execute_batch(sql)
                .map_err(|e| Error::database("ddl", e.to_string())),
        )
    }
    fn begin(&mut self) -> impl Future<Output = Result<()>> + Send {
        let sql = begin_sql(self.db.depth, "BEGIN IMMEDIATE");
        let r = self.db.control(&sql);
        if r.is_ok() {
            self.db.depth += 1;
            self.db.recorded.on_begin();
        }
        ready(r)
    }
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send {
        let mut r = self.db.control(&commit_sql(self.db.depth));
        if r.is_ok() {
            self.db.search.on_commit(self.db.depth);
            self.db.recorded.on_commit();
            self.db.depth = self.db.depth.saturating_sub(1);
            r = self.db.end_read_only();
        }
        ready(r)
    }
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send {
        // A nested rollback is two statements (ROLLBACK TO + RELEASE); a prepared statement
        // holds one, so each runs on its own (a joined string failed to prepare and left the
        // savepoint's writes in the enclosing transaction).
        let r = rollback_sql(self.db.depth)
            .split("; ")
            .try_for_each(|sql| self.db.control(sql));
        self.db.search.on_rollback(self.db.depth, r.is_ok());
        self.db.recorded.on_rollback();
        self.db.depth = self.db.depth.saturating_sub(1);
        let reset = self.db.end_read_only();
        ready(r.and(reset))
    }
    fn sqlite_conn(&mut self) -> Option<&mut SqliteConn> {
        Some(self.db)
    }
    fn recorded_tx(&mut self) -> Option<&mut crate::ops::recorded::TxRevisions> {
        Some(&mut self.db.recorded)
    }
}
