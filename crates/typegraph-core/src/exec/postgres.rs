//! PostgreSQL through sqlx, async on tokio.

use super::{begin_sql, commit_sql, rollback_sql, Executor};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::value::{Row, Value};
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::{Column, Connection as _, Row as _, TypeInfo};
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
/// transaction, puts the default back first. Statements that must be planned with their values
/// ([`Planning::Custom`]) run as named prepared statements under `plan_cache_mode =
/// force_custom_plan`, set for the session when the first of them comes and put back when a
/// run of statements that may keep a generic plan starts (see [`PgExec::settle`]); inside a
/// transaction the mode is set with `SET LOCAL` (gone at its end). A connection whose settings
/// are not the defaults must not go back to a pool as it is ([`PgSession::is_default`]).
#[derive(Debug, Default, Clone)]
pub struct PgSession {
    written_order: bool,
    /// The session's `plan_cache_mode` is `force_custom_plan`.
    custom_plans: bool,
    /// The open transaction set `plan_cache_mode = force_custom_plan` with `SET LOCAL`.
    local_custom_plans: bool,
    /// Statements that may keep a generic plan run since the session went to custom plans.
    generic_run: u32,
    /// Recorded-time revisions the open transaction took (history stores).
    recorded: crate::ops::recorded::TxRevisions,
}

impl PgSession {
    /// Whether every setting is the connection's default.
    pub fn is_default(&self) -> bool {
        !self.written_order && !self.custom_plans
    }

    /// Whether statements run now are planned with their values whatever their name.
    fn plans_custom(&self) -> bool {
        self.custom_plans || self.local_custom_plans
    }
}

/// How a statement may be planned. A named prepared statement is parsed once per connection and
/// then runs in one round trip (bind + execute); an unnamed one costs a round trip of its own
/// for its parse. After five executions PostgreSQL may switch a named statement to a generic
/// plan (made without the bound values): right for a statement anchored on a bound id or a
/// single table, ruinous for some joins (a generic plan of a multi-hop traversal from a
/// filtered start ran for minutes where the custom plan takes milliseconds) and for statements
/// bound with long lists (a generic plan chosen while a table was small stays as it grows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planning {
    /// Named, and the server may keep a generic plan.
    Generic,
    /// Planned per execution with its values: named under `force_custom_plan`, else unnamed.
    Custom,
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

/// How a statement is planned: one bound with a long list, or with joins and not anchored on a
/// bound id, per execution with its values; any other may keep a generic plan.
fn planning(sql: &str, params: &[Value], anchored: bool) -> Planning {
    if bound_with_long_list(params) || (!anchored && sql.contains(" JOIN ")) {
        Planning::Custom
    } else {
        Planning::Generic
    }
}

/// Whether a statement runs as a named prepared statement (parsed once per connection, then one
/// round trip per execution). One with more than [`MANY_PARAMS`] parameters is unnamed: such
/// texts are generated per batch size, and keeping each would churn the connection's statement
/// cache (every eviction costs a round trip of its own).
fn kept_by_name(params: &[Value]) -> bool {
    params.len() <= MANY_PARAMS
}

/// See [`kept_by_name`].
const MANY_PARAMS: usize = 64;

