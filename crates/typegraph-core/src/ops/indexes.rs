//! `store.materializeIndexes()`: runs declared index DDL against the live database
//! and tracks each index in `typegraph_index_materializations` (upstream's status
//! table and row format).
//!
//! The TypeScript layer compiles each declaration to its DDL and signature; this
//! operation settles every entry against its status row (`alreadyMaterialized` on
//! a matching signature, `failed` on drift), builds what is missing, records the
//! outcome, and refreshes planner statistics once when something was created.
//! PostgreSQL builds run `CONCURRENTLY` outside any transaction; two processes
//! building the same index serialize on a per-index advisory lock (polled, so a
//! waiter never holds a snapshot a concurrent build would wait for). Vector
//! indexes: pgvector HNSW/IVFFlat on PostgreSQL; on SQLite the engine's own HNSW
//! graph over the vector slot.

use super::Ctx;
use crate::dialect::{quote_ident, Dialect};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::search::{ensure_vector_table, vector_physical_name, Metric};
use crate::util::now_iso;
use crate::value::Value;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Args {
    pub schema_version: i64,
    #[serde(default)]
    pub stop_on_error: bool,
    #[serde(default = "yes")]
    pub refresh_statistics: bool,
    pub entries: Vec<Entry>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub name: String,
    pub status_key: String,
    pub entity: String,
    pub kind: String,
    #[serde(default)]
    pub signature: String,
    pub action: Action,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Action {
    /// A relational index: its `CREATE INDEX` statement.
    Ddl {
        sql: String,
        #[serde(default)]
        trigram: bool,
    },
    /// The vector index of an `embedding()` field.
    #[serde(rename_all = "camelCase")]
    Vector {
        field: String,
        index_type: String,
        m: u32,
        ef_construction: u32,
        #[serde(default)]
        lists: Option<u32>,
    },
    /// One of TypeGraph's own btree indexes (`materializeSystemIndexes`): its DDL and table.
    /// The physical index is authoritative: present without a status row settles as
    /// `alreadyMaterialized`, absent is built even under a recorded success.
    System { sql: String, table: String },
    /// Recognised but not acted on here (reported as is).
    Skip { reason: String },
    /// Refused before any I/O (reported as failed, nothing recorded).
    Fail { error: String },
}

struct Existing {
    entity: String,
    signature: String,
    materialized: bool,
    graph_id: String,
    schema_version: i64,
}

fn result(e: &Entry, status: &str, extra: Option<(&str, String)>) -> Json {
    let mut o =
        json!({ "indexName": e.name, "entity": e.entity, "kind": e.kind, "status": status });
    if let Some((k, v)) = extra {
        o[k] = Json::String(v);
    }
    o
}

pub async fn materialize<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: Args) -> Result<String> {
    if a.entries.is_empty() {
        return Ok("[]".into());
    }
    let d = ex.dialect();
    let status = quote_ident(
        &ctx.tables
            .physical("indexMaterializations", "typegraph_index_materializations"),
    );
    let keys: Vec<String> = a.entries.iter().map(|e| e.status_key.clone()).collect();
    let existing = load_status(ex, &status, &keys).await?;
    let invalid = if d == Dialect::Postgres {
        invalid_indexes(ex, &a.entries).await?
    } else {
        Default::default()
    };
    let system = system_state(ex, &a.entries).await?;
    let mut out = Vec::new();
    let mut created = false;
    for e in &a.entries {
        let r = match system_settle(e, existing.get(&e.status_key), &system) {
            Some(r) => r,
            None => {
                one(
                    ex,
                    ctx,
                    &status,
                    &a,
                    e,
                    existing.get(&e.status_key),
                    &invalid,
                    &system,
                )
                .await?
            }
        };
        let failed = r["status"] == "failed";
        created |= r["status"] == "created";
        out.push(r);
        if failed && a.stop_on_error {
            break;
        }
    }
    if created && a.refresh_statistics {
        // Best effort: the indexes exist and are recorded either way.
        let _ = super::load::refresh_statistics(ex, ctx).await;
    }
    Ok(Json::Array(out).to_string())
}

