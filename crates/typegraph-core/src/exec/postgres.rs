//! PostgreSQL through sqlx, async on tokio.

use super::{begin_sql, commit_sql, rollback_sql, Executor};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::value::{Row, Value};
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::{Column, Row as _, TypeInfo};
use std::future::Future;

/// A PostgreSQL connection plus its transaction depth and the session settings it changed.
pub struct PgExec<'a> {
    pub conn: &'a mut PgConnection,
    pub depth: &'a mut u32,
    pub session: &'a mut PgSession,
}

/// Session-level settings an executor changes on its connection, kept with the connection
/// between calls. Outside a transaction, a run of traversals that keep their joins in written
/// order sets `join_collapse_limit = 1` once for the session (not around each statement: that
/// cost two extra round trips per query); the next statement with joins of its own, or the next
/// transaction, puts the default back first. A connection whose settings are not the defaults
/// must not go back to a pool as it is ([`PgSession::is_default`]).
#[derive(Debug, Default, Clone)]
pub struct PgSession {
    written_order: bool,
    /// Recorded-time revisions the open transaction took (history stores).
    recorded: crate::ops::recorded::TxRevisions,
}

impl PgSession {
    /// Whether every setting is the connection's default.
    pub fn is_default(&self) -> bool {
        !self.written_order
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            Error::validation(
                format!("Invalid timestamp: {s}"),
                serde_json::json!({ "value": s }),
            )
        })
}

fn bind_all<'q>(mut q: PgQuery<'q>, params: &'q [Value]) -> Result<PgQuery<'q>> {
    for v in params {
        q = match v {
            Value::Null => q.bind(None::<String>),
            Value::Int(i) => q.bind(*i),
            Value::Real(f) => q.bind(*f),
            Value::Bool(b) => q.bind(*b),
            Value::Text(s) => q.bind(s.as_str()),
            Value::Ts(None) => q.bind(None::<DateTime<Utc>>),
            Value::Ts(Some(s)) => q.bind(parse_ts(s)?),
            Value::Json(None) => q.bind(None::<sqlx::types::Json<Box<RawValue>>>),
            Value::Json(Some(s)) => {
                let raw = RawValue::from_string(s.clone()).map_err(|e| {
                    Error::validation(format!("Invalid JSON: {e}"), serde_json::json!({}))
                })?;
                q.bind(sqlx::types::Json(raw))
            }
            Value::TextList(items) => q.bind(items.as_slice()),
            Value::NullableTextList(items) => q.bind(items.as_slice()),
        };
    }
    Ok(q)
}

/// Canonical instant text: `YYYY-MM-DDTHH:mm:ss.sssZ`.
pub fn format_ts(d: &DateTime<Utc>) -> String {
    crate::util::format_instant(d)
}

fn decode_row(r: &PgRow) -> Result<Row> {
    let mut row = Vec::with_capacity(r.columns().len());
    for (i, c) in r.columns().iter().enumerate() {
        let v = match c.type_info().name() {
            "BOOL" => r.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
            "INT2" => r
                .try_get::<Option<i16>, _>(i)?
                .map(|v| Value::Int(v as i64)),
            "INT4" => r
                .try_get::<Option<i32>, _>(i)?
                .map(|v| Value::Int(v as i64)),
            "INT8" => r.try_get::<Option<i64>, _>(i)?.map(Value::Int),
            "FLOAT4" => r
                .try_get::<Option<f32>, _>(i)?
                .map(|v| Value::Real(v as f64)),
            "FLOAT8" => r.try_get::<Option<f64>, _>(i)?.map(Value::Real),
            "TIMESTAMPTZ" => r
                .try_get::<Option<DateTime<Utc>>, _>(i)?
                .map(|d| Value::Ts(Some(format_ts(&d)))),
            "JSONB" | "JSON" => r
                .try_get::<Option<sqlx::types::Json<Box<RawValue>>>, _>(i)?
                .map(|j| Value::Json(Some(j.0.get().to_string()))),
            _ => r.try_get::<Option<String>, _>(i)?.map(Value::Text),
        };
        row.push(v.unwrap_or(Value::Null));
    }
    Ok(row)
}

fn db_err(sql: &str, e: sqlx::Error) -> Error {
    let verb = sql
        .split_whitespace()
        .next()
        .unwrap_or("statement")
        .to_ascii_lowercase();
    Error::database(&verb, e.to_string())
}

