//! Runtime schema evolution: the write fence that pins a managed store's writes
//! to the schema version it was built against, and the data side of kind
//! removal (the pending-removal queue and its cleanup).
//!
//! The fence: every write transaction of a store registered with a
//! `schemaVersion` first reads the graph's active schema row — `FOR SHARE` on
//! PostgreSQL, where a schema commit locks the same row `FOR UPDATE`; on SQLite
//! the `BEGIN IMMEDIATE` writer slot already serializes the two — and refuses
//! with `StaleVersionError` when the active version moved on. A write in flight
//! therefore either commits before the schema commit (which waits for it) or is
//! refused after it; no write lands under a schema it was not validated for.

use crate::dialect::{Dialect, Tables};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::util::{now_iso, push_json_str};
use crate::value::{Row, Value};
use serde::Deserialize;
use serde_json::json;
use std::future::Future;

/// SQL that yields one row when `graph_id`'s active schema is at the given
/// version, locking that row for share on PostgreSQL. Parameters: graph id, version.
pub fn fence_subquery(d: Dialect, tables: &Tables) -> String {
    format!(
        "SELECT 1 FROM {} WHERE graph_id = ? AND is_active = {} AND version = ?{}",
        tables.schema_versions,
        d.bool_lit(true),
        if d == Dialect::Postgres {
            " FOR SHARE"
        } else {
            ""
        }
    )
}

/// The active version of a graph, read without locks.
pub async fn active_version<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
) -> Result<Option<i64>> {
    let d = ex.dialect();
    let sql = d.finish(format!(
        "SELECT version FROM {} WHERE graph_id = ? AND is_active = {}",
        tables.schema_versions,
        d.bool_lit(true)
    ));
    Ok(ex
        .query(&sql, &[Value::text(graph_id)])
        .await?
        .first()
        .and_then(|r| r[0].as_i64()))
}

pub fn stale(graph_id: &str, expected: Option<i64>, actual: Option<i64>) -> Error {
    let show = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
    Error::new(
        Code::StaleVersion,
        format!(
            "Schema version was advanced by another writer for graph \"{graph_id}\": expected active version {}, actual is {}",
            show(expected),
            show(actual)
        ),
        json!({ "graphId": graph_id, "expected": expected, "actual": actual.unwrap_or(0), "fence": "write" }),
    )
}

/// Checks, inside the caller's open transaction, that the active schema is still `version`.
pub async fn check_fence<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    version: i64,
) -> Result<()> {
    let d = ex.dialect();
    let sql = d.finish(fence_subquery(d, tables));
    let hit = ex
        .query(&sql, &[Value::text(graph_id), Value::Int(version)])
        .await?;
    if !hit.is_empty() {
        return Ok(());
    }
    // Not the expected version (or, on PostgreSQL, the row we waited on was just
    // deactivated by a schema commit): refuse, naming the settled version.
    let actual = active_version(ex, tables, graph_id).await?;
    Err(stale(graph_id, Some(version), actual))
}

/// An executor that runs the schema fence right after its first `begin`, so
/// every write transaction of a fenced store checks the active version once.
pub struct Fenced<'e, 'c, E: Executor> {
    pub inner: &'e mut E,
    pub tables: &'c Tables,
    pub graph_id: &'c str,
    pub version: i64,
    depth: u32,
}

impl<'e, 'c, E: Executor> Fenced<'e, 'c, E> {
    pub fn new(inner: &'e mut E, tables: &'c Tables, graph_id: &'c str, version: i64) -> Self {
        Fenced {
            inner,
            tables,
            graph_id,
            version,
            depth: 0,
        }
    }
}

