//! Deferred index builds for large loads into empty tables: secondary indexes
//! (system and user-declared) are dropped inside the load's transaction and
//! rebuilt from their own definitions before it commits. Primary keys stay, so
//! every validation and check of the normal write path still runs.

use super::Ctx;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::exec::Executor;
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Restore {
    pub indexes: Vec<(String, String)>,
}

/// Drops the secondary indexes of the node and edge tables when both tables are empty
/// (a fresh database); returns `[[name, createSql], …]` to rebuild them, `[]` otherwise.
pub async fn defer<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<String> {
    let t = ctx.tables;
    let any = ex
        .query(
            &format!(
                "SELECT 1 FROM {} UNION ALL SELECT 1 FROM {} LIMIT 1",
                t.nodes, t.edges
            ),
            &[],
        )
        .await?;
    if !any.is_empty() {
        return Ok("[]".into());
    }
    if ex.dialect() == Dialect::Postgres {
        // Tables that start empty have no statistics: a generic plan cached after a few batches
        // (endpoint and id checks over unnest lists) assumes tiny tables and degrades ~20× as
        // they fill. Plan each execution with its real sizes until this transaction ends.
        ex.batch("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
    }
    let names = [
        t.physical("nodes", "typegraph_nodes"),
        t.physical("edges", "typegraph_edges"),
    ];
    let rows = match ex.dialect() {
        Dialect::Sqlite => {
            ex.query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?, ?) ORDER BY name",
                &[Value::text(&names[0]), Value::text(&names[1])],
            )
            .await?
        }
        Dialect::Postgres => {
            ex.query(
                // Only the tables these names resolve to (the first match on the search path):
                // a same-named table in a later schema is someone else's.
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname), pg_get_indexdef(x.indexrelid) FROM pg_index x \
                 JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace \
                 WHERE x.indrelid IN (to_regclass(quote_ident($1)), to_regclass(quote_ident($2))) \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY 1",
                &[Value::text(&names[0]), Value::text(&names[1])],
            )
            .await?
        }
    };
    let mut out = Vec::new();
    for r in rows {
        let (Some(name), Some(sql)) = (r[0].as_str(), r[1].as_str()) else {
            continue;
        };
        // PostgreSQL names arrive schema-qualified and quoted; SQLite names are bare.
        let target = match ex.dialect() {
            Dialect::Sqlite => crate::dialect::quote_ident(name),
            Dialect::Postgres => name.to_string(),
        };
        ex.batch(&format!("DROP INDEX {target}")).await?;
        out.push(json!([name, sql]));
    }
    Ok(serde_json::Value::Array(out).to_string())
}

/// Rebuilds indexes dropped by [`defer`].
pub async fn restore<E: Executor>(ex: &mut E, a: Restore) -> Result<String> {
    for (_, sql) in &a.indexes {
        ex.batch(sql).await?;
    }
    Ok("null".into())
}

/// `store.refreshStatistics()`: planner statistics for the node and edge tables
/// (SQLite `ANALYZE` with a bounded sample, PostgreSQL `ANALYZE`).
pub async fn refresh_statistics<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<String> {
    let t = ctx.tables;
    let sql = match ex.dialect() {
        Dialect::Sqlite => format!(
            "PRAGMA analysis_limit = 1000; ANALYZE {}; ANALYZE {};",
            t.nodes, t.edges
        ),
        Dialect::Postgres => format!("ANALYZE {}, {}", t.nodes, t.edges),
    };
    ex.batch(&sql).await?;
    Ok("null".into())
}
