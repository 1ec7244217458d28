//! Schema versions: the active row per graph, and compare-and-swap commits.

use crate::atomic;
use crate::dialect::Tables;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::ops::evolve::KindRef;
use crate::util::{now_iso, push_json_str};
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;

/// Creates every core table and index when missing (idempotent).
pub async fn bootstrap<E: Executor>(ex: &mut E, tables: &Tables) -> Result<()> {
    let ddl = ex.dialect().ddl(tables);
    if ex.dialect() == crate::dialect::Dialect::Postgres {
        // `CREATE INDEX IF NOT EXISTS` locks its table even when the index exists; with the
        // script in one implicit transaction that lock can deadlock against a concurrent
        // `CREATE INDEX CONCURRENTLY` (materializeIndexes). Run only what is missing.
        let stmts: Vec<&str> = ddl.split("\n\n").collect();
        let index_name = |s: &str| -> Option<String> {
            let t = s.trim_start();
            let rest = t
                .strip_prefix("CREATE INDEX IF NOT EXISTS ")
                .or_else(|| t.strip_prefix("CREATE UNIQUE INDEX IF NOT EXISTS "))?;
            let rest = rest.strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_string())
        };
        let names: Vec<String> = stmts.iter().filter_map(|s| index_name(s)).collect();
        let existing: std::collections::HashSet<String> = ex
            .query(
                // Only the schema the unqualified DDL creates into counts: a same-named index
                // elsewhere on the search path must not stop this schema's own.
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'i' AND c.relname = ANY($1) AND n.nspname = current_schema()",
                &[Value::TextList(names)],
            )
            .await?
            .into_iter()
            .filter_map(|r| r.first().and_then(Value::as_str).map(String::from))
            .collect();
        let missing: Vec<&str> = stmts
            .into_iter()
            .filter(|s| index_name(s).is_none_or(|n| !existing.contains(&n)))
            .collect();
        // Concurrent `IF NOT EXISTS` DDL from several processes also deadlocks on the catalogs:
        // the script runs as one implicit transaction, serialized by an advisory lock.
        return ex
            .batch(&format!(
                "SELECT pg_advisory_xact_lock({BOOTSTRAP_LOCK_KEY});\n\n{}",
                missing.join("\n\n")
            ))
            .await;
    }
    ex.batch(&ddl).await
}

/// Advisory-lock key serializing TypeGraph's bootstrap DDL across connections.
const BOOTSTRAP_LOCK_KEY: i64 = 0x7467_626f_6f74; // "tgboot"

/// Whether the schema-versions table exists yet.
pub async fn tables_exist<E: Executor>(ex: &mut E, tables: &Tables) -> Result<bool> {
    let name = tables.physical("schemaVersions", "typegraph_schema_versions");
    let sql = match ex.dialect() {
        crate::dialect::Dialect::Sqlite => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?".to_string(),
        crate::dialect::Dialect::Postgres => "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = ANY(current_schemas(false))".to_string(),
    };
    Ok(!ex.query(&sql, &[Value::text(name)]).await?.is_empty())
}

/// `{"version":N,"hash":"…","doc":<json>,"createdAt":"…"}` or `null`.
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
        "SELECT version, schema_hash, schema_doc, created_at FROM {} WHERE graph_id = ? AND is_active = {}",
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
    out.push_str(",\"createdAt\":");
    push_json_str(&mut out, r[3].as_str().unwrap_or_default());
    out.push('}');
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionArgs {
    pub version: i64,
}