impl<E: Executor> Executor for Fenced<'_, '_, E> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> impl Future<Output = Result<u64>> + Send {
        self.inner.execute(sql, params)
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.inner.query(sql, params)
    }
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<()>> + Send {
        self.inner.batch(sql)
    }
    fn copy_in(&mut self, sql: &str, data: &[u8]) -> impl Future<Output = Result<u64>> + Send {
        self.inner.copy_in(sql, data)
    }
    async fn begin(&mut self) -> Result<()> {
        self.inner.begin().await?;
        self.depth += 1;
        if self.depth == 1 {
            if let Err(e) = check_fence(self.inner, self.tables, self.graph_id, self.version).await
            {
                let _ = self.inner.rollback().await;
                self.depth -= 1;
                return Err(e);
            }
        }
        Ok(())
    }
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.depth = self.depth.saturating_sub(1);
        self.inner.commit()
    }
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.depth = self.depth.saturating_sub(1);
        self.inner.rollback()
    }
    fn touched(&mut self) -> Option<&mut super::recorded::Touched> {
        self.inner.touched()
    }
    fn recorded_tx(&mut self) -> Option<&mut super::recorded::TxRevisions> {
        self.inner.recorded_tx()
    }
    fn sqlite_conn(&mut self) -> Option<&mut crate::exec::sqlite::SqliteConn> {
        self.inner.sqlite_conn()
    }
}

/// Operations that write graph rows, and so run behind the fence.
pub fn is_fenced_write(op: &str) -> bool {
    matches!(
        op,
        "createNode"
            | "updateNode"
            | "deleteNode"
            | "hardDeleteNode"
            | "createEdge"
            | "updateEdge"
            | "deleteEdge"
            | "hardDeleteEdge"
            | "resurrectEdge"
            | "bulkUpsertEdges"
            | "bulkCreateNodes"
            | "bulkUpsertNodes"
            | "bulkDeleteNodes"
            | "bulkCreateEdges"
            | "bulkDeleteEdges"
    )
}

/// `(sql suffix, params)` for a single-statement fast path: an `EXISTS` guard on
/// the fence, or nothing for an unfenced store.
pub fn fast_path_guard(
    d: Dialect,
    tables: &Tables,
    graph_id: &str,
    version: Option<i64>,
) -> Option<(String, [Value; 2])> {
    version.map(|v| {
        (
            format!(" AND EXISTS ({})", fence_subquery(d, tables)),
            [Value::text(graph_id), Value::Int(v)],
        )
    })
}

// ---- kind removal -----------------------------------------------------------

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct KindRef {
    pub entity: String,
    pub kind: String,
}

/// Rows a kind holds in any temporal state (tombstones included).
pub async fn count_kind<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    k: &KindRef,
) -> Result<i64> {
    let table = if k.entity == "edge" {
        &tables.edges
    } else {
        &tables.nodes
    };
    let sql = ex.dialect().finish(format!(
        "SELECT COUNT(*) FROM {table} WHERE graph_id = ? AND kind = ?"
    ));
    Ok(ex
        .query(&sql, &[Value::text(graph_id), Value::text(&k.kind)])
        .await?
        .first()
        .and_then(|r| r[0].as_i64())
        .unwrap_or(0))
}

