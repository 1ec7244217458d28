//! Search side tables: one fulltext document per node (all its `searchable()`
//! fields) and one vector table per (graph, kind, `embedding()` field), in
//! upstream's layout, written in the same transaction as the node. The facade
//! operations (`searchFulltext`, `searchVector`, `searchHybrid`,
//! `rebuildFulltext`) live in [`facade`].
//!
//! Write hooks called from the node operations: [`sync_nodes`] after a node's
//! props were written, [`remove_nodes`] when nodes are soft or hard deleted.

pub mod cache;
pub mod facade;
pub mod hnsw;
pub mod topk;

use crate::dialect::{quote_ident, Dialect};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::ops::Ctx;
use crate::util::now_iso;
use crate::value::Value;
use serde::Deserialize;
use serde_json::{json, value::RawValue};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchableField {
    pub field: String,
    #[serde(default = "english")]
    pub language: String,
}

fn english() -> String {
    "english".into()
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    #[default]
    Cosine,
    L2,
    InnerProduct,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::L2 => "l2",
            Metric::InnerProduct => "inner_product",
        }
    }
    /// Score from a distance: cosine similarity for cosine, the raw distance otherwise.
    pub fn score(self, dist: f64) -> f64 {
        match self {
            Metric::Cosine => 1.0 - dist,
            _ => dist,
        }
    }
    /// The largest admitted distance for a `minScore` (upstream's translation).
    pub fn max_distance(self, min_score: f64) -> f64 {
        match self {
            Metric::Cosine => 1.0 - min_score,
            Metric::L2 => min_score,
            Metric::InnerProduct => -min_score,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddingField {
    pub field: String,
    pub dimensions: usize,
    #[serde(default)]
    pub metric: Metric,
    #[serde(default = "hnsw")]
    pub index_type: String,
    #[serde(default)]
    pub m: Option<u32>,
    #[serde(default)]
    pub ef_construction: Option<u32>,
    #[serde(default)]
    pub lists: Option<u32>,
}

fn hnsw() -> String {
    "hnsw".into()
}

/// Per-registration memo of the side tables already ensured.
#[derive(Debug, Default)]
pub struct GraphSearchState {
    ensured: Mutex<HashSet<String>>,
}

/// Registers sqlite-vec for every SQLite connection opened afterwards.
pub fn register_sqlite_vec() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        // SAFETY: sqlite3_vec_init has the extension entry-point signature.
        type Init = unsafe extern "C" fn(
            *mut rusqlite::ffi::sqlite3,
            *mut *mut std::os::raw::c_char,
            *const rusqlite::ffi::sqlite3_api_routines,
        ) -> std::os::raw::c_int;
        let init: Init = std::mem::transmute(sqlite_vec::sqlite3_vec_init as *const ());
        rusqlite::ffi::sqlite3_auto_extension(Some(init));
    });
}

fn sanitize(part: &str) -> String {
    let mut out = String::new();
    for c in part.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else {
            for _ in 0..c.len_utf16() {
                out.push('_');
            }
        }
    }
    out
}

/// Upstream's 8-hex-digit identifier hash (two 32-bit multiplicative mixes over code points).
pub fn short_hash(input: &str) -> String {
    let units: Vec<u16> = input.encode_utf16().collect();
    let mut h1: u32 = 0xdead_beef;
    let mut h2: u32 = 0x41c6_ce57;
    for i in 0..units.len() {
        let u = units[i] as u32;
        let ch = if (0xD800..0xDC00).contains(&u) && i + 1 < units.len() {
            let lo = units[i + 1] as u32;
            if (0xDC00..0xE000).contains(&lo) {
                0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
            } else {
                u
            }
        } else {
            u
        };
        h1 = (h1 ^ ch).wrapping_mul(0x9e37_79b1);
        h2 = (h2 ^ ch).wrapping_mul(0x5f35_6495);
    }
    h1 = (h1 ^ (h1 >> 16)).wrapping_mul(0x85eb_ca6b) ^ (h2 ^ (h2 >> 13)).wrapping_mul(0xc2b2_ae35);
    h2 = (h2 ^ (h2 >> 16)).wrapping_mul(0x85eb_ca6b) ^ (h1 ^ (h1 >> 13)).wrapping_mul(0xc2b2_ae35);
    format!("{h2:08x}")
}