/// Whether a statement is kept as a named prepared statement. Joins are not: after five runs
/// PostgreSQL may switch a named statement to a generic plan, and a generic plan of a multi-hop
/// traversal (join selectivities unknown without the bound ids) ran for minutes where the custom
/// plan takes milliseconds. Such statements are planned per execution with their values, as the
/// original's driver (unnamed statements) always does; single-table statements stay prepared.
fn keep_prepared(sql: &str) -> bool {
    !sql.contains(" JOIN ")
}

/// Whether a statement is bound with a long list (a bulk lookup or a bulk write). Such
/// statements are planned per execution too: a generic plan chosen while a table was still
/// small and without statistics (a fresh graph's first batches) stays cached as the table
/// grows, and then probes thousands of ids per scanned row — on a fresh schema this made
/// the bulk edge path 3× slower than plain SQL. Planning a 5,000-row batch costs far less.
fn bound_with_long_list(params: &[Value]) -> bool {
    const LONG: usize = 64;
    params.iter().any(|v| match v {
        Value::TextList(items) => items.len() > LONG,
        Value::NullableTextList(items) => items.len() > LONG,
        _ => false,
    })
}

/// A failed COPY: a unique violation (SQLSTATE 23505) keeps its state in the details, so a bulk
/// path can tell a taken key from other failures and report it the way its insert does.
fn copy_err(sql: &str, e: sqlx::Error) -> Error {
    let state = match &e {
        sqlx::Error::Database(d) => d.code().map(|c| c.to_string()),
        _ => None,
    };
    let mut err = db_err(sql, e);
    if let (Some(state), serde_json::Value::Object(m)) = (state, &mut err.details) {
        m.insert("sqlstate".into(), serde_json::Value::String(state));
    }
    err
}

/// Whether `e` is a COPY's unique violation (see [`copy_err`]).
pub fn is_copy_conflict(e: &Error) -> bool {
    e.details.get("sqlstate").and_then(|v| v.as_str()) == Some("23505")
}

impl PgExec<'_> {
    /// Opens a top-level transaction with `store.transaction`'s options, in the one `BEGIN`
    /// statement ([`super::tx_options::TxOptions::pg_begin`]).
    pub async fn begin_with(&mut self, options: &super::tx_options::TxOptions) -> Result<()> {
        if *self.depth > 0 {
            return Err(Error::new(
                crate::error::Code::Configuration,
                "A transaction with options cannot be opened inside another",
                serde_json::json!({ "code": "NESTED_TRANSACTION_OPTIONS" }),
            ));
        }
        if !self.session.is_default() {
            self.reset_session().await?;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(options.pg_begin()))
            .execute(&mut *self.conn)
            .await?;
        *self.depth += 1;
        Ok(())
    }

    /// One statement's rows; `named` keeps it as a named prepared statement (unless bound with
    /// a long list), otherwise it is planned per execution.
    async fn fetch(&mut self, sql: &str, params: &[Value], named: bool) -> Result<Vec<Row>> {
        self.free_join_order(sql).await?;
        self.fetch_as_set(sql, params, named).await
    }

    /// Puts the planner's own join order back (the session default) before a statement with
    /// joins of its own, when a run of written-order traversals left it at 1.
    async fn free_join_order(&mut self, sql: &str) -> Result<()> {
        if self.session.written_order && sql.contains(" JOIN ") {
            self.reset_session().await?;
        }
        Ok(())
    }

    /// Puts the session settings back to their defaults if this executor changed any (one
    /// round trip then, none otherwise): for a connection about to go back to a pool.
    pub async fn restore_defaults(&mut self) -> Result<()> {
        if self.session.is_default() {
            return Ok(());
        }
        self.reset_session().await
    }

    /// Puts every session setting this executor changed back to its default.
    async fn reset_session(&mut self) -> Result<()> {
        const RESET: &str = "SET join_collapse_limit TO DEFAULT";
        sqlx::raw_sql(RESET)
            .execute(&mut *self.conn)
            .await
            .map_err(|e| db_err(RESET, e))?;
        self.session.written_order = false;
        Ok(())
    }

    /// [`PgExec::fetch`] under the session's settings as they are.
    async fn fetch_as_set(&mut self, sql: &str, params: &[Value], named: bool) -> Result<Vec<Row>> {
        let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)?
            .persistent(named && !bound_with_long_list(params));
        let rows = q
            .fetch_all(&mut *self.conn)
            .await
            .map_err(|e| db_err(sql, e))?;
        rows.iter().map(decode_row).collect()
    }

    /// [`PgExec::fetch`] with the joins kept in the order written (`join_collapse_limit = 1`).
    async fn fetch_ordered(
        &mut self,
        sql: &str,
        params: &[Value],
        named: bool,
    ) -> Result<Vec<Row>> {
        if *self.depth == 0 {
            // Outside a transaction the setting is made for the session and left there for the
            // next traversal; marked before it is sent, so a failure leaves it counted as set.
            if !self.session.written_order {
                self.session.written_order = true;
                const SET: &str = "SET join_collapse_limit = 1";
                sqlx::raw_sql(SET)
                    .execute(&mut *self.conn)
                    .await
                    .map_err(|e| db_err(SET, e))?;
            }
            return self.fetch_as_set(sql, params, named).await;
        }
        // Inside the caller's transaction (whose `begin` put the session default back), SET
        // LOCAL for this statement, the default put back after it: a rollback to a savepoint
        // would undo a session-level change without telling us.
        sqlx::raw_sql("SET LOCAL join_collapse_limit = 1")
            .execute(&mut *self.conn)
            .await
            .map_err(|e| db_err(sql, e))?;
        // On failure the caller's transaction is aborted; its rollback undoes the setting.
        let rows = self.fetch_as_set(sql, params, named).await?;
        const END: &str = "SET LOCAL join_collapse_limit TO DEFAULT";
        sqlx::raw_sql(END)
            .execute(&mut *self.conn)
            .await
            .map_err(|e| db_err(END, e))?;
        Ok(rows)
    }
}

