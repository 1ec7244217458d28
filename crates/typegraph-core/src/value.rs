//! Values bound to and read from statements, dialect-neutral.

/// A statement parameter or a column value.
///
/// Typed NULLs matter on PostgreSQL: a bare text NULL can't go into a
/// `timestamptz` or `jsonb` column, so timestamps and JSON carry their type
/// even when absent.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    /// A canonical ISO-8601 UTC instant (`TEXT` on SQLite, `TIMESTAMPTZ` on PostgreSQL).
    Ts(Option<String>),
    /// JSON text (`TEXT` on SQLite, `JSONB` on PostgreSQL).
    Json(Option<String>),
    /// A list of strings bound as ONE parameter (JSON array on SQLite, `text[]` on PostgreSQL).
    TextList(Vec<String>),
    /// Like `TextList`, with NULL elements (bulk UNNEST columns of nullable instants).
    NullableTextList(Vec<Option<String>>),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }
    pub fn opt_text(s: Option<&str>) -> Value {
        s.map(|s| Value::Text(s.to_string())).unwrap_or(Value::Null)
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            Value::Ts(Some(s)) | Value::Json(Some(s)) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Real(f) => Some(*f as i64),
            Value::Bool(b) => Some(*b as i64),
            Value::Text(s) => s.parse().ok(),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::Ts(None) | Value::Json(None))
    }
}

pub type Row = Vec<Value>;
