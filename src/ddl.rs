//! DDL text for `generateSqliteDDL`/`generatePostgresDDL` and their migration forms.

use napi_derive::napi;
use std::collections::BTreeMap;
use typegraph_core::{Dialect, Tables};

fn tables(names: Option<String>) -> napi::Result<Tables> {
    let overrides: BTreeMap<String, String> = match names {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| napi::Error::from_reason(e.to_string()))?
        }
        None => BTreeMap::new(),
    };
    Ok(Tables::with_overrides(overrides))
}

/// The full schema script for a dialect (`"sqlite"` or `"postgres"`), statements separated by blank lines.
#[napi(js_name = "generateDdl")]
pub fn generate_ddl(dialect: String, table_names_json: Option<String>) -> napi::Result<String> {
    let d = match dialect.as_str() {
        "sqlite" => Dialect::Sqlite,
        "postgres" => Dialect::Postgres,
        other => return Err(napi::Error::from_reason(format!("unknown dialect {other}"))),
    };
    Ok(d.ddl(&tables(table_names_json)?))
}

/// Contribution descriptions for the backend's `fulltextStrategy` / `vectorStrategy` members
/// (no connection): `request` is `{"fulltext": table}` or `{"vector": slot}`.
#[napi(js_name = "contributionTables")]
pub fn contribution_tables(dialect: String, request: String) -> napi::Result<String> {
    let d = match dialect.as_str() {
        "sqlite" => Dialect::Sqlite,
        "postgres" => Dialect::Postgres,
        other => return Err(napi::Error::from_reason(format!("unknown dialect {other}"))),
    };
    typegraph_core::ops::contributions::describe(d, &request)
        .map_err(|e| napi::Error::from_reason(e.to_string()))
}
