//! The single writes' statements on SQLite (`create`, `edges.create`, `update` and the read
//! `update` merges over) run from the connection's kept statements (`exec/kept.rs`): no SQL text
//! hashed and copied into rusqlite's cache per call. Each statement has a key of its own (an
//! offset from the graph's table names, as the point read's); the kept statement still serves a
//! run only when its text is the text asked for.

use crate::error::Result;
use crate::exec::kept::SqlRow;
use crate::exec::sqlite::SqliteConn;
use crate::value::{Row, Value};
use crate::Tables;
use rusqlite::types::ValueRef;

/// Which kept statement: the offset added to the table names' address.
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    /// The node point read (shared with `getById`, `nodes::get`).
    NodeRead = 1,
    NodeInsert = 16,
    NodeUpdate = 17,
    EdgeInsert = 18,
}

pub(crate) fn key(tables: &Tables, slot: Slot) -> usize {
    (tables as *const Tables as usize).wrapping_add(slot as usize)
}

/// Runs a statement without rows (an INSERT or UPDATE) from the kept slot; answers rows changed.
pub(crate) fn execute(
    db: &mut SqliteConn,
    tables: &Tables,
    slot: Slot,
    sql: &str,
    params: &[Value],
) -> Result<u64> {
    db.for_each_row_kept(key(tables, slot), sql, params, |_, _| Ok(()))?;
    Ok(db.conn.changes())
}

/// Reads one node row (NODE_COLS) from the kept point read.
pub(crate) fn read_node(
    db: &mut SqliteConn,
    tables: &Tables,
    sql: &str,
    params: &[Value],
) -> Result<Option<Row>> {
    let mut out = None;
    db.for_each_row_kept(key(tables, Slot::NodeRead), sql, params, |n, r| {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            row.push(owned(r.value(i)?));
        }
        out = Some(row);
        Ok(())
    })?;
    Ok(out)
}

/// A borrowed column as the value `Executor::query` gives for it.
fn owned(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(match std::str::from_utf8(t) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(t).into_owned(),
        }),
    }
}