/// One committed version, active or not: `{"version","hash","doc","createdAt","isActive"}` or
/// `null`.
pub async fn get_version<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    a: VersionArgs,
) -> Result<String> {
    if !tables_exist(ex, tables).await? {
        return Ok("null".into());
    }
    let d = ex.dialect();
    let sql = d.finish(format!(
        "SELECT version, schema_hash, schema_doc, created_at, CAST(CASE WHEN is_active = {} THEN 1 ELSE 0 END AS BIGINT) \
         FROM {} WHERE graph_id = ? AND version = ?",
        d.bool_lit(true),
        tables.schema_versions
    ));
    let rows = ex
        .query(&sql, &[Value::text(graph_id), Value::Int(a.version)])
        .await?;
    let Some(r) = rows.first() else {
        return Ok("null".into());
    };
    let mut out = format!("{{\"version\":{},\"hash\":", r[0].as_i64().unwrap_or(0));
    push_json_str(&mut out, r[1].as_str().unwrap_or_default());
    out.push_str(",\"doc\":");
    out.push_str(r[2].as_str().unwrap_or("null"));
    out.push_str(",\"createdAt\":");
    push_json_str(&mut out, r[3].as_str().unwrap_or_default());
    out.push_str(&format!(",\"isActive\":{}}}", r[4].as_i64() == Some(1)));
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
    /// Kinds that must hold no rows (in any temporal state) for the commit to land;
    /// probed under the schema lock, so no fenced write can slip in between.
    #[serde(default)]
    pub require_empty: Vec<KindRef>,
    /// Kinds this version removes: queued for `materializeRemovals` in the same transaction.
    #[serde(default)]
    pub removals: Vec<KindRef>,
}