async fn load_status<E: Executor>(
    ex: &mut E,
    status: &str,
    keys: &[String],
) -> Result<HashMap<String, Existing>> {
    let d = ex.dialect();
    let sql = d.finish(format!(
        "SELECT index_name, signature, materialized_at, graph_id, schema_version, entity FROM {status} WHERE {}",
        d.in_list("index_name")
    ));
    let rows = ex.query(&sql, &[Value::TextList(keys.to_vec())]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let s = |i: usize| r.get(i).and_then(Value::as_str).map(String::from);
            Some((
                s(0)?,
                Existing {
                    entity: s(5).unwrap_or_default(),
                    signature: s(1).unwrap_or_default(),
                    materialized: r.get(2).is_some_and(|v| !v.is_null()),
                    graph_id: s(3).unwrap_or_default(),
                    schema_version: match r.get(4) {
                        Some(Value::Int(i)) => *i,
                        _ => 0,
                    },
                },
            ))
        })
        .collect())
}

/// Relational index names that exist but are INVALID (an interrupted CONCURRENTLY build).
async fn invalid_indexes<E: Executor>(
    ex: &mut E,
    entries: &[Entry],
) -> Result<std::collections::HashSet<String>> {
    let names: Vec<String> = entries
        .iter()
        .filter(|e| matches!(e.action, Action::Ddl { .. } | Action::System { .. }))
        .map(|e| e.name.clone())
        .collect();
    if names.is_empty() {
        return Ok(Default::default());
    }
    let rows = ex
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid \
             WHERE c.relname = ANY($1) AND NOT i.indisvalid AND pg_catalog.pg_table_is_visible(c.oid)",
            &[Value::TextList(names)],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.first().and_then(Value::as_str).map(String::from))
        .collect())
}

/// `Some(result)` when the status row settles the entry without a build.
async fn settle<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    status: &str,
    a: &Args,
    e: &Entry,
    existing: Option<&Existing>,
    rebuild: bool,
) -> Result<Option<Json>> {
    let Some(x) = existing.filter(|x| x.materialized) else {
        return Ok(None);
    };
    if x.signature == e.signature {
        return Ok(if rebuild {
            None
        } else {
            Some(result(e, "alreadyMaterialized", None))
        });
    }
    let label = match e.entity.as_str() {
        "vector" => "Vector index",
        "system" => "System index",
        _ => "Index",
    };
    let msg = format!(
        "{label} \"{}\" already materialized with a different signature (recorded by graph \"{}\" at version {}). Drop the index manually and retry, or rename the new declaration.",
        e.name, x.graph_id, x.schema_version
    );
    record(ex, ctx, status, a, e, false, Some(&msg), true).await?;
    Ok(Some(result(e, "failed", Some(("error", msg)))))
}