/// Whether a named statement failed because a table it reads changed the shape of its result
/// since it was prepared (SQLSTATE 0A000, "cached plan must not change result type").
fn is_stale_shape(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("0A000") && d.message().contains("cached plan")
        }
        _ => false,
    }
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
        if self.session.written_order {
            self.set_session(false, self.session.custom_plans).await?;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(options.pg_begin()))
            .execute(&mut *self.conn)
            .await?;
        *self.depth += 1;
        Ok(())
    }

    /// Puts the session settings back to their defaults if this executor changed any (one
    /// round trip then, none otherwise): for a connection about to go back to a pool.
    pub async fn restore_defaults(&mut self) -> Result<()> {
        if self.session.is_default() {
            return Ok(());
        }
        self.set_session(false, false).await
    }

    /// Changes the session-level settings that differ from `written_order` / `custom_plans`, in
    /// one round trip. A setting being turned on is counted as on before the statement is sent,
    /// so a failure leaves it counted as set (and the connection is not pooled as it is).
    async fn set_session(&mut self, written_order: bool, custom_plans: bool) -> Result<()> {
        let mut sets: Vec<&str> = Vec::with_capacity(2);
        if written_order != self.session.written_order {
            sets.push(if written_order {
                "SET join_collapse_limit = 1"
            } else {
                "SET join_collapse_limit TO DEFAULT"
            });
        }
        if custom_plans != self.session.custom_plans {
            sets.push(if custom_plans {
                "SET plan_cache_mode = force_custom_plan"
            } else {
                "SET plan_cache_mode TO DEFAULT"
            });
        }
        if sets.is_empty() {
            return Ok(());
        }
        self.session.written_order |= written_order;
        self.session.custom_plans |= custom_plans;
        let sql = sets.join("; ");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut *self.conn)
            .await
            .map_err(|e| db_err(&sql, e))?;
        self.session.written_order = written_order;
        self.session.custom_plans = custom_plans;
        if custom_plans {
            self.session.generic_run = 0;
        }
        Ok(())
    }

    /// Brings the session to what the next statement wants before it is sent, in one round
    /// trip when anything changes and none otherwise: `join_collapse_limit` (`Some(true)`: kept
    /// at 1 for a written-order traversal; otherwise put back before a statement with joins of
    /// its own) and the plan cache mode. Outside a transaction a [`Planning::Custom`] statement
    /// turns the session to custom plans; a statement that may keep a generic plan turns it
    /// back if it has joins (planning one per execution costs more than the round trip) or is
    /// the second such statement in a row (a single one between custom statements runs under
    /// custom plans rather than pay two switches). Inside a transaction the join order is left
    /// to [`PgExec::fetch_ordered_in_tx`] and a custom statement sets the mode with `SET LOCAL`.
    async fn settle(&mut self, sql: &str, ordered: Option<bool>, planning: Planning) -> Result<()> {
        if *self.depth == 0 {
            let written = match ordered {
                Some(true) => true,
                _ => self.session.written_order && !sql.contains(" JOIN "),
            };
            let custom = match planning {
                Planning::Custom => {
                    self.session.generic_run = 0;
                    true
                }
                Planning::Generic if self.session.custom_plans => {
                    self.session.generic_run += 1;
                    !(sql.contains(" JOIN ") || self.session.generic_run >= 2)
                }
                Planning::Generic => false,
            };
            return self.set_session(written, custom).await;
        }
        if planning == Planning::Custom && !self.session.plans_custom() {
            // Marked first: on failure the transaction is aborted and its rollback clears it.
            self.session.local_custom_plans = true;
            const SET: &str = "SET LOCAL plan_cache_mode = force_custom_plan";
            sqlx::raw_sql(SET)
                .execute(&mut *self.conn)
                .await
                .map_err(|e| db_err(SET, e))?;
        }
        Ok(())
    }

    /// One statement's rows under the settings its planning asks for ([`PgExec::settle`]); a
    /// named statement whose result shape a table change made stale is prepared again once
    /// outside a transaction (inside one the error aborts the transaction and is reported).
    async fn fetch(
        &mut self,
        sql: &str,
        params: &[Value],
        ordered: bool,
        planning: Planning,
    ) -> Result<Vec<Row>> {
        if ordered && *self.depth > 0 {
            return self.fetch_ordered_in_tx(sql, params, planning).await;
        }
        self.settle(sql, Some(ordered), planning).await?;
        self.fetch_as_set(sql, params).await
    }

    /// [`PgExec::fetch`] under the session's settings as they are, as a named statement unless
    /// it has very many parameters ([`kept_by_name`]).
    async fn fetch_as_set(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let named = kept_by_name(params);
        let first = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)?
            .persistent(named)
            .fetch_all(&mut *self.conn)
            .await;
        let rows = match first {
            Ok(rows) => rows,
            Err(e) if named && *self.depth == 0 && is_stale_shape(&e) => {
                // The server refused to run the kept statement with its old result shape: drop
                // this connection's kept statements and prepare it again.
                self.conn
                    .clear_cached_statements()
                    .await
                    .map_err(|e| db_err(sql, e))?;
                bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)?
                    .fetch_all(&mut *self.conn)
                    .await
                    .map_err(|e| db_err(sql, e))?
            }
            Err(e) => return Err(db_err(sql, e)),
        };
        rows.iter().map(decode_row).collect()
    }

    /// A written-order statement inside the caller's transaction: `SET LOCAL
    /// join_collapse_limit = 1` (with the plan mode, when it is custom and not yet set) before it,
    /// the default put back after it — a rollback to a savepoint would undo a session-level
    /// change without telling us.
    async fn fetch_ordered_in_tx(
        &mut self,
        sql: &str,
        params: &[Value],
        planning: Planning,
    ) -> Result<Vec<Row>> {
        let set = if planning == Planning::Custom && !self.session.plans_custom() {
            self.session.local_custom_plans = true;
            "SET LOCAL join_collapse_limit = 1; SET LOCAL plan_cache_mode = force_custom_plan"
        } else {
            "SET LOCAL join_collapse_limit = 1"
        };
        sqlx::raw_sql(set)
            .execute(&mut *self.conn)
            .await
            .map_err(|e| db_err(sql, e))?;
        // On failure the caller's transaction is aborted; its rollback undoes the setting.
        let rows = self.fetch_as_set(sql, params).await?;
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
            let planning = if bound_with_long_list(params) {
                Planning::Custom
            } else {
                Planning::Generic
            };
            self.settle(sql, None, planning).await?;
            let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)?
                .persistent(kept_by_name(params));
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
        self.fetch(sql, params, false, planning(sql, params, false))
    }
    fn query_in_written_order(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.fetch(sql, params, true, planning(sql, params, false))
    }
    fn query_compiled(
        &mut self,
        sql: &str,
        params: &[Value],
        ordered: bool,
        anchored: bool,
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.fetch(sql, params, ordered, planning(sql, params, anchored))
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
            if *self.depth == 0 && self.session.written_order && sql.contains(" JOIN ") {
                self.set_session(false, self.session.custom_plans).await?;
            }
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
            // rollback: the transaction starts with the planner's own join order. (The plan
            // mode is only ever changed inside one with `SET LOCAL`, so it may stay as it is.)
            if *self.depth == 0 && self.session.written_order {
                self.set_session(false, self.session.custom_plans).await?;
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
            if *self.depth == 0 {
                self.session.local_custom_plans = false;
            }
            Ok(())
        }
    }
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send {
        async move {
            let sql = rollback_sql(*self.depth);
            self.session.recorded.on_rollback();
            *self.depth = self.depth.saturating_sub(1);
            // A rollback (to a savepoint too) may undo a `SET LOCAL` of the plan mode.
            self.session.local_custom_plans = false;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *self.conn)
                .await?;
            Ok(())
        }
    }
}