/// Commits a new active schema version by compare-and-swap on the active one.
///
/// Order of checks (upstream's): a row already at the target version with a
/// different hash is a content conflict; the same hash already active is an
/// idempotent success; otherwise the active version must equal `expected`.
/// Returns `{"version","createdAt"}`, or `{"status":"populated","kinds":[…]}`
/// without committing when a `requireEmpty` kind holds rows.
pub async fn commit<E: Executor>(ex: &mut E, tables: &Tables, a: CommitArgs) -> Result<String> {
    let d = ex.dialect();
    let t = &tables.schema_versions;
    let now = now_iso();
    let outcome = atomic!(ex, {
        crate::ops::evolve::lock_schema(ex, tables, &a.graph_id).await?;
        let sql = d.finish(format!(
            "SELECT schema_hash, is_active, created_at FROM {t} WHERE graph_id = ? AND version = ?"
        ));
        let existing = ex
            .query(&sql, &[Value::text(&a.graph_id), Value::Int(a.version)])
            .await?
            .into_iter()
            .next();
        let actual = crate::ops::evolve::active_version(ex, tables, &a.graph_id).await?;
        let mut reactivate = false;
        if let Some(r) = existing {
            let existing_hash = r[0].as_str().unwrap_or_default().to_string();
            if existing_hash != a.hash {
                return Err(Error::new(
                    Code::SchemaContentConflict,
                    format!(
                        "Schema content conflict for graph \"{}\" at version {}: existing hash {existing_hash} differs from incoming hash {}",
                        a.graph_id, a.version, a.hash
                    ),
                    json!({ "graphId": a.graph_id, "version": a.version, "existingHash": existing_hash, "incomingHash": a.hash }),
                ));
            }
            if actual == Some(a.version) {
                let created = r[2].as_str().unwrap_or_default().to_string();
                return Ok(Some((created, true)));
            }
            reactivate = true;
        }
        if actual != a.expected {
            return Err(Error::new(
                Code::StaleVersion,
                format!(
                    "Schema version was advanced by another writer for graph \"{}\": expected active version {}, actual is {}",
                    a.graph_id,
                    a.expected.map(|v| v.to_string()).unwrap_or_else(|| "none".into()),
                    actual.map(|v| v.to_string()).unwrap_or_else(|| "none".into())
                ),
                json!({ "graphId": a.graph_id, "expected": a.expected.unwrap_or(0), "actual": actual.unwrap_or(0) }),
            ));
        }
        let mut populated = Vec::new();
        for k in &a.require_empty {
            let n = crate::ops::evolve::count_kind(ex, tables, &a.graph_id, k).await?;
            if n > 0 {
                populated.push(json!({ "entity": k.entity, "kind": k.kind, "count": n }));
            }
        }
        if !populated.is_empty() {
            return Ok(Some((
                serde_json::Value::Array(populated).to_string(),
                false,
            )));
        }
        if let Some(v) = actual {
            let sql = d.finish(format!(
                "UPDATE {t} SET is_active = {} WHERE graph_id = ? AND version = ?",
                d.bool_lit(false)
            ));
            ex.execute(&sql, &[Value::text(&a.graph_id), Value::Int(v)])
                .await?;
        }
        if reactivate {
            let sql = d.finish(format!(
                "UPDATE {t} SET is_active = {} WHERE graph_id = ? AND version = ?",
                d.bool_lit(true)
            ));
            ex.execute(&sql, &[Value::text(&a.graph_id), Value::Int(a.version)])
                .await?;
        } else {
            let sql = d.finish(format!(
                "INSERT INTO {t} (graph_id, version, schema_hash, schema_doc, created_at, is_active) VALUES (?, ?, ?, ?, ?, {})",
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
        }
        crate::ops::evolve::queue_removals(ex, tables, &a.graph_id, a.version, &a.removals).await?;
        Ok(None)
    })?;
    match outcome {
        Some((kinds, false)) => Ok(format!("{{\"status\":\"populated\",\"kinds\":{kinds}}}")),
        Some((created, true)) => {
            let mut out = format!(
                "{{\"version\":{},\"idempotent\":true,\"createdAt\":",
                a.version
            );
            push_json_str(&mut out, &created);
            out.push('}');
            Ok(out)
        }
        None => {
            let mut out = format!("{{\"version\":{},\"createdAt\":", a.version);
            push_json_str(&mut out, &now);
            out.push('}');
            Ok(out)
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetActiveArgs {
    pub graph_id: String,
    /// The active version the caller saw.
    pub expected: i64,
    /// A committed version to make active.
    pub version: i64,
}

/// Makes an earlier (or later) committed version the active one, by compare-and-swap on the
/// active version (`StaleVersionError`); `MigrationError` (`version-not-found`) when no row
/// has that version.
pub async fn set_active<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    a: SetActiveArgs,
) -> Result<String> {
    let d = ex.dialect();
    let t = &tables.schema_versions;
    atomic!(ex, {
        // Same lock as a commit: fenced writers and schema commits serialize against the flip.
        crate::ops::evolve::lock_schema(ex, tables, &a.graph_id).await?;
        let sql = d.finish(format!(
            "SELECT version FROM {t} WHERE graph_id = ? AND is_active = {}",
            d.bool_lit(true)
        ));
        let actual = ex
            .query(&sql, &[Value::text(&a.graph_id)])
            .await?
            .first()
            .and_then(|r| r[0].as_i64());
        // Expected 0: no version is active yet.
        if actual.unwrap_or(0) != a.expected {
            return Err(Error::new(
                Code::StaleVersion,
                format!(
                    "Schema version was advanced by another writer for graph \"{}\": expected active version {}, actual is {}",
                    a.graph_id,
                    a.expected,
                    actual.map(|v| v.to_string()).unwrap_or_else(|| "none".into())
                ),
                json!({ "graphId": a.graph_id, "expected": a.expected, "actual": actual }),
            ));
        }
        let sql = d.finish(format!(
            "SELECT 1 FROM {t} WHERE graph_id = ? AND version = ?"
        ));
        if ex
            .query(&sql, &[Value::text(&a.graph_id), Value::Int(a.version)])
            .await?
            .is_empty()
        {
            return Err(Error::new(
                Code::Migration,
                format!(
                    "Cannot activate schema version {} of graph \"{}\": no such version was committed",
                    a.version, a.graph_id
                ),
                json!({ "graphId": a.graph_id, "fromVersion": a.expected, "toVersion": a.version, "reason": "version-not-found" }),
            ));
        }
        let sql = d.finish(format!(
            "UPDATE {t} SET is_active = {} WHERE graph_id = ? AND version = ?",
            d.bool_lit(false)
        ));
        ex.execute(&sql, &[Value::text(&a.graph_id), Value::Int(a.expected)])
            .await?;
        let sql = d.finish(format!(
            "UPDATE {t} SET is_active = {} WHERE graph_id = ? AND version = ?",
            d.bool_lit(true)
        ));
        ex.execute(&sql, &[Value::text(&a.graph_id), Value::Int(a.version)])
            .await?;
        Ok(())
    })?;
    Ok(format!("{{\"version\":{}}}", a.version))
}
