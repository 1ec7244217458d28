//! Statements the hottest SQLite reads keep by a caller's key (a compiled plan's SQL, the point
//! read of a node or edge): each run finds its `sqlite3_stmt` by comparing a word and the
//! statement's own text, instead of rusqlite's statement cache, which hashes the SQL text twice
//! and copies it into a fresh key on every use.
//!
//! A key only locates a slot: the slot's statement serves a run only when its SQL text equals
//! the text asked for, so a reused key (a plan dropped, its memory reused by another) prepares
//! afresh instead of running the wrong statement.

use super::sqlite::{db_err, Bind, SqliteConn};
use crate::error::Result;
use crate::value::Value;
use rusqlite::ffi;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;
use std::os::raw::{c_char, c_int};

/// How many statements a connection keeps (the oldest is finalized beyond this).
const KEPT_CAP: usize = 32;

/// The kept statements of one connection. Declared before the connection in [`SqliteConn`], so
/// they are finalized before it closes.
#[derive(Default)]
pub struct KeptStatements {
    /// Key, statement, and the length of its SQL text (compared before the text itself).
    slots: Vec<(usize, *mut ffi::sqlite3_stmt, usize)>,
}

// The statements belong to their connection, which moves between threads only as a whole and is
// never used by two threads at once (rusqlite's `Connection` is `Send` on the same terms).
unsafe impl Send for KeptStatements {}

impl Drop for KeptStatements {
    fn drop(&mut self) {
        for (_, stmt, _) in self.slots.drain(..) {
            unsafe { ffi::sqlite3_finalize(stmt) };
        }
    }
}

/// One row of a kept statement, read borrowed (valid until the statement steps again).
pub struct KeptRow {
    stmt: *mut ffi::sqlite3_stmt,
}

impl KeptRow {
    pub fn get_ref(&self, i: usize) -> rusqlite::Result<ValueRef<'_>> {
        let i = i as c_int;
        unsafe {
            Ok(match ffi::sqlite3_column_type(self.stmt, i) {
                ffi::SQLITE_NULL => ValueRef::Null,
                ffi::SQLITE_INTEGER => ValueRef::Integer(ffi::sqlite3_column_int64(self.stmt, i)),
                ffi::SQLITE_FLOAT => ValueRef::Real(ffi::sqlite3_column_double(self.stmt, i)),
                ffi::SQLITE_TEXT => {
                    let p = ffi::sqlite3_column_text(self.stmt, i);
                    let n = ffi::sqlite3_column_bytes(self.stmt, i);
                    ValueRef::Text(bytes(p, n))
                }
                _ => {
                    let p = ffi::sqlite3_column_blob(self.stmt, i) as *const u8;
                    let n = ffi::sqlite3_column_bytes(self.stmt, i);
                    ValueRef::Blob(bytes(p, n))
                }
            })
        }
    }
}

unsafe fn bytes<'a>(p: *const u8, n: c_int) -> &'a [u8] {
    if p.is_null() || n <= 0 {
        &[]
    } else {
        std::slice::from_raw_parts(p, n as usize)
    }
}

/// A row read borrowed from a statement: rusqlite's rows and [`KeptRow`]s.
pub trait SqlRow {
    fn value(&self, i: usize) -> rusqlite::Result<ValueRef<'_>>;
}

impl SqlRow for rusqlite::Row<'_> {
    fn value(&self, i: usize) -> rusqlite::Result<ValueRef<'_>> {
        self.get_ref(i)
    }
}

impl SqlRow for KeptRow {
    fn value(&self, i: usize) -> rusqlite::Result<ValueRef<'_>> {
        self.get_ref(i)
    }
}

/// Resets the statement (ending its read) and drops its bindings however the run ends.
struct Running(*mut ffi::sqlite3_stmt);

impl Drop for Running {
    fn drop(&mut self) {
        unsafe {
            ffi::sqlite3_reset(self.0);
            ffi::sqlite3_clear_bindings(self.0);
        }
    }
}

impl SqliteConn {
    /// Runs `sql` from the statement kept under `key` (prepared on first use) and hands each row
    /// to `f` (column count, row), as [`SqliteConn::for_each_row`] does from rusqlite's cache.
    pub fn for_each_row_kept<P: std::borrow::Borrow<Value>>(
        &mut self,
        key: usize,
        sql: &str,
        params: &[P],
        f: impl FnMut(usize, &KeptRow) -> Result<()>,
    ) -> Result<()> {
        self.run_kept(
            key,
            sql,
            params.len(),
            |stmt, i| bind(stmt, i as c_int + 1, params[i].borrow()),
            f,
        )
    }