/// Queues pending removals at `version` (inside the schema commit's transaction).
pub async fn queue_removals<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    version: i64,
    kinds: &[KindRef],
) -> Result<()> {
    if kinds.is_empty() {
        return Ok(());
    }
    let t =
        crate::dialect::quote_ident(&tables.physical("kindRemovals", "typegraph_kind_removals"));
    let now = now_iso();
    let sql = ex.dialect().finish(format!(
        "INSERT INTO {t} (graph_id, kind_name, entity, schema_version, removed_at, last_attempted_at, last_error) \
         VALUES (?, ?, ?, ?, NULL, ?, NULL) \
         ON CONFLICT (graph_id, kind_name, entity, schema_version) DO UPDATE SET last_attempted_at = excluded.last_attempted_at"
    ));
    for k in kinds {
        ex.execute(
            &sql,
            &[
                Value::text(graph_id),
                Value::text(&k.kind),
                Value::text(&k.entity),
                Value::Int(version),
                Value::Ts(Some(now.clone())),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Kinds the schema history dropped: present in a version up to the active one and absent from
/// the next. A drop with no removal row of its version or later (a compile-time kind dropped by
/// a migration, or a `removeKinds` whose queue write was lost) is queued here, so cleanup
/// follows from the history itself rather than from the queue alone — unless the kind is live
/// again in the active version: those are returned (declined, their rows are the live kind's).
async fn queue_history_removals<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
) -> Result<Vec<(String, String)>> {
    let d = ex.dialect();
    let Some(active_version) = active_version(ex, tables, graph_id).await? else {
        return Ok(Vec::new());
    };
    let sql = d.finish(format!(
        "SELECT version, schema_doc FROM {} WHERE graph_id = ? AND version <= ? ORDER BY version",
        tables.schema_versions
    ));
    let rows = ex
        .query(&sql, &[Value::text(graph_id), Value::Int(active_version)])
        .await?;
    let kinds_of = |doc: &str| -> std::collections::BTreeSet<(String, String)> {
        let parsed: serde_json::Value = serde_json::from_str(doc).unwrap_or_default();
        let mut out = std::collections::BTreeSet::new();
        for (entity, key) in [("node", "nodes"), ("edge", "edges")] {
            if let Some(map) = parsed.get(key).and_then(|m| m.as_object()) {
                out.extend(map.keys().map(|k| (entity.to_string(), k.clone())));
            }
        }
        out
    };
    // (entity, kind) → the latest version that dropped it.
    let mut drops: std::collections::BTreeMap<(String, String), i64> = Default::default();
    let mut prev: Option<std::collections::BTreeSet<(String, String)>> = None;
    let mut live = std::collections::BTreeSet::new();
    for r in &rows {
        let v = r[0].as_i64().unwrap_or(0);
        let cur = kinds_of(r[1].as_str().unwrap_or("{}"));
        if let Some(p) = &prev {
            for k in p.difference(&cur) {
                drops.insert(k.clone(), v);
            }
        }
        if v == active_version {
            live = cur.clone();
        }
        prev = Some(cur);
    }
    if drops.is_empty() {
        return Ok(Vec::new());
    }
    let t =
        crate::dialect::quote_ident(&tables.physical("kindRemovals", "typegraph_kind_removals"));
    let known_sql = d.finish(format!(
        "SELECT 1 FROM {t} WHERE graph_id = ? AND entity = ? AND kind_name = ? AND schema_version >= ?"
    ));
    let mut declined = Vec::new();
    for ((entity, kind), dropped_at) in drops {
        let known = ex
            .query(
                &known_sql,
                &[
                    Value::text(graph_id),
                    Value::text(&entity),
                    Value::text(&kind),
                    Value::Int(dropped_at),
                ],
            )
            .await?;
        if !known.is_empty() {
            continue;
        }
        if live.contains(&(entity.clone(), kind.clone())) {
            declined.push((entity, kind));
        } else {
            let k = KindRef { entity, kind };
            queue_removals(ex, tables, graph_id, dropped_at, std::slice::from_ref(&k)).await?;
        }
    }
    Ok(declined)
}

/// `[{kind, entity, schemaVersion}]` of the removals whose cleanup has not run.
pub async fn pending_removals<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
) -> Result<Vec<(String, String, i64)>> {
    let t =
        crate::dialect::quote_ident(&tables.physical("kindRemovals", "typegraph_kind_removals"));
    let sql = ex.dialect().finish(format!(
        "SELECT kind_name, entity, schema_version FROM {t} WHERE graph_id = ? AND removed_at IS NULL \
         ORDER BY schema_version, entity, kind_name"
    ));
    let rows = ex.query(&sql, &[Value::text(graph_id)]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_string(),
                r[1].as_str().unwrap_or_default().to_string(),
                r[2].as_i64().unwrap_or(0),
            )
        })
        .collect())
}