/// `tg_vec_<graph>_<kind>_<field>_<hash>` (63 characters at most), as upstream names it.
pub fn vector_physical_name(prefix: &str, graph: &str, kind: &str, field: &str) -> String {
    let readable = format!(
        "{prefix}_{}_{}_{}",
        sanitize(graph),
        sanitize(kind),
        sanitize(field)
    );
    let hash = short_hash(&serde_json::to_string(&[graph, kind, field]).unwrap_or_default());
    let full = format!("{readable}_{hash}");
    if full.len() <= 63 {
        full
    } else {
        format!("{}_{hash}", &readable[..63 - 1 - hash.len()])
    }
}

pub fn vector_table(graph: &str, kind: &str, field: &str) -> String {
    vector_physical_name("tg_vec", graph, kind, field)
}

pub(crate) fn vector_ddl(dialect: Dialect, table: &str, f: &EmbeddingField) -> Result<String> {
    let name = quote_ident(table);
    Ok(match dialect {
        Dialect::Sqlite => {
            let metric = match f.metric {
                Metric::Cosine => "cosine",
                Metric::L2 => "l2",
                Metric::InnerProduct => {
                    return Err(unsupported(
                        "embedding()",
                        "vector.metrics.inner_product",
                        "sqlite-vec does not support inner_product. Use 'cosine' or 'l2'.",
                    ))
                }
            };
            format!(
                "CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING vec0(\n  node_id TEXT PRIMARY KEY,\n  graph_id TEXT PARTITION KEY,\n  +created_at TEXT,\n  +updated_at TEXT,\n  embedding float[{}] distance_metric={metric}\n);",
                f.dimensions
            )
        }
        Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {name} (\n  \"graph_id\" TEXT NOT NULL,\n  \"node_id\" TEXT NOT NULL,\n  \"embedding\" vector({}) NOT NULL,\n  \"created_at\" TIMESTAMPTZ NOT NULL,\n  \"updated_at\" TIMESTAMPTZ NOT NULL,\n  PRIMARY KEY (\"graph_id\", \"node_id\")\n);",
            f.dimensions
        ),
    })
}

pub fn unsupported(operation: &str, capability: &str, message: &str) -> Error {
    Error::new(
        Code::UnsupportedBackendCapability,
        format!("{operation} requires backend capability '{capability}'. {message}"),
        json!({ "operation": operation, "capability": capability }),
    )
}

/// Upstream's contribution signature: SHA-256 of the sorted-key JSON, 32 hex digits.
pub fn contribution_signature(
    dialect: Dialect,
    owner: &str,
    logical: &str,
    table: &str,
    ddl: &[String],
) -> String {
    // serde_json's map is ordered by key, which matches the sorted replacer for ASCII keys.
    let doc = json!({
        "dialect": match dialect { Dialect::Sqlite => "sqlite", Dialect::Postgres => "postgres" },
        "owner": owner,
        "logicalName": logical,
        "tableName": table,
        "createDdl": ddl,
    });
    let digest = Sha256::digest(doc.to_string().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The fulltext contribution's DDL (`ft`: its unquoted physical name), exactly as bootstrap runs it.
pub(crate) fn fulltext_ddl(dialect: Dialect, ft: &str) -> Vec<String> {
    match dialect {
        Dialect::Sqlite => vec![format!(
            "CREATE VIRTUAL TABLE IF NOT EXISTS {} USING fts5(\n  graph_id UNINDEXED,\n  node_kind UNINDEXED,\n  node_id UNINDEXED,\n  language UNINDEXED,\n  updated_at UNINDEXED,\n  content,\n  tokenize='porter unicode61 remove_diacritics 2'\n);",
            quote_ident(ft)
        )],
        Dialect::Postgres => vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {q} (\n  \"graph_id\" TEXT NOT NULL,\n  \"node_kind\" TEXT NOT NULL,\n  \"node_id\" TEXT NOT NULL,\n  \"content\" TEXT NOT NULL,\n  \"language\" regconfig NOT NULL,\n  \"tsv\" tsvector NOT NULL\n    GENERATED ALWAYS AS (to_tsvector(\"language\", \"content\")) STORED,\n  \"updated_at\" TIMESTAMPTZ NOT NULL,\n  PRIMARY KEY (\"graph_id\", \"node_kind\", \"node_id\")\n);",
                q = quote_ident(ft)
            ),
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} USING GIN (\"tsv\");",
                quote_ident(&format!("{ft}_tsv_idx")),
                quote_ident(ft)
            ),
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} (\"graph_id\", \"node_kind\");",
                quote_ident(&format!("{ft}_kind_idx")),
                quote_ident(ft)
            ),
        ],
    }
}