#[allow(clippy::too_many_arguments)]
async fn record<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    status: &str,
    a: &Args,
    e: &Entry,
    ok: bool,
    error: Option<&str>,
    keep_success: bool,
) -> Result<()> {
    let d = ex.dialect();
    let now = now_iso();
    // A failed attempt never erases an earlier success's marker (drift keeps the old row's success).
    let materialized = if keep_success {
        format!("{status}.materialized_at")
    } else {
        "excluded.materialized_at".into()
    };
    let signature = if keep_success {
        format!("{status}.signature")
    } else {
        "excluded.signature".into()
    };
    let sql = d.finish(format!(
        "INSERT INTO {status} (index_name, graph_id, entity, kind, signature, schema_version, materialized_at, last_attempted_at, last_error) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (index_name) DO UPDATE SET graph_id = excluded.graph_id, entity = excluded.entity, \
         kind = excluded.kind, signature = {signature}, schema_version = excluded.schema_version, materialized_at = {materialized}, \
         last_attempted_at = excluded.last_attempted_at, last_error = excluded.last_error"
    ));
    ex.execute(
        &sql,
        &[
            Value::text(&e.status_key),
            Value::text(ctx.graph.id()),
            Value::text(&e.entity),
            Value::text(&e.kind),
            Value::text(&e.signature),
            Value::Int(a.schema_version),
            Value::Ts(ok.then(|| now.clone())),
            Value::Ts(Some(now.clone())),
            error.map(Value::text).unwrap_or(Value::Null),
        ],
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn one<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    status: &str,
    a: &Args,
    e: &Entry,
    existing: Option<&Existing>,
    invalid: &std::collections::HashSet<String>,
    system: &SystemState,
) -> Result<Json> {
    match &e.action {
        Action::Skip { reason } => {
            return Ok(result(e, "skipped", Some(("reason", reason.clone()))))
        }
        Action::Fail { error } => return Ok(result(e, "failed", Some(("error", error.clone())))),
        _ => {}
    }
    let rebuild = invalid.contains(&e.name)
        || (matches!(e.action, Action::System { .. }) && !system.indexes.contains(&e.name));
    if let Some(r) = settle(ex, ctx, status, a, e, existing, rebuild).await? {
        return Ok(r);
    }
    let pg = ex.dialect() == Dialect::Postgres;
    if pg {
        // Serialize same-index builds across processes; re-check once the lock is held.
        let lock_key = format!("typegraph:index:{}", e.status_key);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(16 * 60);
        loop {
            let got = ex
                .query(
                    "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                    &[Value::text(&lock_key)],
                )
                .await?;
            if matches!(got.first().and_then(|r| r.first()), Some(Value::Bool(true))) {
                break;
            }
            if std::time::Instant::now() >= deadline {
                let msg = format!(
                    "Timed out waiting for a concurrent materializer of \"{}\"",
                    e.status_key
                );
                return Ok(result(e, "failed", Some(("error", msg))));
            }
            ex.batch("SELECT pg_sleep(0.2)").await?;
        }
        let r = build_locked(ex, ctx, status, a, e).await;
        let unlock = ex
            .query(
                "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
                &[Value::text(&lock_key)],
            )
            .await;
        let r = r?;
        unlock?;
        return Ok(r);
    }
    build(ex, ctx, status, a, e).await
}

async fn build_locked<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    status: &str,
    a: &Args,
    e: &Entry,
) -> Result<Json> {
    let fresh = load_status(ex, status, std::slice::from_ref(&e.status_key)).await?;
    let rebuild = if matches!(e.action, Action::Ddl { .. } | Action::System { .. }) {
        let inv = invalid_indexes(ex, std::slice::from_ref(e)).await?;
        if !inv.is_empty() {
            ex.batch(&format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {}",
                quote_ident(&e.name)
            ))
            .await?;
        }
        let absent = matches!(e.action, Action::System { .. })
            && !system_state(ex, std::slice::from_ref(e))
                .await?
                .indexes
                .contains(&e.name);
        !inv.is_empty() || absent
    } else {
        false
    };
    if let Some(r) = settle(ex, ctx, status, a, e, fresh.get(&e.status_key), rebuild).await? {
        return Ok(r);
    }
    build(ex, ctx, status, a, e).await
}

async fn build<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    status: &str,
    a: &Args,
    e: &Entry,
) -> Result<Json> {
    match run(ex, ctx, e).await {
        Ok(()) => {
            record(ex, ctx, status, a, e, true, None, false).await?;
            Ok(result(e, "created", None))
        }
        Err(err) => {
            let msg = match &err.cause {
                Some(c) => format!("{}: {c}", err.message),
                None => err.message.clone(),
            };
            record(ex, ctx, status, a, e, false, Some(&msg), false).await?;
            Ok(result(e, "failed", Some(("error", msg))))
        }
    }
}

async fn run<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, e: &Entry) -> Result<()> {
    match &e.action {
        Action::Ddl { sql, trigram } => {
            if *trigram {
                ensure_trigram(ex).await?;
            }
            ex.batch(sql).await
        }
        Action::System { sql, .. } => ex.batch(sql).await,
        Action::Vector {
            field,
            index_type,
            m,
            ef_construction,
            lists,
        } => {
            let spec = ctx
                .graph
                .spec
                .nodes
                .get(&e.kind)
                .and_then(|s| s.embeddings.iter().find(|f| &f.field == field))
                .cloned()
                .ok_or_else(|| {
                    Error::config(
                        format!(
                            "Node kind \"{}\" has no embedding field \"{field}\"",
                            e.kind
                        ),
                        "UNKNOWN_EMBEDDING_FIELD",
                    )
                })?;
            let table = ensure_vector_table(ex, ctx, &e.kind, &spec).await?;
            match ex.dialect() {
                Dialect::Postgres => {
                    let name = vector_physical_name("tg_vecidx", ctx.graph.id(), &e.kind, field);
                    let ops = match spec.metric {
                        Metric::Cosine => "vector_cosine_ops",
                        Metric::L2 => "vector_l2_ops",
                        Metric::InnerProduct => "vector_ip_ops",
                    };
                    let with = if index_type == "ivfflat" {
                        format!(
                            "ivfflat (\"embedding\" {ops}) WITH (lists = {})",
                            lists.unwrap_or(100)
                        )
                    } else {
                        format!(
                            "hnsw (\"embedding\" {ops}) WITH (m = {m}, ef_construction = {ef_construction})"
                        )
                    };
                    ex.batch(&format!(
                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} USING {with};",
                        quote_ident(&name),
                        quote_ident(&table)
                    ))
                    .await
                }
                Dialect::Sqlite => crate::search::facade::build_ann(ex, ctx, &table, &spec),
            }
        }
        Action::Skip { .. } | Action::Fail { .. } => Ok(()),
    }
}