    /// [`SqliteConn::for_each_row_kept`] with text parameters bound as they are (no owned
    /// values built for a point read's graph id, kind and id).
    pub fn for_each_row_kept_texts(
        &mut self,
        key: usize,
        sql: &str,
        params: &[&str],
        f: impl FnMut(usize, &KeptRow) -> Result<()>,
    ) -> Result<()> {
        self.run_kept(
            key,
            sql,
            params.len(),
            |stmt, i| unsafe {
                let t = params[i];
                ffi::sqlite3_bind_text(
                    stmt,
                    i as c_int + 1,
                    t.as_ptr() as *const c_char,
                    t.len() as c_int,
                    ffi::SQLITE_TRANSIENT(),
                )
            },
            f,
        )
    }

    fn run_kept(
        &mut self,
        key: usize,
        sql: &str,
        count: usize,
        bind_at: impl Fn(*mut ffi::sqlite3_stmt, usize) -> c_int,
        mut f: impl FnMut(usize, &KeptRow) -> Result<()>,
    ) -> Result<()> {
        let stmt = self.kept_statement(key, sql)?;
        let running = Running(stmt);
        let db = unsafe { self.conn.handle() };
        let expected = unsafe { ffi::sqlite3_bind_parameter_count(stmt) } as usize;
        if expected != count {
            return Err(db_err(
                sql,
                rusqlite::Error::InvalidParameterCount(count, expected),
            ));
        }
        for i in 0..count {
            let rc = bind_at(stmt, i);
            if rc != ffi::SQLITE_OK {
                return Err(db_err(sql, failure(db, rc)));
            }
        }
        let n = unsafe { ffi::sqlite3_column_count(stmt) } as usize;
        let row = KeptRow { stmt };
        loop {
            match unsafe { ffi::sqlite3_step(stmt) } {
                ffi::SQLITE_ROW => f(n, &row)?,
                ffi::SQLITE_DONE => break,
                rc => return Err(db_err(sql, failure(db, rc))),
            }
        }
        drop(running);
        Ok(())
    }

    fn kept_statement(&mut self, key: usize, sql: &str) -> Result<*mut ffi::sqlite3_stmt> {
        let slots = &mut self.kept.slots;
        if let Some(at) = slots.iter().position(|(k, _, _)| *k == key) {
            let (_, stmt, len) = slots[at];
            // The length first, then the text (no strlen: SQLite keeps the text as prepared).
            if len == sql.len()
                && unsafe { std::slice::from_raw_parts(ffi::sqlite3_sql(stmt) as *const u8, len) }
                    == sql.as_bytes()
            {
                return Ok(stmt);
            }
            slots.remove(at);
            unsafe { ffi::sqlite3_finalize(stmt) };
        }
        let db = unsafe { self.conn.handle() };
        let mut stmt = std::ptr::null_mut();
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr() as *const c_char,
                sql.len() as c_int,
                ffi::SQLITE_PREPARE_PERSISTENT as _,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            let e = failure(db, rc);
            unsafe { ffi::sqlite3_finalize(stmt) };
            return Err(db_err(sql, e));
        }
        if stmt.is_null() {
            return Err(db_err(sql, rusqlite::Error::InvalidQuery));
        }
        let slots = &mut self.kept.slots;
        if slots.len() >= KEPT_CAP {
            let (_, old, _) = slots.remove(0);
            unsafe { ffi::sqlite3_finalize(old) };
        }
        // The text SQLite kept (a tail after the first statement is not part of it).
        let kept_len = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_sql(stmt)) }
            .to_bytes()
            .len();
        slots.push((key, stmt, kept_len));
        Ok(stmt)
    }
}

/// The error SQLite reports for `rc` on `db`, as rusqlite words it.
fn failure(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    let msg = unsafe {
        let p = ffi::sqlite3_errmsg(db);
        (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), msg)
}

fn bind(stmt: *mut ffi::sqlite3_stmt, i: c_int, v: &Value) -> c_int {
    let bound = Bind(v);
    let out = match bound.to_sql() {
        Ok(out) => out,
        Err(_) => return ffi::SQLITE_MISUSE,
    };
    let value = match &out {
        ToSqlOutput::Borrowed(v) => *v,
        ToSqlOutput::Owned(v) => ValueRef::from(v),
        _ => return ffi::SQLITE_MISUSE,
    };
    unsafe {
        match value {
            ValueRef::Null => ffi::sqlite3_bind_null(stmt, i),
            ValueRef::Integer(n) => ffi::sqlite3_bind_int64(stmt, i, n),
            ValueRef::Real(f) => ffi::sqlite3_bind_double(stmt, i, f),
            // Copied by SQLite (`SQLITE_TRANSIENT`): the bound text may be a temporary.
            ValueRef::Text(t) => ffi::sqlite3_bind_text(
                stmt,
                i,
                t.as_ptr() as *const c_char,
                t.len() as c_int,
                ffi::SQLITE_TRANSIENT(),
            ),
            ValueRef::Blob(b) => ffi::sqlite3_bind_blob(
                stmt,
                i,
                b.as_ptr() as *const _,
                b.len() as c_int,
                ffi::SQLITE_TRANSIENT(),
            ),
        }
    }
}