/// `[{"kind","entity","schemaVersion","lastAttemptedAt","lastError"}…]`: the graph's removals
/// whose data cleanup has not succeeded yet.
pub async fn get_pending_removals<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
) -> Result<String> {
    if !crate::ops::schema::tables_exist(ex, tables).await? {
        return Ok("[]".into());
    }
    let t =
        crate::dialect::quote_ident(&tables.physical("kindRemovals", "typegraph_kind_removals"));
    let sql = ex.dialect().finish(format!(
        "SELECT kind_name, entity, schema_version, last_attempted_at, last_error FROM {t} \
         WHERE graph_id = ? AND removed_at IS NULL ORDER BY schema_version, entity, kind_name"
    ));
    let rows = ex.query(&sql, &[Value::text(graph_id)]).await?;
    let mut out = String::from("[");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"kind\":");
        push_json_str(&mut out, r[0].as_str().unwrap_or_default());
        out.push_str(",\"entity\":");
        push_json_str(&mut out, r[1].as_str().unwrap_or_default());
        out.push_str(&format!(
            ",\"schemaVersion\":{}",
            r[2].as_i64().unwrap_or(0)
        ));
        out.push_str(",\"lastAttemptedAt\":");
        push_json_str(&mut out, r[3].as_str().unwrap_or_default());
        out.push_str(",\"lastError\":");
        match r[4].as_str() {
            Some(e) => push_json_str(&mut out, e),
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push(']');
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaterializeRemovalsArgs {
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    #[serde(default)]
    pub stop_on_error: bool,
}

/// Takes the schema-write lock of a graph for the open transaction (PostgreSQL:
/// a per-graph advisory lock plus the active row `FOR UPDATE`; SQLite: the
/// transaction's `BEGIN IMMEDIATE` already holds the only writer slot).
pub async fn lock_schema<E: Executor>(ex: &mut E, tables: &Tables, graph_id: &str) -> Result<()> {
    let d = ex.dialect();
    if d == Dialect::Postgres {
        ex.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[Value::text(graph_id)],
        )
        .await?;
        let sql = d.finish(format!(
            "SELECT version FROM {} WHERE graph_id = ? AND is_active = TRUE FOR UPDATE",
            tables.schema_versions
        ));
        ex.query(&sql, &[Value::text(graph_id)]).await?;
    }
    Ok(())
}

/// Whether the active schema document still declares `kind` as `entity`.
async fn kind_is_live<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    entity: &str,
    kind: &str,
) -> Result<bool> {
    let d = ex.dialect();
    let sql = d.finish(format!(
        "SELECT schema_doc FROM {} WHERE graph_id = ? AND is_active = {}",
        tables.schema_versions,
        d.bool_lit(true)
    ));
    let rows = ex.query(&sql, &[Value::text(graph_id)]).await?;
    let Some(text) = rows.first().and_then(|r| r[0].as_str().map(String::from)) else {
        return Ok(false);
    };
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::invariant(format!("stored schema document is not JSON: {e}")))?;
    let slice = if entity == "edge" { "edges" } else { "nodes" };
    Ok(doc
        .get(slice)
        .and_then(|s| s.as_object())
        .is_some_and(|m| m.contains_key(kind)))
}

/// Deletes one removed kind's rows, re-checking under the schema lock that the
/// active schema has not re-added it. Returns false when it is live (skipped).
async fn remove_kind_rows<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    kind: &str,
    entity: &str,
) -> Result<bool> {
    lock_schema(ex, tables, graph_id).await?;
    if kind_is_live(ex, tables, graph_id, entity, kind).await? {
        return Ok(false);
    }
    let d = ex.dialect();
    let g = Value::text(graph_id);
    let k = Value::text(kind);
    let run = |sql: String| d.finish(sql);
    let stmts: Vec<(String, Vec<Value>)> = if entity == "edge" {
        vec![(
            run(format!(
                "DELETE FROM {} WHERE graph_id = ? AND kind = ?",
                tables.edges
            )),
            vec![g.clone(), k.clone()],
        )]
    } else {
        vec![
            (
                run(format!(
                    "DELETE FROM {} WHERE graph_id = ? AND (from_kind = ? OR to_kind = ?)",
                    tables.edges
                )),
                vec![g.clone(), k.clone(), k.clone()],
            ),
            (
                // The claims the kind OWNS, at whatever axis each sits (a sibling's claim at
                // this kind's axis stays).
                run(format!(
                    "DELETE FROM {} WHERE graph_id = ? AND concrete_kind = ?",
                    tables.uniques
                )),
                vec![g.clone(), k.clone()],
            ),
            (
                run(format!(
                    "DELETE FROM {} WHERE graph_id = ? AND kind = ?",
                    tables.nodes
                )),
                vec![g.clone(), k.clone()],
            ),
        ]
    };
    for (sql, params) in stmts {
        ex.execute(&sql, &params).await?;
    }
    if entity != "edge" && fulltext_exists(ex, tables).await? {
        let sql = d.finish(format!(
            "DELETE FROM {} WHERE graph_id = ? AND node_kind = ?",
            tables.fulltext
        ));
        ex.execute(&sql, &[g.clone(), k.clone()]).await?;
    }
    if entity != "edge" {
        // The removed kind's per-field vector tables and their markers go with its rows.
        for (_field, table) in vector_markers(ex, tables, graph_id)
            .await?
            .into_iter()
            .filter(|(kf, _)| kf.0 == kind)
            .map(|(kf, t)| (kf.1, t))
        {
            drop_vector_table(ex, tables, graph_id, &table).await?;
        }
    }
    Ok(true)
}

