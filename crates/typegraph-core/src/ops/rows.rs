//! Row → JSON text for the binding. Props JSON is spliced in as stored, never re-parsed.

use crate::error::Result;
use crate::exec::col_str;
use crate::util::push_json_str;
use crate::value::{Row, Value};

pub(crate) fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::Null | Value::Ts(None) | Value::Json(None) => out.push_str("null"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Real(f) => out.push_str(&f.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Text(s) | Value::Ts(Some(s)) => push_json_str(out, s),
        Value::Json(Some(s)) => out.push_str(s),
        Value::TextList(l) => out.push_str(&serde_json::to_string(l).unwrap_or_default()),
        Value::NullableTextList(l) => out.push_str(&serde_json::to_string(l).unwrap_or_default()),
    }
}

/// Writes a row as a JSON array; `json_col` is the index of the props column (raw JSON).
pub fn push_row(out: &mut String, row: &Row, json_col: usize) -> Result<()> {
    out.push('[');
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if i == json_col && !v.is_null() {
            out.push_str(col_str(row, i)?);
        } else {
            push_value(out, v);
        }
    }
    out.push(']');
    Ok(())
}

/// Writes a SQLite row read borrowed from its statement as a JSON array (the text [`push_row`]
/// gives for the same row); `json_col` is the props column, spliced as stored.
pub fn push_sqlite_row<R: crate::exec::kept::SqlRow + ?Sized>(
    out: &mut String,
    n: usize,
    row: &R,
    json_col: usize,
) -> Result<()> {
    use rusqlite::types::ValueRef;
    use std::fmt::Write;
    out.push('[');
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        match row.value(i)? {
            ValueRef::Null => out.push_str("null"),
            ValueRef::Integer(v) => {
                let _ = write!(out, "{v}");
            }
            ValueRef::Real(f) => {
                let _ = write!(out, "{f}");
            }
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                // Valid UTF-8 (always, for text SQLite stored from us) takes the std validator's
                // word-at-a-time path; only invalid bytes pay for the lossy scan.
                let s = match std::str::from_utf8(t) {
                    Ok(s) => std::borrow::Cow::Borrowed(s),
                    Err(_) => String::from_utf8_lossy(t),
                };
                if i == json_col {
                    out.push_str(&s);
                } else {
                    push_json_str(out, &s);
                }
            }
        }
    }
    out.push(']');
    Ok(())
}

/// An optional text column of a borrowed SQLite row.
pub fn sqlite_opt_str<R: crate::exec::kept::SqlRow + ?Sized>(
    row: &R,
    i: usize,
) -> Result<Option<&str>> {
    use rusqlite::types::ValueRef;
    Ok(match row.value(i)? {
        ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        _ => None,
    })
}

/// Node rows carry props at index 2, edge rows at index 6.
pub const NODE_PROPS: usize = 2;
pub const EDGE_PROPS: usize = 6;

pub fn rows_json(rows: &[Row], json_col: usize) -> Result<String> {
    let mut out = String::with_capacity(rows.len() * 160 + 2);
    out.push('[');
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_row(&mut out, r, json_col)?;
    }
    out.push(']');
    Ok(out)
}

pub fn row_json(row: Option<&Row>, json_col: usize) -> Result<String> {
    match row {
        None => Ok("null".into()),
        Some(r) => {
            let mut out = String::with_capacity(192);
            push_row(&mut out, r, json_col)?;
            Ok(out)
        }
    }
}

/// Optional text column.
pub fn opt_str(row: &Row, i: usize) -> Option<&str> {
    row.get(i).and_then(|v| v.as_str())
}

/// Parameters given as a JSON array (raw SQL helpers): strings, numbers, booleans, null.
pub fn params_from_json(json: Option<&str>) -> Result<Vec<Value>> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let items: Vec<serde_json::Value> = serde_json::from_str(json)?;
    Ok(items
        .into_iter()
        .map(|v| match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0))),
            serde_json::Value::String(s) => Value::Text(s),
            other => Value::Json(Some(other.to_string())),
        })
        .collect())
}