/// `provisionSearch`: creates the fulltext and vector side tables of this graph and
/// records upstream's `typegraph_contribution_materializations` marker rows.
pub async fn provision<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<String> {
    let d = ex.dialect();
    let g = ctx.graph.id();
    let marker = quote_ident(&ctx.tables.physical(
        "contributionMaterializations",
        "typegraph_contribution_materializations",
    ));
    let mut contributions: Vec<(String, &str, String, Vec<String>)> = vec![(
        "fulltext".into(),
        if d == Dialect::Sqlite {
            "fts5"
        } else {
            "tsvector"
        },
        ctx.tables.physical("fulltext", "typegraph_node_fulltext"),
        fulltext_ddl(
            d,
            &ctx.tables.physical("fulltext", "typegraph_node_fulltext"),
        ),
    )];
    for (kind, spec) in &ctx.graph.spec.nodes {
        for f in &spec.embeddings {
            let table = vector_table(g, kind, &f.field);
            let ddl = vector_ddl(d, &table, f)?;
            contributions.push((
                format!("vector:{kind}.{}", f.field),
                if d == Dialect::Sqlite {
                    "sqlite-vec"
                } else {
                    "pgvector"
                },
                table,
                vec![ddl],
            ));
        }
    }
    let existing = ex
        .query(
            &d.finish(format!(
                "SELECT logical_name, owner, table_name, signature FROM {marker} WHERE graph_id = ? AND last_error IS NULL AND materialized_at IS NOT NULL"
            )),
            &[Value::text(g)],
        )
        .await?;
    let have: HashSet<(String, String, String, String)> = existing
        .iter()
        .map(|r| {
            let s = |i: usize| r.get(i).and_then(Value::as_str).unwrap_or("").to_string();
            (s(0), s(1), s(2), s(3))
        })
        .collect();
    let now = now_iso();
    let upsert = d.finish(format!(
        "INSERT INTO {marker} (graph_id, logical_name, owner, table_name, signature, materialized_at, last_attempted_at, last_error) \
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (graph_id, logical_name, owner, table_name) DO UPDATE SET \
         signature = excluded.signature, materialized_at = excluded.materialized_at, last_attempted_at = excluded.last_attempted_at, last_error = excluded.last_error"
    ));
    for (logical, owner, table, ddl) in &contributions {
        for stmt in ddl {
            ex.batch(stmt).await?;
        }
        let sig = contribution_signature(d, owner, logical, table, ddl);
        if !have.contains(&(
            logical.clone(),
            owner.to_string(),
            table.clone(),
            sig.clone(),
        )) {
            ex.execute(
                &upsert,
                &[
                    Value::text(g),
                    Value::text(logical),
                    Value::text(*owner),
                    Value::text(table),
                    Value::text(sig),
                    Value::Ts(Some(now.clone())),
                    Value::Ts(Some(now.clone())),
                ],
            )
            .await?;
        }
        lock(&ctx.graph.search.ensured).insert(table.clone());
    }
    Ok("null".into())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Creates a vector table on first use in this registration (upstream's runtime ensure).
pub(crate) async fn ensure_vector_table<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    f: &EmbeddingField,
) -> Result<String> {
    let table = vector_table(ctx.graph.id(), kind, &f.field);
    if lock(&ctx.graph.search.ensured).contains(&table) {
        return Ok(table);
    }
    let ddl = vector_ddl(ex.dialect(), &table, f)?;
    ex.batch(&ddl).await?;
    lock(&ctx.graph.search.ensured).insert(table.clone());
    Ok(table)
}

/// Whether writes to `kind` maintain any search side table.
pub fn has_fields(ctx: &Ctx<'_>, kind: &str) -> bool {
    ctx.graph
        .spec
        .nodes
        .get(kind)
        .is_some_and(|s| !s.searchable.is_empty() || !s.embeddings.is_empty())
}

/// The fulltext document of one node: non-empty searchable strings joined by `\n`.
fn document(fields: &[SearchableField], props: &BTreeMap<String, &RawValue>) -> Option<String> {
    let parts: Vec<String> = fields
        .iter()
        .filter_map(|f| props.get(&f.field))
        .filter_map(|raw| serde_json::from_str::<String>(raw.get()).ok())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// Rows per multi-row statement on SQLite.
const GROUP: usize = 64;
/// Rows per UNNEST statement on PostgreSQL.
const PG_CHUNK: usize = 2000;

/// Mirrors nodes' props into the fulltext and vector tables. `fresh` when the nodes
/// were just inserted (or came back from a tombstone), so no stale side row can exist.
pub async fn sync_nodes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    items: &[(&str, &str)],
    fresh: bool,
) -> Result<()> {
    let Some(spec) = ctx.graph.spec.nodes.get(kind) else {
        return Ok(());
    };
    if items.is_empty() || (spec.searchable.is_empty() && spec.embeddings.is_empty()) {
        return Ok(());
    }
    let parsed: Vec<BTreeMap<String, &RawValue>> = items
        .iter()
        .map(|(_, p)| serde_json::from_str(p).unwrap_or_default())
        .collect();
    let now = now_iso();
    if !spec.searchable.is_empty() {
        let lang = &spec.searchable[0].language;
        let mut docs: Vec<(String, String)> = Vec::new();
        let mut empty: Vec<String> = Vec::new();
        for (i, (id, _)) in items.iter().enumerate() {
            match document(&spec.searchable, &parsed[i]) {
                Some(doc) => docs.push((id.to_string(), doc)),
                None => empty.push(id.to_string()),
            }
        }
        write_fulltext(ex, ctx, kind, lang, &docs, &empty, fresh, &now)
            .await
            .map_err(|e| crate::ops::contributions::gate_fulltext(ctx, e))?;
    }
    for f in &spec.embeddings {
        let mut rows: Vec<(String, Vec<f32>, &str)> = Vec::new();
        let mut gone: Vec<String> = Vec::new();
        for (i, (id, _)) in items.iter().enumerate() {
            // As upstream: a value is upserted, an absent field deletes the stored vector,
            // and an explicit `null` leaves whatever vector is stored in place.
            match parsed[i].get(&f.field) {
                Some(raw) if raw.get() == "null" => {}
                Some(raw) => {
                    let v = parse_vector(raw.get(), f, kind, id)?;
                    rows.push((id.to_string(), v, raw.get()));
                }
                None => gone.push(id.to_string()),
            }
        }
        if rows.is_empty() && (gone.is_empty() || fresh) {
            continue;
        }
        let table = ensure_vector_table(ex, ctx, kind, f).await?;
        let doomed: Vec<String> = if fresh {
            gone.clone()
        } else {
            rows.iter()
                .map(|r| r.0.clone())
                .chain(gone.iter().cloned())
                .collect()
        };
        delete_vectors(ex, ctx, &table, &doomed, !fresh || !gone.is_empty()).await?;
        insert_vectors(ex, ctx, &table, &rows, &now).await?;
        if let Some(db) = ex.sqlite_conn() {
            let depth = db.depth;
            for id in gone {
                db.search.record(depth, &table, cache::Op::Delete(id));
            }
            for (id, v, _) in rows {
                db.search.record(depth, &table, cache::Op::Upsert(id, v));
            }
        }
    }
    Ok(())
}

fn parse_vector(raw: &str, f: &EmbeddingField, kind: &str, id: &str) -> Result<Vec<f32>> {
    let bad = |msg: String| {
        Error::validation(
            format!("Invalid embedding for {kind}/{id}: {msg}"),
            json!({ "entityType": "node", "kind": kind, "id": id,
                    "issues": [{ "path": f.field, "message": msg, "code": "INVALID_EMBEDDING" }] }),
        )
    };
    let v: Vec<f64> =
        serde_json::from_str(raw).map_err(|_| bad("expected an array of finite numbers".into()))?;
    if v.len() != f.dimensions {
        return Err(bad(format!(
            "expected {} dimensions, got {}",
            f.dimensions,
            v.len()
        )));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(bad("expected finite numbers".into()));
    }
    Ok(v.into_iter().map(|x| x as f32).collect())
}

#[allow(clippy::too_many_arguments)]
async fn write_fulltext<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    lang: &str,
    docs: &[(String, String)],
    empty: &[String],
    fresh: bool,
    now: &str,
) -> Result<()> {
    let ft = &ctx.tables.fulltext;
    let g = ctx.graph.id();
    let d = ex.dialect();
    match d {
        Dialect::Sqlite => {
            // FTS5 has no upsert: DELETE then INSERT, as upstream does.
            if !fresh {
                let ids: Vec<String> = docs
                    .iter()
                    .map(|x| x.0.clone())
                    .chain(empty.iter().cloned())
                    .collect();
                delete_fulltext(ex, ctx, kind, &ids).await?;
            }
            let head = format!(
                "INSERT INTO {ft} (graph_id, node_kind, node_id, content, language, updated_at) VALUES "
            );
            for group in docs.chunks(GROUP) {
                let mut sql = head.clone();
                let mut params = vec![
                    Value::text(g),
                    Value::text(kind),
                    Value::text(lang),
                    Value::text(now),
                ];
                for (i, (id, doc)) in group.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    let p = 5 + i * 2;
                    sql.push_str(&format!("(?1, ?2, ?{p}, ?{}, ?3, ?4)", p + 1));
                    params.push(Value::text(id));
                    params.push(Value::text(doc));
                }
                ex.execute(&sql, &params).await?;
            }
        }
        Dialect::Postgres => {
            let sql = format!(
                "INSERT INTO {ft} (graph_id, node_kind, node_id, content, language, updated_at) \
                 SELECT $1, $2, t.id, t.content, $3::regconfig, $4::timestamptz FROM UNNEST($5::text[], $6::text[]) AS t(id, content) \
                 ON CONFLICT (graph_id, node_kind, node_id) DO UPDATE SET content = EXCLUDED.content, language = EXCLUDED.language, updated_at = EXCLUDED.updated_at"
            );
            for chunk in docs.chunks(PG_CHUNK) {
                ex.execute(
                    &sql,
                    &[
                        Value::text(g),
                        Value::text(kind),
                        Value::text(lang),
                        Value::text(now),
                        Value::TextList(chunk.iter().map(|x| x.0.clone()).collect()),
                        Value::TextList(chunk.iter().map(|x| x.1.clone()).collect()),
                    ],
                )
                .await?;
            }
            if !fresh {
                delete_fulltext(ex, ctx, kind, empty).await?;
            }
        }
    }
    Ok(())
}