/// The graph's materialized vector tables by their markers: `((kind, field), table)`.
pub(crate) async fn vector_markers<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
) -> Result<Vec<((String, String), String)>> {
    let marker = crate::dialect::quote_ident(&tables.physical(
        "contributionMaterializations",
        "typegraph_contribution_materializations",
    ));
    let d = ex.dialect();
    let exists_sql = match d {
        Dialect::Sqlite => "SELECT 1 FROM sqlite_master WHERE name = ?".to_string(),
        Dialect::Postgres => "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = ANY(current_schemas(false))".to_string(),
    };
    let name = tables.physical(
        "contributionMaterializations",
        "typegraph_contribution_materializations",
    );
    if ex
        .query(&exists_sql, &[Value::text(name)])
        .await?
        .is_empty()
    {
        return Ok(Vec::new());
    }
    let rows = ex
        .query(
            &d.finish(format!(
                "SELECT logical_name, table_name FROM {marker} WHERE graph_id = ? AND logical_name LIKE 'vector:%'"
            )),
            &[Value::text(graph_id)],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let (Some(logical), Some(table)) = (r[0].as_str(), r[1].as_str()) else {
            continue;
        };
        let rest = &logical["vector:".len()..];
        // `vector:<kind>.<field>`: the split is confirmed by the table name the pair derives.
        for (i, _) in rest.match_indices('.') {
            let (kind, field) = (&rest[..i], &rest[i + 1..]);
            if crate::search::vector_table(graph_id, kind, field) == table {
                out.push(((kind.to_string(), field.to_string()), table.to_string()));
                break;
            }
        }
    }
    Ok(out)
}

/// Drops one vector table (if present) and its contribution marker.
async fn drop_vector_table<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    table: &str,
) -> Result<()> {
    let d = ex.dialect();
    ex.batch(&format!(
        "DROP TABLE IF EXISTS {}",
        crate::dialect::quote_ident(table)
    ))
    .await?;
    // SQLite: the HNSW graph saved beside the table, and the in-memory copy of its rows.
    crate::search::facade::forget_ann(ex, table, graph_id).await?;
    let marker = crate::dialect::quote_ident(&tables.physical(
        "contributionMaterializations",
        "typegraph_contribution_materializations",
    ));
    ex.execute(
        &d.finish(format!(
            "DELETE FROM {marker} WHERE graph_id = ? AND table_name = ?"
        )),
        &[Value::text(graph_id), Value::text(table)],
    )
    .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReclaimVectorFieldsArgs {
    /// The active schema version the live sets below were read from.
    pub version: i64,
    /// Node kinds the active schema declares.
    pub live_kinds: Vec<String>,
    /// `[kind, field]` embedding fields the active schema declares.
    pub live_vectors: Vec<(String, String)>,
}

/// `reclaimVectorFields`: drops the vector tables of embedding fields removed from
/// kinds that still exist (a removed kind's tables go with its rows), under the
/// schema lock and only while the active schema is still at `version`.
/// Returns `[{kind, fieldPath, status}]`.
pub async fn reclaim_vector_fields<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    a: ReclaimVectorFieldsArgs,
) -> Result<String> {
    let live_kinds: std::collections::HashSet<&str> =
        a.live_kinds.iter().map(String::as_str).collect();
    let live: std::collections::HashSet<(&str, &str)> = a
        .live_vectors
        .iter()
        .map(|(k, f)| (k.as_str(), f.as_str()))
        .collect();
    let orphans: Vec<((String, String), String)> = vector_markers(ex, tables, graph_id)
        .await?
        .into_iter()
        .filter(|((k, f), _)| {
            live_kinds.contains(k.as_str()) && !live.contains(&(k.as_str(), f.as_str()))
        })
        .collect();
    let mut out = Vec::new();
    for ((kind, field), table) in orphans {
        let outcome: Result<bool> = (async {
            crate::atomic!(ex, {
                lock_schema(ex, tables, graph_id).await?;
                if active_version(ex, tables, graph_id).await? != Some(a.version) {
                    return Ok(false);
                }
                drop_vector_table(ex, tables, graph_id, &table).await?;
                Ok(true)
            })
        })
        .await;
        match outcome {
            Ok(true) => {
                out.push(json!({ "kind": kind, "fieldPath": field, "status": "reclaimed" }))
            }
            Ok(false) => {}
            Err(e) => out.push(json!({
                "kind": kind, "fieldPath": field, "status": "failed",
                "error": { "message": e.message, "code": e.code.as_str() }
            })),
        }
    }
    Ok(serde_json::Value::Array(out).to_string())
}