/// `pg_trgm` for trigram indexes; a concurrent install's unique violation is retried once.
async fn ensure_trigram<E: Executor>(ex: &mut E) -> Result<()> {
    const DDL: &str = "CREATE EXTENSION IF NOT EXISTS pg_trgm";
    match ex.batch(DDL).await {
        Ok(()) => Ok(()),
        Err(_) => ex.batch(DDL).await,
    }
}

/// Which system-index tables exist and which of their indexes exist (valid) right now.
#[derive(Default)]
pub struct SystemState {
    tables: std::collections::HashSet<String>,
    indexes: std::collections::HashSet<String>,
}

async fn system_state<E: Executor>(ex: &mut E, entries: &[Entry]) -> Result<SystemState> {
    let mut tables = Vec::new();
    let mut names = Vec::new();
    for e in entries {
        if let Action::System { table, .. } = &e.action {
            if !tables.contains(table) {
                tables.push(table.clone());
            }
            names.push(e.name.clone());
        }
    }
    if names.is_empty() {
        return Ok(SystemState::default());
    }
    let d = ex.dialect();
    let (t_sql, i_sql) = match d {
        Dialect::Sqlite => (
            format!(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND {}",
                d.in_list("name")
            ),
            format!(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND {}",
                d.in_list("name")
            ),
        ),
        // Resolved through the search path as the DDL resolves them: an index counts only
        // when it sits on the table this connection's statements reach.
        Dialect::Postgres => (
            "SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NOT NULL"
                .to_string(),
            "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname = ANY($1) AND i.indisvalid AND i.indrelid IN \
             (SELECT to_regclass(quote_ident(t)) FROM unnest($2::text[]) AS t)"
                .to_string(),
        ),
    };
    let set = |rows: Vec<crate::value::Row>| {
        rows.into_iter()
            .filter_map(|r| r.first().and_then(Value::as_str).map(String::from))
            .collect::<std::collections::HashSet<_>>()
    };
    Ok(SystemState {
        tables: set(ex.query(&t_sql, &[Value::TextList(tables.clone())]).await?),
        indexes: set(match d {
            Dialect::Sqlite => ex.query(&i_sql, &[Value::TextList(names)]).await?,
            Dialect::Postgres => {
                ex.query(
                    &i_sql,
                    &[Value::TextList(names), Value::TextList(tables.clone())],
                )
                .await?
            }
        }),
    })
}

/// A system index settled without a claim or DDL: its table is missing (`skipped`), its name
/// is recorded by a declared index (`failed`, nothing written), or it exists with no status
/// row (`alreadyMaterialized`, nothing written — bootstrap creates these without rows).
fn system_settle(e: &Entry, existing: Option<&Existing>, s: &SystemState) -> Option<Json> {
    let Action::System { table, .. } = &e.action else {
        return None;
    };
    if !s.tables.contains(table) {
        let reason = format!("Relation \"{table}\" does not exist in this database");
        return Some(result(e, "skipped", Some(("reason", reason))));
    }
    if let Some(x) = existing.filter(|x| x.entity != "system") {
        let msg = format!(
            "System index name \"{}\" is already recorded by a {} index declaration (graph \"{}\"). \
             Rename the declared index: \"typegraph_\"-prefixed names are TypeGraph's system indexes.",
            e.name, x.entity, x.graph_id
        );
        return Some(result(e, "failed", Some(("error", msg))));
    }
    if existing.is_none() && s.indexes.contains(&e.name) {
        return Some(result(e, "alreadyMaterialized", None));
    }
    None
}
