//! Schema versions: the active row per graph, and compare-and-swap commits.

use crate::atomic;
use crate::dialect::Tables;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::util::{now_iso, push_json_str};
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;

/// Creates every core table and index when missing (idempotent).
pub async fn bootstrap<E: Executor>(ex: &mut E, tables: &Tables) -> Result<()> {
    let ddl = ex.dialect().ddl(tables);
    if ex.dialect() == crate::dialect::Dialect::Sqlite {
        return ex.batch(&ddl).await;
    }
    // PostgreSQL: one statement per round trip. As one script the whole DDL is one implicit
    // transaction holding a SHARE lock on every table it has passed (`CREATE INDEX IF NOT
    // EXISTS` takes one even when the index exists), so a store booting while another
    // transaction writes two of those tables could deadlock with it.
    for stmt in ddl.split(";\n\n") {
        let stmt = stmt.trim();
        if !stmt.is_empty() {
            ex.batch(stmt).await?;
        }
    }
    Ok(())
}

/// Whether the schema-versions table exists yet.
pub async fn tables_exist<E: Executor>(ex: &mut E, tables: &Tables) -> Result<bool> {
    let name = tables.physical("schemaVersions", "typegraph_schema_versions");
    let sql = match ex.dialect() {
        crate::dialect::Dialect::Sqlite => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?".to_string(),
        crate::dialect::Dialect::Postgres => "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = ANY(current_schemas(false))".to_string(),
    };
    Ok(!ex.query(&sql, &[Value::text(name)]).await?.is_empty())
}

/// `{"version":N,"hash":"…","doc":<json>}` or `null`.
pub async fn get_active<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
) -> Result<String> {
    if !tables_exist(ex, tables).await? {
        return Ok("null".into());
    }
    let d = ex.dialect();
    let sql = d.finish(format!(
        "SELECT version, schema_hash, schema_doc FROM {} WHERE graph_id = ? AND is_active = {}",
        tables.schema_versions,
        d.bool_lit(true)
    ));
    let rows = ex.query(&sql, &[Value::text(graph_id)]).await?;
    let Some(r) = rows.first() else {
        return Ok("null".into());
    };
    let mut out = format!("{{\"version\":{},\"hash\":", r[0].as_i64().unwrap_or(0));
    push_json_str(&mut out, r[1].as_str().unwrap_or_default());
    out.push_str(",\"doc\":");
    out.push_str(r[2].as_str().unwrap_or("null"));
    out.push('}');
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitArgs {
    pub graph_id: String,
    /// The active version the caller built on (`None` = no version yet).
    pub expected: Option<i64>,
    pub version: i64,
    pub hash: String,
    /// Serialized schema document (stored verbatim).
    pub doc: String,
}

/// Commits a new active schema version by compare-and-swap on the active one.
pub async fn commit<E: Executor>(ex: &mut E, tables: &Tables, a: CommitArgs) -> Result<String> {
    let d = ex.dialect();
    let t = &tables.schema_versions;
    let now = now_iso();
    atomic!(ex, {
        let sql = d.finish(format!(
            "SELECT version FROM {t} WHERE graph_id = ? AND is_active = {}",
            d.bool_lit(true)
        ));
        let actual = ex
            .query(&sql, &[Value::text(&a.graph_id)])
            .await?
            .first()
            .and_then(|r| r[0].as_i64());
        if actual != a.expected {
            return Err(Error::new(
                Code::StaleVersion,
                format!(
                    "Schema version was advanced by another writer for graph \"{}\": expected active version {}, actual is {}",
                    a.graph_id,
                    a.expected.map(|v| v.to_string()).unwrap_or_else(|| "none".into()),
                    actual.map(|v| v.to_string()).unwrap_or_else(|| "none".into())
                ),
                json!({ "graphId": a.graph_id, "expected": a.expected, "actual": actual }),
            ));
        }
        let sql = d.finish(format!(
            "SELECT schema_hash FROM {t} WHERE graph_id = ? AND version = ?"
        ));
        if let Some(r) = ex
            .query(&sql, &[Value::text(&a.graph_id), Value::Int(a.version)])
            .await?
            .first()
        {
            let existing = r[0].as_str().unwrap_or_default().to_string();
            if existing != a.hash {
                return Err(Error::new(
                    Code::SchemaContentConflict,
                    format!(
                        "Schema content conflict for graph \"{}\" at version {}: existing hash {existing} differs from incoming hash {}",
                        a.graph_id, a.version, a.hash
                    ),
                    json!({ "graphId": a.graph_id, "version": a.version, "existingHash": existing, "incomingHash": a.hash }),
                ));
            }
        }
        if let Some(v) = actual {
            let sql = d.finish(format!(
                "UPDATE {t} SET is_active = {} WHERE graph_id = ? AND version = ?",
                d.bool_lit(false)
            ));
            ex.execute(&sql, &[Value::text(&a.graph_id), Value::Int(v)])
                .await?;
        }
        let sql = d.finish(format!(
            "INSERT INTO {t} (graph_id, version, schema_hash, schema_doc, created_at, is_active) VALUES (?, ?, ?, ?, ?, {}) \
             ON CONFLICT (graph_id, version) DO UPDATE SET is_active = {}",
            d.bool_lit(true),
            d.bool_lit(true)
        ));
        ex.execute(
            &sql,
            &[
                Value::text(&a.graph_id),
                Value::Int(a.version),
                Value::text(&a.hash),
                Value::Json(Some(a.doc.clone())),
                Value::Ts(Some(now.clone())),
            ],
        )
        .await?;
        Ok(())
    })?;
    let mut out = format!("{{\"version\":{},\"createdAt\":", a.version);
    push_json_str(&mut out, &now);
    out.push('}');
    Ok(out)
}