async fn fulltext_exists<E: Executor>(ex: &mut E, tables: &Tables) -> Result<bool> {
    let name = tables.physical("fulltext", "typegraph_node_fulltext");
    let sql = match ex.dialect() {
        Dialect::Sqlite => "SELECT 1 FROM sqlite_master WHERE name = ?".to_string(),
        Dialect::Postgres => "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = ANY(current_schemas(false))".to_string(),
    };
    Ok(!ex.query(&sql, &[Value::text(name)]).await?.is_empty())
}

/// `materializeRemovals`: deletes the rows of every pending removed kind, one
/// transaction per kind; returns `[{kind, entity, status, error?, reason?}]`.
pub async fn materialize_removals<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    a: MaterializeRemovalsArgs,
) -> Result<String> {
    let declined = queue_history_removals(ex, tables, graph_id).await?;
    let pending = pending_removals(ex, tables, graph_id).await?;
    let t =
        crate::dialect::quote_ident(&tables.physical("kindRemovals", "typegraph_kind_removals"));
    let d = ex.dialect();
    let mut results: Vec<serde_json::Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (kind, entity, _version) in pending {
        if let Some(only) = &a.kinds {
            if !only.contains(&kind) {
                continue;
            }
        }
        if !seen.insert((entity.clone(), kind.clone())) {
            continue;
        }
        let now = now_iso();
        let outcome: Result<bool> = (async {
            crate::atomic!(ex, {
                let removed = remove_kind_rows(ex, tables, graph_id, &kind, &entity).await?;
                if removed {
                    let sql = d.finish(format!(
                        "UPDATE {t} SET removed_at = ?, last_attempted_at = ?, last_error = NULL \
                     WHERE graph_id = ? AND kind_name = ? AND entity = ? AND removed_at IS NULL"
                    ));
                    ex.execute(
                        &sql,
                        &[
                            Value::Ts(Some(now.clone())),
                            Value::Ts(Some(now.clone())),
                            Value::text(graph_id),
                            Value::text(&kind),
                            Value::text(&entity),
                        ],
                    )
                    .await?;
                }
                Ok(removed)
            })
        })
        .await;
        match outcome {
            Ok(true) => results.push(json!({ "kind": kind, "entity": entity, "status": "removed" })),
            Ok(false) => results.push(
                json!({ "kind": kind, "entity": entity, "status": "skipped", "reason": "kind-is-live" }),
            ),
            Err(e) => {
                let msg = e.message.clone();
                let sql = d.finish(format!(
                    "UPDATE {t} SET last_attempted_at = ?, last_error = ? \
                     WHERE graph_id = ? AND kind_name = ? AND entity = ? AND removed_at IS NULL"
                ));
                let _ = ex
                    .execute(
                        &sql,
                        &[
                            Value::Ts(Some(now.clone())),
                            Value::text(&msg),
                            Value::text(graph_id),
                            Value::text(&kind),
                            Value::text(&entity),
                        ],
                    )
                    .await;
                results.push(json!({
                    "kind": kind, "entity": entity, "status": "failed",
                    "error": { "message": msg, "code": e.code.as_str() }
                }));
                if a.stop_on_error {
                    break;
                }
            }
        }
    }
    // History-derived drops of kinds that are live again: declined, reported as skipped.
    for (entity, kind) in declined {
        if a.kinds.as_ref().is_some_and(|only| !only.contains(&kind)) {
            continue;
        }
        if seen.insert((entity.clone(), kind.clone())) {
            results.push(
                json!({ "kind": kind, "entity": entity, "status": "skipped", "reason": "kind-is-live" }),
            );
        }
    }
    Ok(serde_json::Value::Array(results).to_string())
}