async fn delete_fulltext<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let d = ex.dialect();
    let sql = d.finish(format!(
        "DELETE FROM {} WHERE graph_id = ? AND node_kind = ? AND {}",
        ctx.tables.fulltext,
        d.in_list("node_id")
    ));
    for chunk in ids.chunks(5000) {
        ex.execute(
            &sql,
            &[
                Value::text(ctx.graph.id()),
                Value::text(kind),
                Value::TextList(chunk.to_vec()),
            ],
        )
        .await?;
    }
    Ok(())
}

async fn delete_vectors<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    table: &str,
    ids: &[String],
    needed: bool,
) -> Result<()> {
    if ids.is_empty() || !needed {
        return Ok(());
    }
    let d = ex.dialect();
    let sql = d.finish(format!(
        "DELETE FROM {} WHERE graph_id = ? AND {}",
        quote_ident(table),
        d.in_list("node_id")
    ));
    for chunk in ids.chunks(5000) {
        ex.execute(
            &sql,
            &[Value::text(ctx.graph.id()), Value::TextList(chunk.to_vec())],
        )
        .await?;
    }
    Ok(())
}

async fn insert_vectors<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    table: &str,
    rows: &[(String, Vec<f32>, &str)],
    now: &str,
) -> Result<()> {
    let g = ctx.graph.id();
    let t = quote_ident(table);
    match ex.dialect() {
        Dialect::Sqlite => {
            let head = format!(
                "INSERT INTO {t} (node_id, graph_id, created_at, updated_at, embedding) VALUES "
            );
            for group in rows.chunks(GROUP) {
                let mut sql = head.clone();
                let mut params = vec![Value::text(g), Value::text(now)];
                for (i, (id, _, raw)) in group.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    let p = 3 + i * 2;
                    sql.push_str(&format!("(?{p}, ?1, ?2, ?2, vec_f32(?{}))", p + 1));
                    params.push(Value::text(id));
                    params.push(Value::text(*raw));
                }
                ex.execute(&sql, &params).await?;
            }
        }
        Dialect::Postgres => {
            let sql = format!(
                "INSERT INTO {t} (graph_id, node_id, embedding, created_at, updated_at) \
                 SELECT $1, t.id, t.v::vector, $2::timestamptz, $2::timestamptz FROM UNNEST($3::text[], $4::text[]) AS t(id, v) \
                 ON CONFLICT (graph_id, node_id) DO UPDATE SET embedding = EXCLUDED.embedding, updated_at = EXCLUDED.updated_at"
            );
            for chunk in rows.chunks(PG_CHUNK) {
                ex.execute(
                    &sql,
                    &[
                        Value::text(g),
                        Value::text(now),
                        Value::TextList(chunk.iter().map(|r| r.0.clone()).collect()),
                        Value::TextList(chunk.iter().map(|r| r.2.to_string()).collect()),
                    ],
                )
                .await?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct DeleteFulltextArgs {
    pub kind: String,
    pub ids: Vec<String>,
}

/// `backend.deleteFulltext`: drops nodes' fulltext documents and nothing else (the nodes stay;
/// `rebuildFulltext` restores the documents). A kind without searchable fields has none.
pub async fn delete_fulltext_rows<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: DeleteFulltextArgs,
) -> Result<String> {
    if ctx
        .graph
        .spec
        .nodes
        .get(&a.kind)
        .is_some_and(|s| !s.searchable.is_empty())
    {
        delete_fulltext(ex, ctx, &a.kind, &a.ids).await?;
    }
    Ok("null".into())
}

/// Removes nodes' fulltext documents and vectors (soft and hard delete).
pub async fn remove_nodes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    ids: &[String],
) -> Result<()> {
    let Some(spec) = ctx.graph.spec.nodes.get(kind) else {
        return Ok(());
    };
    if ids.is_empty() {
        return Ok(());
    }
    if !spec.searchable.is_empty() {
        delete_fulltext(ex, ctx, kind, ids)
            .await
            .map_err(|e| crate::ops::contributions::gate_fulltext(ctx, e))?;
    }
    for f in &spec.embeddings {
        let table = ensure_vector_table(ex, ctx, kind, f).await?;
        delete_vectors(ex, ctx, &table, ids, true).await?;
        if let Some(db) = ex.sqlite_conn() {
            let depth = db.depth;
            for id in ids {
                db.search
                    .record(depth, &table, cache::Op::Delete(id.clone()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_upstream() {
        // Reference values computed with upstream's vectorPhysicalName / shortHash.
        assert_eq!(
            vector_table("g1", "Document", "embedding"),
            format!(
                "tg_vec_g1_document_embedding_{}",
                short_hash(r#"["g1","Document","embedding"]"#)
            )
        );
        assert_eq!(short_hash(r#"["g1","Document","embedding"]"#), REF_HASH);
        let long = vector_table(&"x".repeat(80), "Kind", "field");
        assert_eq!(long.len(), 63);
    }
    const REF_HASH: &str = "1dd07442";

    #[test]
    fn hash_walks_code_points_like_js() {
        assert_eq!(short_hash(r#"["ég😀","Doc-A","e"]"#), "03914c2c");
    }

    #[test]
    fn fts5_signature_matches_upstream() {
        let ddl = vec!["CREATE VIRTUAL TABLE IF NOT EXISTS \"typegraph_node_fulltext\" USING fts5(\n  graph_id UNINDEXED,\n  node_kind UNINDEXED,\n  node_id UNINDEXED,\n  language UNINDEXED,\n  updated_at UNINDEXED,\n  content,\n  tokenize='porter unicode61 remove_diacritics 2'\n);".to_string()];
        assert_eq!(
            contribution_signature(
                Dialect::Sqlite,
                "fts5",
                "fulltext",
                "typegraph_node_fulltext",
                &ddl
            ),
            "98fcbf03ae80b355e3c3d3931ca487bb"
        );
    }
}
