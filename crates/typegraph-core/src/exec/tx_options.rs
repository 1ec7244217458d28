//! Options of a top-level transaction: `store.transaction(fn, { isolationLevel, accessMode })`.
//!
//! PostgreSQL opens the transaction with them (`BEGIN ISOLATION LEVEL … READ ONLY`). SQLite's
//! transactions are serializable whatever is asked, so the isolation level changes nothing
//! there; a read-only one begins deferred (no write lock is taken) with `PRAGMA query_only` on
//! until it ends, so a write inside it fails like on PostgreSQL.

use crate::error::{Code, Error, Result};
use serde_json::json;

/// SQL isolation levels, as `store.transaction` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxOptions {
    /// `None`: the database's default level.
    pub isolation: Option<Isolation>,
    /// `Some(true)` read only, `Some(false)` read write, `None` the database's default.
    pub read_only: Option<bool>,
}

impl TxOptions {
    /// Reads the option values `store.transaction` takes; anything else is a configuration error.
    pub fn parse(isolation: Option<&str>, access_mode: Option<&str>) -> Result<TxOptions> {
        let isolation = match isolation {
            None => None,
            Some("read_uncommitted") => Some(Isolation::ReadUncommitted),
            Some("read_committed") => Some(Isolation::ReadCommitted),
            Some("repeatable_read") => Some(Isolation::RepeatableRead),
            Some("serializable") => Some(Isolation::Serializable),
            Some(other) => {
                return Err(Error::new(
                    Code::Configuration,
                    format!("Unknown transaction isolationLevel {other:?}: use read_uncommitted, read_committed, repeatable_read or serializable"),
                    json!({ "isolationLevel": other }),
                ))
            }
        };
        let read_only = match access_mode {
            None => None,
            Some("read_only") => Some(true),
            Some("read_write") => Some(false),
            Some(other) => {
                return Err(Error::new(
                    Code::Configuration,
                    format!(
                        "Unknown transaction accessMode {other:?}: use read_only or read_write"
                    ),
                    json!({ "accessMode": other }),
                ))
            }
        };
        Ok(TxOptions {
            isolation,
            read_only,
        })
    }

    /// PostgreSQL's statement opening a transaction with these options (fixed text only).
    pub fn pg_begin(&self) -> String {
        let mut sql = String::from("BEGIN");
        if let Some(level) = self.isolation {
            sql.push_str(match level {
                Isolation::ReadUncommitted => " ISOLATION LEVEL READ UNCOMMITTED",
                Isolation::ReadCommitted => " ISOLATION LEVEL READ COMMITTED",
                Isolation::RepeatableRead => " ISOLATION LEVEL REPEATABLE READ",
                Isolation::Serializable => " ISOLATION LEVEL SERIALIZABLE",
            });
        }
        match self.read_only {
            Some(true) => sql.push_str(" READ ONLY"),
            Some(false) => sql.push_str(" READ WRITE"),
            None => {}
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let o = TxOptions::parse(Some("repeatable_read"), Some("read_only")).unwrap();
        assert_eq!(
            o.pg_begin(),
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        );
        assert_eq!(TxOptions::parse(None, None).unwrap().pg_begin(), "BEGIN");
        assert_eq!(
            TxOptions::parse(Some("serializable"), Some("read_write"))
                .unwrap()
                .pg_begin(),
            "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE"
        );
        assert!(TxOptions::parse(Some("snapshot"), None).is_err());
        assert!(TxOptions::parse(None, Some("READ ONLY")).is_err());
    }

    #[test]
    fn sqlite_read_only_transaction_refuses_writes_until_it_ends() {
        use crate::exec::sqlite::{SqliteConn, SqliteExec};
        use crate::exec::{run_ready, Executor};
        let mut db = SqliteConn::open(":memory:").unwrap();
        db.conn.execute_batch("CREATE TABLE t (v INTEGER)").unwrap();
        let read_only = TxOptions::parse(None, Some("read_only")).unwrap();
        for end_with_commit in [true, false] {
            db.begin_with(&read_only).unwrap();
            assert!(db.in_transaction());
            assert!(db.begin_with(&read_only).is_err(), "no nesting");
            assert!(db.conn.execute("INSERT INTO t VALUES (1)", []).is_err());
            let mut ex = SqliteExec { db: &mut db };
            if end_with_commit {
                run_ready(ex.commit()).unwrap();
            } else {
                run_ready(ex.rollback()).unwrap();
            }
            assert!(!db.in_transaction());
            db.conn.execute("INSERT INTO t VALUES (2)", []).unwrap();
        }
        // A read-write one takes the write lock at once and writes.
        db.begin_with(&TxOptions::parse(Some("serializable"), Some("read_write")).unwrap())
            .unwrap();
        db.conn.execute("INSERT INTO t VALUES (3)", []).unwrap();
        run_ready(SqliteExec { db: &mut db }.commit()).unwrap();
        let n: i64 = db
            .conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
    }
}