impl Executor for PgExec<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    fn recorded_tx(&mut self) -> Option<&mut crate::ops::recorded::TxRevisions> {
        Some(&mut self.session.recorded)
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> impl Future<Output = Result<u64>> + Send {
        async move {
            self.free_join_order(sql).await?;
            let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)?
                .persistent(!bound_with_long_list(params));
            let r = q
                .execute(&mut *self.conn)
                .await
                .map_err(|e| db_err(sql, e))?;
            Ok(r.rows_affected())
        }
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.fetch(sql, params, keep_prepared(sql))
    }
    fn query_in_written_order(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.fetch_ordered(sql, params, keep_prepared(sql))
    }
    fn query_compiled(
        &mut self,
        sql: &str,
        params: &[Value],
        ordered: bool,
        anchored: bool,
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        let named = anchored || keep_prepared(sql);
        async move {
            if ordered {
                self.fetch_ordered(sql, params, named).await
            } else {
                self.fetch(sql, params, named).await
            }
        }
    }
    fn copy_in(&mut self, sql: &str, data: &[u8]) -> impl Future<Output = Result<u64>> + Send {
        async move {
            let mut cp = self
                .conn
                .copy_in_raw(sql)
                .await
                .map_err(|e| copy_err(sql, e))?;
            if let Err(e) = cp.send(data).await {
                // The server answers an abort with an error; the send failure is the one to report.
                let _ = cp.abort("typegraph: sending COPY data failed").await;
                return Err(copy_err(sql, e));
            }
            cp.finish().await.map_err(|e| copy_err(sql, e))
        }
    }
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            self.free_join_order(sql).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *self.conn)
                .await
                .map_err(|e| db_err("ddl", e))?;
            Ok(())
        }
    }
    fn begin(&mut self) -> impl Future<Output = Result<()>> + Send {
        async move {
            // A session-level change made inside the transaction would be undone by its
            // rollback: the transaction starts from the defaults.
            if *self.depth == 0 && !self.session.is_default() {
                self.reset_session().await?;
            }
            let sql = begin_sql(*self.depth, "BEGIN");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *self.conn)
                .await?;
            *self.depth += 1;
            self.session.recorded.on_begin();
            Ok(())
        }
    }
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send {
        async move {
            let sql = commit_sql(*self.depth);
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *self.conn)
                .await?;
            self.session.recorded.on_commit();
            *self.depth = self.depth.saturating_sub(1);
            Ok(())
        }
    }
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send {
        async move {
            let sql = rollback_sql(*self.depth);
            self.session.recorded.on_rollback();
            *self.depth = self.depth.saturating_sub(1);
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *self.conn)
                .await?;
            Ok(())
        }
    }
}
