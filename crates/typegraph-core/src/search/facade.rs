//! `store.search.*`: fulltext, vector and hybrid (RRF) search, each one crossing and
//! hydrated in the engine, plus `rebuildFulltext`.
//!
//! SQLite vector search runs in the engine over the in-memory slots of
//! [`super::cache`] (exact, brute force); PostgreSQL uses pgvector in SQL.

use super::cache::{row_hash, AnnBase, Slot, SqliteSearch};
use super::hnsw::Hnsw;
use super::{ensure_vector_table, unsupported, EmbeddingField, Metric};
use crate::atomic;
use crate::dialect::{quote_ident, Dialect, NODE_COLS};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::ops::rows::{opt_str, push_row, push_value, NODE_PROPS};
use crate::ops::{Ctx, Temporal};
use crate::predicate::{Compiler, Pred};
use crate::util::{now_iso, push_json_str};
use crate::value::{Row, Value};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulltextArgs {
    pub kind: String,
    pub query: String,
    pub limit: i64,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub min_score: Option<f64>,
    #[serde(default)]
    pub include_snippets: bool,
    #[serde(default)]
    pub r#where: Option<Pred>,
    #[serde(default)]
    pub include_sub_classes: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorArgs {
    pub kind: String,
    pub field_path: String,
    pub query_embedding: Vec<f64>,
    pub limit: i64,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub metric: Option<Metric>,
    #[serde(default)]
    pub min_score: Option<f64>,
    #[serde(default)]
    pub ef_search: Option<i64>,
    #[serde(default)]
    pub r#where: Option<Pred>,
    #[serde(default)]
    pub include_sub_classes: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HybridVector {
    pub field_path: String,
    pub query_embedding: Vec<f64>,
    #[serde(default)]
    pub metric: Option<Metric>,
    #[serde(default)]
    pub k: Option<i64>,
    #[serde(default)]
    pub min_score: Option<f64>,
    #[serde(default)]
    pub ef_search: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HybridFulltext {
    pub query: String,
    #[serde(default)]
    pub k: Option<i64>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub min_score: Option<f64>,
    #[serde(default)]
    pub include_snippets: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Weights {
    #[serde(default)]
    pub vector: Option<f64>,
    #[serde(default)]
    pub fulltext: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Fusion {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub k: Option<f64>,
    #[serde(default)]
    pub weights: Option<Weights>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HybridArgs {
    pub kind: String,
    pub limit: i64,
    #[serde(default)]
    pub offset: Option<i64>,
    pub vector: HybridVector,
    pub fulltext: HybridFulltext,
    #[serde(default)]
    pub fusion: Option<Fusion>,
    #[serde(default)]
    pub r#where: Option<Pred>,
    #[serde(default)]
    pub include_sub_classes: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RebuildArgs {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub page_size: Option<i64>,
    #[serde(default)]
    pub max_skipped_ids: Option<i64>,
}

/// One ranked, hydrated source row.
struct Hit {
    kind: String,
    id: String,
    score: f64,
    snippet: Option<String>,
    row: Row,
}

fn positive(v: i64, label: &str) -> Result<usize> {
    if v <= 0 {
        return Err(Error::validation(
            format!("{label} must be a positive integer, got: {v}"),
            json!({ "issues": [{ "path": label, "message": "must be a positive integer" }] }),
        ));
    }
    Ok(v as usize)
}

fn offset_of(v: Option<i64>) -> Result<usize> {
    match v {
        Some(o) if o < 0 => Err(Error::validation(
            format!("offset must be a non-negative integer, got: {o}"),
            json!({}),
        )),
        Some(o) => Ok(o as usize),
        None => Ok(0),
    }
}

/// The kind itself, or it and its subclasses.
fn kinds_of(ctx: &Ctx<'_>, kind: &str, sub: bool) -> Result<Vec<String>> {
    ctx.graph.node(kind)?;
    if !sub {
        return Ok(vec![kind.to_string()]);
    }
    Ok(ctx
        .graph
        .subclasses
        .get(kind)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_else(|| vec![kind.to_string()]))
}

/// The columns of a thin hit (kind, id): enough to rank, fuse and check liveness; the
/// final page is read whole afterwards (see [`hydrate_page`]).
const THIN_COLS: &str = "kind, id";

fn node_cols_of(alias: &str, thin: bool) -> String {
    (if thin { THIN_COLS } else { NODE_COLS })
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `AND <live filter> [AND <where>]` over alias `n`, with its parameters.
fn node_filter(d: Dialect, w: Option<&Pred>, now: &str) -> Result<(String, Vec<Value>)> {
    let (t, mut params) = Temporal::default().filter("n", now)?;
    let mut sql = format!(" AND {t}");
    if let Some(w) = w {
        let mut c = Compiler::new(d, "n");
        sql.push_str(" AND ");
        sql.push_str(&c.compile(w)?);
        params.extend(c.params);
    }
    Ok((sql, params))
}

const MODES: [&str; 4] = ["websearch", "phrase", "plain", "raw"];

fn check_mode(mode: Option<&str>) -> Result<&str> {
    let m = mode.unwrap_or("websearch");
    if !MODES.contains(&m) {
        return Err(Error::validation(
            format!(
                "Unknown fulltext mode \"{m}\" (expected one of {})",
                MODES.join(", ")
            ),
            json!({ "mode": m }),
        ));
    }
    Ok(m)
}

fn fts5_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Turns a user query into an FTS5 MATCH expression, per mode (upstream's translation).
pub fn fts5_query(query: &str, mode: &str) -> String {
    match mode {
        "phrase" => fts5_quote(query),
        "plain" => query
            .split_whitespace()
            .map(fts5_quote)
            .collect::<Vec<_>>()
            .join(" "),
        "raw" => query.to_string(),
        _ => {
            let chars: Vec<char> = query.chars().collect();
            let mut i = 0;
            let mut tokens: Vec<String> = Vec::new();
            let phrase = |i: &mut usize| {
                *i += 1;
                let mut s = String::new();
                while *i < chars.len() && chars[*i] != '"' {
                    s.push(chars[*i]);
                    *i += 1;
                }
                if *i < chars.len() {
                    *i += 1;
                }
                fts5_quote(&s)
            };
            let bare = |i: &mut usize| {
                let mut s = String::new();
                while *i < chars.len() && !chars[*i].is_whitespace() {
                    s.push(chars[*i]);
                    *i += 1;
                }
                s
            };
            while i < chars.len() {
                while i < chars.len() && chars[i].is_whitespace() {
                    i += 1;
                }
                if i >= chars.len() {
                    break;
                }
                match chars[i] {
                    '"' => tokens.push(phrase(&mut i)),
                    '-' => {
                        i += 1;
                        let t = if i < chars.len() && chars[i] == '"' {
                            phrase(&mut i)
                        } else {
                            fts5_quote(&bare(&mut i))
                        };
                        tokens.push(format!("NOT {t}"));
                    }
                    '+' => i += 1,
                    _ => {
                        let b = bare(&mut i);
                        if b.is_empty() {
                            continue;
                        }
                        if b.eq_ignore_ascii_case("or") {
                            tokens.push("OR".into());
                        } else {
                            tokens.push(fts5_quote(&b));
                        }
                    }
                }
            }
            if tokens.first().is_some_and(|t| t.starts_with("NOT ")) {
                tokens.remove(0);
            }
            tokens.join(" ")
        }
    }
}

struct FtQuery<'a> {
    query: &'a str,
    mode: &'a str,
    language: Option<&'a str>,
    min_score: Option<f64>,
    snippets: bool,
}

/// A per-query `language` on SQLite: fts5's tokenizer is fixed when the table is created, so
/// the override cannot be honoured — a `ConfigurationError`, as upstream raises.
fn check_fulltext_options<E: Executor>(ex: &E, language: Option<&str>, op: &str) -> Result<()> {
    if ex.dialect() == Dialect::Sqlite && language.is_some() {
        return Err(Error::new(
            Code::Configuration,
            format!(
                "{op}: the SQLite fulltext strategy \"fts5\" cannot apply a per-query `language` \
                 (its tokenizer is set when the table is created). Drop the language option."
            ),
            json!({ "backend": "sqlite", "strategy": "fts5", "capability": "fulltext.languageOverride" }),
        ));
    }
    Ok(())
}

/// Fulltext top-`n` of one kind, live nodes only, best first.
async fn fulltext_kind<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    q: &FtQuery<'_>,
    n: usize,
    w: Option<&Pred>,
    thin: bool,
) -> Result<Vec<Hit>> {
    let d = ex.dialect();
    if d == Dialect::Sqlite && w.is_none() {
        return fulltext_ranked_sqlite(ex, ctx, kind, q, n, thin).await;
    }
    if d == Dialect::Postgres && w.is_none() {
        if let Some(lang) = q.language {
            if let Some(hits) = fulltext_ranked_pg(ex, ctx, kind, q, lang, n, thin).await? {
                return Ok(hits);
            }
        }
    }
    let now = now_iso();
    let ft = &ctx.tables.fulltext;
    let nodes = &ctx.tables.nodes;
    let ncols = node_cols_of("n", thin);
    let (filter, fparams) = node_filter(d, w, &now)?;
    let mut params: Vec<Value> = Vec::new();
    let sql = match d {
        Dialect::Sqlite => {
            let m = fts5_query(q.query, q.mode);
            if m.trim().is_empty() {
                return Ok(Vec::new());
            }
            let snip = if q.snippets {
                format!("snippet({ft}, -1, '<mark>', '</mark>', '…', 20)")
            } else {
                "NULL".into()
            };
            params.push(Value::text(m));
            params.push(Value::text(ctx.graph.id()));
            params.push(Value::text(kind));
            params.extend(fparams);
            let min = if let Some(s) = q.min_score {
                params.push(Value::Real(s));
                format!(" AND -bm25({ft}) >= ?")
            } else {
                String::new()
            };
            params.push(Value::Int(n as i64));
            format!(
                "SELECT {ncols}, -bm25({ft}) AS score, {snip} FROM {ft} CROSS JOIN {nodes} n \
                 ON n.graph_id = {ft}.graph_id AND n.kind = {ft}.node_kind AND n.id = {ft}.node_id \
                 WHERE {ft} MATCH ? AND {ft}.graph_id = ? AND {ft}.node_kind = ?{filter}{min} \
                 ORDER BY score DESC, {ft}.node_id LIMIT ?"
            )
        }
        Dialect::Postgres => {
            let func = match q.mode {
                "phrase" => "phraseto_tsquery",
                "plain" => "plainto_tsquery",
                "raw" => "to_tsquery",
                _ => "websearch_to_tsquery",
            };
            // Each use of the query expression binds its own parameters, in text order.
            let lang = |p: &mut Vec<Value>| -> String {
                match q.language {
                    Some(l) => {
                        p.push(Value::text(l));
                        "CAST(? AS regconfig)".into()
                    }
                    None => "ft.\"language\"".into(),
                }
            };
            let tsq = |p: &mut Vec<Value>| -> String {
                let l = lang(p);
                p.push(Value::text(q.query));
                format!("{func}({l}, ?)")
            };
            let rank = format!("ts_rank_cd(ft.tsv, {})::float8", tsq(&mut params));
            let snip = if q.snippets {
                let l = lang(&mut params);
                let t = tsq(&mut params);
                format!("ts_headline({l}, ft.content, {t}, 'StartSel=<mark>,StopSel=</mark>,MaxFragments=1,MinWords=5,MaxWords=30,ShortWord=3')")
            } else {
                "NULL::text".into()
            };
            let matcher = tsq(&mut params);
            params.push(Value::text(ctx.graph.id()));
            params.push(Value::text(kind));
            params.extend(fparams);
            let min = if let Some(s) = q.min_score {
                let r = tsq(&mut params);
                params.push(Value::Real(s));
                format!(" AND ts_rank_cd(ft.tsv, {r})::float8 >= ?")
            } else {
                String::new()
            };
            params.push(Value::Int(n as i64));
            d.finish(format!(
                "SELECT {ncols}, {rank} AS score, {snip} FROM {ft} ft JOIN {nodes} n \
                 ON n.graph_id = ft.graph_id AND n.kind = ft.node_kind AND n.id = ft.node_id \
                 WHERE ft.tsv @@ {matcher} AND ft.graph_id = ? AND ft.node_kind = ?{filter}{min} \
                 ORDER BY score DESC, ft.node_id COLLATE \"C\" LIMIT ?"
            ))
        }
    };
    let rows = ex.query(&sql, &params).await?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let snippet = r.pop().and_then(|v| v.as_str().map(String::from));
            let score = match r.pop() {
                Some(Value::Real(f)) => f,
                Some(Value::Int(i)) => i as f64,
                _ => 0.0,
            };
            Hit {
                kind: opt_str(&r, 0).unwrap_or(kind).to_string(),
                id: opt_str(&r, 1).unwrap_or_default().to_string(),
                score,
                snippet,
                row: r,
            }
        })
        .collect())
}

/// PostgreSQL without a `where`, with a constant language: rank the documents alone (the GIN
/// match, `ts_rank_cd` and a top-`n` sort over the side table), then join only those `n` to
/// their nodes for the live filter and the row. Ranking and ordering are the full query's, so
/// when all `n` ranked documents belong to live nodes they are its answer; otherwise (ended
/// nodes among them, or fewer matches than `n`) `None` sends the caller to the joined form.
async fn fulltext_ranked_pg<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    q: &FtQuery<'_>,
    lang: &str,
    n: usize,
    thin: bool,
) -> Result<Option<Vec<Hit>>> {
    let func = match q.mode {
        "phrase" => "phraseto_tsquery",
        "plain" => "plainto_tsquery",
        "raw" => "to_tsquery",
        _ => "websearch_to_tsquery",
    };
    let now = now_iso();
    let ft = &ctx.tables.fulltext;
    let nodes = &ctx.tables.nodes;
    let ncols = node_cols_of("n", thin);
    let (filter, fparams) = node_filter(Dialect::Postgres, None, &now)?;
    let tsq = format!("{func}(CAST(? AS regconfig), ?)");
    // Parameters in text order: the CTE's, the snippet's, the live filter's, the limit.
    let mut params: Vec<Value> = Vec::new();
    params.extend([Value::text(lang), Value::text(q.query)]);
    params.extend([Value::text(lang), Value::text(q.query)]);
    params.push(Value::text(ctx.graph.id()));
    params.push(Value::text(kind));
    let min = if let Some(s) = q.min_score {
        params.extend([Value::text(lang), Value::text(q.query), Value::Real(s)]);
        format!(" AND ts_rank_cd(ft.tsv, {tsq})::float8 >= ?")
    } else {
        String::new()
    };
    params.push(Value::Int(n as i64));
    let snip = if q.snippets {
        params.extend([Value::text(lang), Value::text(lang), Value::text(q.query)]);
        format!("ts_headline(CAST(? AS regconfig), t.content, {tsq}, 'StartSel=<mark>,StopSel=</mark>,MaxFragments=1,MinWords=5,MaxWords=30,ShortWord=3')")
    } else {
        "NULL::text".into()
    };
    params.extend(fparams);
    params.push(Value::Int(n as i64));
    // `tg_ranked` counts the ranked page, so a short answer tells "fewer matches" (complete)
    // from "ended nodes among the best" (needs the joined form).
    let sql = Dialect::Postgres.finish(format!(
        "WITH t AS MATERIALIZED (SELECT ft.graph_id, ft.node_kind, ft.node_id, ft.content, \
         ts_rank_cd(ft.tsv, {tsq})::float8 AS score FROM {ft} ft \
         WHERE ft.tsv @@ {tsq} AND ft.graph_id = ? AND ft.node_kind = ?{min} \
         ORDER BY score DESC, ft.node_id COLLATE \"C\" LIMIT ?) \
         SELECT {ncols}, (SELECT COUNT(*) FROM t) AS tg_ranked, t.score, {snip} FROM t \
         JOIN {nodes} n ON n.graph_id = t.graph_id AND n.kind = t.node_kind AND n.id = t.node_id \
         WHERE TRUE{filter} ORDER BY t.score DESC, t.node_id COLLATE \"C\" LIMIT ?"
    ));
    let rows = ex.query(&sql, &params).await?;
    let ranked = rows
        .first()
        .and_then(|r| r.get(r.len().checked_sub(3)?))
        .and_then(|v| match v {
            Value::Int(i) => Some(*i as usize),
            _ => None,
        });
    // No row says nothing about how many were ranked: the joined form decides.
    if rows.len() < n && ranked.is_none_or(|c| c >= n) {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .map(|mut r| {
                let snippet = r.pop().and_then(|v| v.as_str().map(String::from));
                let score = match r.pop() {
                    Some(Value::Real(f)) => f,
                    Some(Value::Int(i)) => i as f64,
                    _ => 0.0,
                };
                r.pop();
                Hit {
                    kind: opt_str(&r, 0).unwrap_or(kind).to_string(),
                    id: opt_str(&r, 1).unwrap_or_default().to_string(),
                    score,
                    snippet,
                    row: r,
                }
            })
            .collect(),
    ))
}

/// SQLite without a `where`: rank in FTS5 alone, then hydrate the page by primary key,
/// widening the page while ended nodes drop out (soft-deleted ones have no document).
async fn fulltext_ranked_sqlite<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    q: &FtQuery<'_>,
    n: usize,
    thin: bool,
) -> Result<Vec<Hit>> {
    let m_expr = fts5_query(q.query, q.mode);
    if m_expr.trim().is_empty() {
        return Ok(Vec::new());
    }
    let ft = &ctx.tables.fulltext;
    let snip = if q.snippets {
        format!("snippet({ft}, -1, '<mark>', '</mark>', '…', 20)")
    } else {
        "NULL".into()
    };
    let min = if q.min_score.is_some() {
        format!(" AND -bm25({ft}) >= ?5")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT node_id, -bm25({ft}) AS score, {snip} FROM {ft} \
         WHERE {ft} MATCH ?1 AND graph_id = ?2 AND node_kind = ?3{min} ORDER BY score DESC, node_id LIMIT ?4"
    );
    let mut m = n;
    loop {
        if !q.snippets {
            let (ranked, exhausted) = {
                let db = ex.sqlite_conn().expect("sqlite executor");
                fts5_ranked_ids(&db.conn, ctx, kind, &m_expr, q.min_score, m)?
            };
            let ids: Vec<String> = ranked.iter().map(|r| r.0.clone()).collect();
            let mut rows = hydrate(ex, ctx, kind, &ids, None, thin).await?;
            let hits: Vec<Hit> = ranked
                .into_iter()
                .filter_map(|(id, score)| {
                    rows.remove(&id).map(|row| Hit {
                        kind: kind.to_string(),
                        id,
                        score,
                        snippet: None,
                        row,
                    })
                })
                .collect();
            if hits.len() >= n || exhausted {
                return Ok(hits.into_iter().take(n).collect());
            }
            m *= 4;
            continue;
        }
        let mut params = vec![
            Value::text(&m_expr),
            Value::text(ctx.graph.id()),
            Value::text(kind),
            Value::Int(m as i64),
        ];
        if let Some(s) = q.min_score {
            params.push(Value::Real(s));
        }
        let ranked = ex.query(&sql, &params).await?;
        let exhausted = ranked.len() < m;
        let ids: Vec<String> = ranked
            .iter()
            .filter_map(|r| opt_str(r, 0).map(String::from))
            .collect();
        let mut rows = hydrate(ex, ctx, kind, &ids, None, thin).await?;
        let hits: Vec<Hit> = ranked
            .into_iter()
            .filter_map(|r| {
                let id = opt_str(&r, 0)?.to_string();
                let score = match r.get(1) {
                    Some(Value::Real(f)) => *f,
                    Some(Value::Int(i)) => *i as f64,
                    _ => 0.0,
                };
                let snippet = r.get(2).and_then(|v| v.as_str().map(String::from));
                rows.remove(&id).map(|row| Hit {
                    kind: kind.to_string(),
                    id,
                    score,
                    snippet,
                    row,
                })
            })
            .collect();
        if hits.len() >= n || exhausted {
            return Ok(hits.into_iter().take(n).collect());
        }
        m *= 4;
    }
}

/// The first `want` documents of `kind` matching `m_expr`, by (score desc, node id): the same
/// order as `ORDER BY -bm25 DESC, node_id`, without reading a document row per match. FTS5
/// scores every match alone (bm25 needs only the index and the document sizes); the ranked
/// rowids' (graph, kind, node id) are then read from the table's content store score group
/// by score group, only as far as the page needs — a tie at the page's edge is broken by
/// node id, so its whole group is read. Also whether no further match exists.
fn fts5_ranked_ids(
    conn: &rusqlite::Connection,
    ctx: &Ctx<'_>,
    kind: &str,
    m_expr: &str,
    min_score: Option<f64>,
    want: usize,
) -> Result<(Vec<(String, f64)>, bool)> {
    let ft = &ctx.tables.fulltext;
    let content = quote_ident(&format!(
        "{}_content",
        ctx.tables.physical("fulltext", "typegraph_node_fulltext")
    ));
    let mut all: Vec<(i64, f64)> = {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT rowid, -bm25({ft}) FROM {ft} WHERE {ft} MATCH ?1"
        ))?;
        let rows = stmt.query_map([m_expr], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if let Some(min) = min_score {
        all.retain(|x| x.1 >= min);
    }
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut look = conn.prepare_cached(&format!(
        "SELECT id, c0, c1, c2 FROM {content} WHERE id IN (SELECT value FROM json_each(?1))"
    ))?;
    let graph = ctx.graph.id();
    let mut out: Vec<(String, f64)> = Vec::new();
    let mut i = 0;
    while i < all.len() && out.len() < want {
        // Enough rows to fill the page if all are this graph's and kind's, to a group's end.
        let mut j = (i + (want - out.len())).min(all.len());
        while j < all.len() && all[j].1 == all[j - 1].1 {
            j += 1;
        }
        let mut list = String::from("[");
        for (x, (rowid, _)) in all[i..j].iter().enumerate() {
            if x > 0 {
                list.push(',');
            }
            list.push_str(&rowid.to_string());
        }
        list.push(']');
        let mut ids: HashMap<i64, String> = HashMap::new();
        let mut rows = look.query([list])?;
        while let Some(r) = rows.next()? {
            let ours = r.get_ref(1)?.as_str().ok() == Some(graph)
                && r.get_ref(2)?.as_str().ok() == Some(kind);
            if let (true, Ok(id)) = (ours, r.get_ref(3)?.as_str()) {
                ids.insert(r.get(0)?, id.to_string());
            }
        }
        let mut got: Vec<(String, f64)> = all[i..j]
            .iter()
            .filter_map(|(rowid, score)| ids.remove(rowid).map(|id| (id, *score)))
            .collect();
        got.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.extend(got);
        i = j;
    }
    let exhausted = i >= all.len() && out.len() <= want;
    out.truncate(want);
    Ok((out, exhausted))
}

fn cmp_desc(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.id.cmp(&b.id))
}

async fn fulltext_source<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kinds: &[String],
    q: &FtQuery<'_>,
    n: usize,
    w: Option<&Pred>,
    thin: bool,
) -> Result<Vec<Hit>> {
    let mut all = Vec::new();
    for k in kinds {
        let lang_default;
        let mut qk = FtQuery { ..*q };
        if ex.dialect() == Dialect::Postgres && q.language.is_none() {
            // Upstream queries with the kind's declared language when none is given.
            lang_default = ctx.graph.spec.nodes[k]
                .searchable
                .first()
                .map(|f| f.language.clone());
            qk.language = lang_default.as_deref();
        }
        all.extend(fulltext_kind(ex, ctx, k, &qk, n, w, thin).await?);
    }
    if kinds.len() > 1 {
        all.sort_by(cmp_desc);
        all.truncate(n);
    }
    Ok(all)
}

pub async fn fulltext<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: FulltextArgs) -> Result<String> {
    let limit = positive(a.limit, "limit")?;
    let offset = offset_of(a.offset)?;
    let mode = check_mode(a.mode.as_deref())?;
    check_fulltext_options(ex, a.language.as_deref(), "store.search.fulltext")?;
    let kinds = kinds_of(ctx, &a.kind, a.include_sub_classes)?;
    let q = FtQuery {
        query: &a.query,
        mode,
        language: a.language.as_deref(),
        min_score: a.min_score,
        snippets: a.include_snippets,
    };
    let hits = fulltext_source(
        ex,
        ctx,
        &kinds,
        &q,
        limit + offset,
        a.r#where.as_ref(),
        false,
    )
    .await?;
    Ok(hits_json(
        ctx,
        hits.into_iter().skip(offset).take(limit),
        |_| None,
    ))
}

fn hits_json(
    ctx: &Ctx<'_>,
    hits: impl Iterator<Item = Hit>,
    extra: impl Fn(&Hit) -> Option<String>,
) -> String {
    let mut out = String::from("[");
    // Embedding values travel after the JSON, as raw text: `\0` + JSON + (`\0` + part)*.
    // A hit's `lazy` maps each such field to its part's index; the TypeScript layer parses a
    // part only when the field is read. JSON text never holds a raw NUL, nor does a number.
    let mut parts = String::new();
    let mut part_count = 0usize;
    for (i, h) in hits.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"row\":");
        let fields = ctx
            .graph
            .spec
            .nodes
            .get(&h.kind)
            .map(|s| s.embeddings.as_slice())
            .unwrap_or(&[]);
        let lazy = if fields.is_empty() {
            let _ = push_row(&mut out, &h.row, NODE_PROPS);
            None
        } else {
            push_row_lazy(&mut out, &h.row, fields, &mut parts, &mut part_count)
        };
        out.push_str(",\"score\":");
        out.push_str(&num(h.score));
        out.push_str(&format!(",\"rank\":{}", i + 1));
        if let Some(s) = &h.snippet {
            out.push_str(",\"snippet\":");
            push_json_str(&mut out, s);
        }
        if let Some(l) = lazy {
            out.push_str(",\"lazy\":");
            out.push_str(&l);
        }
        if let Some(e) = extra(&h) {
            out.push(',');
            out.push_str(&e);
        }
        out.push('}');
    }
    out.push(']');
    if part_count == 0 {
        return out;
    }
    let mut framed = String::with_capacity(out.len() + parts.len() + 1);
    framed.push('\0');
    framed.push_str(&out);
    framed.push_str(&parts);
    framed
}

/// Top-level entries of a JSON object text, in document order: (raw key with its quotes,
/// raw value text). A byte scan (strings and nesting tracked), no number parsing — the
/// text was written by the engine from valid JSON. `None` when it isn't an object.
fn object_entries(text: &str) -> Option<Vec<(&str, &str)>> {
    let b = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let string_end = |mut i: usize| -> Option<usize> {
        // b[i] == '"'; returns the index after the closing quote.
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i + 1),
                _ => i += 1,
            }
        }
        None
    };
    let mut i = skip_ws(0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(i + 1);
    let mut out = Vec::new();
    if b.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let kend = string_end(i)?;
        let key = &text[i..kend];
        i = skip_ws(kend);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let vstart = skip_ws(i + 1);
        let mut j = vstart;
        // A flat array (numbers: an embedding) ends at the first `]` when no `[` or string
        // comes before it: found with one SIMD scan instead of byte by byte.
        if b.get(j) == Some(&b'[') {
            if let Some(k) = memchr::memchr3(b']', b'[', b'"', &b[j + 1..]) {
                if b[j + 1 + k] == b']' {
                    j += k + 2;
                }
            }
        }
        let mut depth = 0i32;
        while j < b.len() {
            match b[j] {
                b'"' => {
                    j = string_end(j)?;
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' if depth > 0 => depth -= 1,
                b',' | b'}' if depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        let mut vend = j;
        while vend > vstart && b[vend - 1].is_ascii_whitespace() {
            vend -= 1;
        }
        out.push((key, &text[vstart..vend]));
        match b.get(j) {
            Some(b',') => i = skip_ws(j + 1),
            Some(b'}') => return Some(out),
            _ => return None,
        }
    }
}

/// Whether raw key text (with quotes) names one of `fields`.
fn key_is(raw: &str, fields: &[EmbeddingField]) -> bool {
    let inner = &raw[1..raw.len() - 1];
    if inner.contains('\\') {
        let k: String = serde_json::from_str(raw).unwrap_or_default();
        fields.iter().any(|f| f.field == k)
    } else {
        fields.iter().any(|f| f.field == inner)
    }
}

/// A node row whose embedding values travel as raw JSON text after the result (`parts`,
/// each preceded by `\0`), parsed by the TypeScript layer only when read: a search hit's
/// vectors are thousands of numbers that callers rarely look at. The field keeps its place in
/// the props object (value `0`); the returned `lazy` object maps it to its part's index.
fn push_row_lazy(
    out: &mut String,
    row: &Row,
    fields: &[EmbeddingField],
    parts: &mut String,
    part_count: &mut usize,
) -> Option<String> {
    let props = row.get(NODE_PROPS).and_then(Value::as_str);
    let entries = props.and_then(object_entries);
    let Some(entries) =
        entries.filter(|e| e.iter().any(|(k, v)| *v != "null" && key_is(k, fields)))
    else {
        let _ = push_row(out, row, NODE_PROPS);
        return None;
    };
    let mut lazy = String::from("{");
    out.push('[');
    for (c, v) in row.iter().enumerate() {
        if c > 0 {
            out.push(',');
        }
        if c != NODE_PROPS {
            push_value(out, v);
            continue;
        }
        out.push('{');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push(':');
            if *v != "null" && key_is(k, fields) {
                out.push('0');
                if lazy.len() > 1 {
                    lazy.push(',');
                }
                lazy.push_str(k);
                lazy.push(':');
                lazy.push_str(&part_count.to_string());
                parts.push('\0');
                parts.push_str(v);
                *part_count += 1;
            } else {
                out.push_str(v);
            }
        }
        out.push('}');
    }
    out.push(']');
    lazy.push('}');
    Some(lazy)
}

fn num(f: f64) -> String {
    serde_json::to_string(&f).unwrap_or_else(|_| "null".into())
}

/// The declared embedding field of `kind`, checked against the query.
fn embedding_field<'a>(ctx: &'a Ctx<'_>, kind: &str, field: &str) -> Option<&'a EmbeddingField> {
    ctx.graph
        .spec
        .nodes
        .get(kind)?
        .embeddings
        .iter()
        .find(|f| f.field == field)
}

struct VecQuery<'a> {
    field: &'a str,
    query: Vec<f32>,
    raw: String,
    metric: Metric,
    min_score: Option<f64>,
    ef_search: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
fn vector_query<'a, E: Executor>(
    ex: &E,
    ctx: &Ctx<'_>,
    kinds: &[String],
    kind: &str,
    field: &'a str,
    emb: &[f64],
    metric: Option<Metric>,
    min_score: Option<f64>,
    ef_search: Option<i64>,
    op: &str,
) -> Result<(VecQuery<'a>, Vec<String>)> {
    let declaring: Vec<String> = kinds
        .iter()
        .filter(|k| embedding_field(ctx, k, field).is_some())
        .cloned()
        .collect();
    let Some(first) = declaring.first() else {
        return Err(Error::new(
            Code::Configuration,
            format!("Node kind \"{kind}\" has no embedding field \"{field}\". Declare it with embedding(dimensions) on the node schema."),
            json!({ "capability": "vector", "graphId": ctx.graph.id() }),
        ));
    };
    let f = embedding_field(ctx, first, field).expect("declared");
    // Scores of different metrics cannot merge into one ranking (upstream refuses too).
    let mut metrics: Vec<&str> = declaring
        .iter()
        .filter_map(|k| embedding_field(ctx, k, field))
        .map(|e| e.metric.as_str())
        .collect();
    metrics.dedup();
    if metrics.len() > 1 {
        metrics.sort_unstable();
        metrics.dedup();
        return Err(Error::new(
            Code::Configuration,
            format!("{op}: kinds expanded from \"{kind}\" declare different metrics for \"{field}\" ({}). One ranking across kinds needs one declared metric; search the kinds separately.", metrics.join(", ")),
            json!({ "capability": "vector", "graphId": ctx.graph.id() }),
        ));
    }
    if let Some(m) = metric {
        if m != f.metric {
            return Err(Error::new(
                Code::Configuration,
                format!("{op}: metric \"{}\" does not match the field's declared metric \"{}\". Vector storage is built for the declared metric — omit metric or pass \"{}\".", m.as_str(), f.metric.as_str(), f.metric.as_str()),
                json!({ "capability": "vector" }),
            ));
        }
    }
    // Upstream's labels for these range checks: `vectorSearch` / `hybridSearch.vector`.
    let label = match op {
        "store.search.hybrid.vector" => "hybridSearch.vector",
        _ => "vectorSearch",
    };
    if emb.len() != f.dimensions {
        return Err(Error::new(
            Code::Range,
            format!(
                "{label}: queryEmbedding has {} dimensions, but \"{}\" are declared for this field.",
                emb.len(),
                f.dimensions
            ),
            json!({}),
        ));
    }
    if emb.iter().any(|x| !x.is_finite()) {
        return Err(Error::validation(
            format!("{op}: queryEmbedding must contain finite numbers"),
            json!({}),
        ));
    }
    if let Some(s) = min_score {
        if !s.is_finite() {
            return Err(Error::new(
                Code::Range,
                format!("{label}.minScore must be a finite number, got: {s}"),
                json!({}),
            ));
        }
        if f.metric == Metric::Cosine && s.abs() > 1.0 {
            return Err(Error::new(
                Code::Range,
                format!(
                    "{label}.minScore for the cosine metric must be between -1 and 1, got: {s}"
                ),
                json!({}),
            ));
        }
    }
    if let Some(ef) = ef_search {
        if ex.dialect() == Dialect::Postgres && f.index_type == "ivfflat" {
            return Err(Error::new(
                Code::Configuration,
                format!("{op}: efSearch tunes HNSW indexes only; the field \"{field}\" is declared with indexType \"ivfflat\". Drop efSearch."),
                json!({ "capability": "vector", "indexType": "ivfflat" }),
            ));
        }
        if ex.dialect() == Dialect::Sqlite && f.index_type != "hnsw" {
            return Err(unsupported(
                op,
                "vector.searchFrontierTuning",
                "Only fields declared with indexType \"hnsw\" have an ANN frontier to tune on SQLite; drop efSearch.",
            ));
        }
        if !(1..=1000).contains(&ef) {
            return Err(Error::validation(
                format!("efSearch must be an integer in 1..1000, got: {ef}"),
                json!({}),
            ));
        }
    }
    // Only SQL needs the text form: PostgreSQL always, SQLite only in its uncommitted-writes path.
    let raw = if ex.dialect() == Dialect::Postgres {
        vector_literal(emb)
    } else {
        String::new()
    };
    Ok((
        VecQuery {
            field,
            query: emb.iter().map(|&x| x as f32).collect(),
            raw,
            metric: f.metric,
            min_score,
            ef_search,
        },
        declaring,
    ))
}

/// `[x,y,…]`, the text form pgvector and sqlite-vec parse.
fn vector_literal(emb: &[f64]) -> String {
    let mut out = String::with_capacity(emb.len() * 20 + 2);
    out.push('[');
    for (i, x) in emb.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&x.to_string());
    }
    out.push(']');
    out
}

/// Rows of `ids` that are live (and match `w`), keyed by id. Keyed by primary key: the
/// temporal columns are kept away from the planner (as `getNodes` does).
async fn hydrate<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    ids: &[String],
    w: Option<&Pred>,
    thin: bool,
) -> Result<HashMap<String, Row>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let d = ex.dialect();
    let now = now_iso();
    let (filter, fparams) = Temporal::default().filter_keyed(d, &now)?;
    let cols = if thin { THIN_COLS } else { NODE_COLS };
    let mut sql = format!(
        "SELECT {cols} FROM {} WHERE graph_id = ? AND kind = ? AND {} AND {filter}",
        ctx.tables.nodes,
        d.in_list("id")
    );
    let mut params = vec![
        Value::text(ctx.graph.id()),
        Value::text(kind),
        Value::TextList(ids.to_vec()),
    ];
    params.extend(fparams);
    if let Some(w) = w {
        let mut c = Compiler::new(d, "");
        sql.push_str(" AND ");
        sql.push_str(&c.compile(w)?);
        params.extend(c.params);
    }
    let rows = ex.query(&d.finish(sql), &params).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| opt_str(&r, 1).map(String::from).map(|id| (id, r)))
        .collect())
}

/// Reads the whole rows of thin hits (one statement per kind), keeping their order. The
/// hits were checked live when ranked; on SQLite nothing runs in between, so none drops
/// out — on PostgreSQL a node ended by a concurrent commit since then is left out.
async fn hydrate_page<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, hits: Vec<Hit>) -> Result<Vec<Hit>> {
    let mut by_kind: Vec<(&str, Vec<String>)> = Vec::new();
    for h in &hits {
        match by_kind.iter_mut().find(|(k, _)| *k == h.kind) {
            Some((_, ids)) => ids.push(h.id.clone()),
            None => by_kind.push((&h.kind, vec![h.id.clone()])),
        }
    }
    let mut rows: HashMap<(String, String), Row> = HashMap::new();
    for (kind, ids) in by_kind {
        for (id, row) in hydrate(ex, ctx, kind, &ids, None, false).await? {
            rows.insert((kind.to_string(), id), row);
        }
    }
    Ok(hits
        .into_iter()
        .filter_map(|h| {
            let row = rows.remove(&(h.kind.clone(), h.id.clone()))?;
            Some(Hit { row, ..h })
        })
        .collect())
}

/// Ids of live nodes of `kind` matching `w` (the candidate set of a filtered search).
async fn candidates<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    w: &Pred,
) -> Result<HashSet<String>> {
    // Only the `where`: liveness is checked when the ranked rows are hydrated. Testing it
    // here would read the temporal columns, which sit behind the (large) props value in
    // every row; the `where` alone can often be answered from a declared index.
    let d = ex.dialect();
    let mut c = Compiler::new(d, "n");
    let filter = c.compile(w)?;
    let sql = d.finish(format!(
        "SELECT n.id FROM {} n WHERE n.graph_id = ? AND n.kind = ? AND {filter}",
        ctx.tables.nodes
    ));
    let mut params = vec![Value::text(ctx.graph.id()), Value::text(kind)];
    params.extend(c.params);
    Ok(ex
        .query(&sql, &params)
        .await?
        .into_iter()
        .filter_map(|r| opt_str(&r, 0).map(String::from))
        .collect())
}

/// Upstream's auto-derived vector index name: `tg_vec_<kind>_<field>_<metric>`.
pub fn vector_index_name(kind: &str, f: &EmbeddingField) -> String {
    let clean = |v: &str| -> String {
        let mut out = String::new();
        for c in v.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else {
                (0..c.len_utf16()).for_each(|_| out.push('_'));
            }
        }
        out
    };
    format!(
        "tg_vec_{}_{}_{}",
        clean(kind),
        clean(&f.field),
        f.metric.as_str()
    )
}

/// Below this many live rows a slot is searched exactly even when it has an ANN graph.
pub(crate) const ANN_MIN_ROWS: usize = 1000;
/// The HNSW frontier when the caller gives no `efSearch`.
pub(crate) const DEFAULT_EF_SEARCH: usize = 100;

/// Loads (or reloads after another connection committed) a slot from its vec0 table.
/// `ann`: the HNSW parameters and status key when the field declares an HNSW index; the
/// graph is (re)built on load when `materializeIndexes()` recorded that index.
pub(crate) fn ensure_slot(
    search: &mut SqliteSearch,
    conn: &rusqlite::Connection,
    table: &str,
    graph: &str,
    f: &EmbeddingField,
    ann: Option<(&str, &str)>,
) -> Result<()> {
    let v: i64 = conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?;
    if search.data_version != Some(v) {
        // Another connection committed: graphs are kept aside and reconciled on load.
        for (t, slot) in search.slots.drain() {
            if slot.ann.is_some() {
                search.stale.insert(t, slot);
            }
        }
        search.data_version = Some(v);
    }
    if search.slots.contains_key(table) {
        return Ok(());
    }
    let mut slot = Slot::new(f.dimensions, f.metric);
    read_rows(conn, table, graph, f, &mut slot)?;
    if let Some((status, key)) = ann {
        let recorded: bool = conn
            .query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM {status} WHERE index_name = ?1 AND materialized_at IS NOT NULL)"),
                [key],
                |r| r.get(0),
            )
            .unwrap_or(false);
        let stale = search.stale.remove(table);
        if recorded {
            let params = (
                f.m.unwrap_or(16) as usize,
                f.ef_construction.unwrap_or(64) as usize,
            );
            // The graph this connection had, else the one saved beside the table; either
            // is reconciled row by row with what the table holds now.
            let base = stale
                .and_then(Slot::into_base)
                .or_else(|| load_ann(conn, table, graph, f))
                .filter(|b| b.ann.params() == Hnsw::new(params.0, params.1).params());
            match base.and_then(|b| Slot::adopt(&slot, b)) {
                Some((s, changed)) => {
                    // Small drifts are cheap to reconcile again; save once they add up.
                    if changed > 256 || changed * 100 > s.ids.len() {
                        save_ann(conn, table, graph, &s);
                    }
                    slot = s;
                }
                None => {
                    slot.build_ann(params.0, params.1);
                    save_ann(conn, table, graph, &slot);
                }
            }
        }
    }
    search.slots.insert(table.to_string(), slot);
    Ok(())
}

/// Reads a vector table's rows of `graph` into `slot` (normalised for cosine).
fn read_rows(
    conn: &rusqlite::Connection,
    table: &str,
    graph: &str,
    f: &EmbeddingField,
    slot: &mut Slot,
) -> Result<()> {
    let mut stmt = conn.prepare(&format!(
        "SELECT node_id, embedding FROM {} WHERE graph_id = ?",
        quote_ident(table)
    ))?;
    let mut rows = stmt.query([graph])?;
    let mut buf = vec![0f32; f.dimensions];
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let blob = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        if blob.len() != f.dimensions * 4 {
            continue;
        }
        for (k, c) in blob.chunks_exact(4).enumerate() {
            buf[k] = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        if f.metric == Metric::Cosine {
            super::cache::normalize(&mut buf);
        }
        slot.upsert(id, &buf);
    }
    Ok(())
}

/// Our own side table holding saved HNSW graphs (upstream ignores it): one row per
/// (vector table, graph), with the row ids and vector hashes the graph was built over.
const ANN_TABLE: &str = "typegraph_hnsw_graphs";

/// A saved graph of `table` for `graph`, when one exists and fits the field.
fn load_ann(
    conn: &rusqlite::Connection,
    table: &str,
    graph: &str,
    f: &EmbeddingField,
) -> Option<AnnBase> {
    let row = conn
        .query_row(
            &format!("SELECT dims, metric, ids, hashes, graph FROM {ANN_TABLE} WHERE vector_table = ?1 AND graph_id = ?2"),
            [table, graph],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            },
        )
        .ok()?;
    let (dims, metric, ids, hashes, blob) = row;
    if dims as usize != f.dimensions || metric != f.metric.as_str() {
        return None;
    }
    let ids: Vec<Option<String>> = serde_json::from_str(&ids).ok()?;
    if hashes.len() != ids.len() * 8 {
        return None;
    }
    let hashes = hashes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Some(AnnBase {
        ids,
        hashes,
        data: None,
        ann: Hnsw::from_bytes(&blob)?,
    })
}

/// Saves a slot's graph beside its table (best effort, outside transactions only: a
/// search never writes into the caller's transaction; a read-only or busy database just
/// means the next open reconciles from further back or rebuilds).
fn save_ann(conn: &rusqlite::Connection, table: &str, graph: &str, slot: &Slot) {
    let Some(ann) = slot.ann.as_ref() else {
        return;
    };
    if !conn.is_autocommit() {
        return;
    }
    let d = slot.dims;
    let ids: Vec<Option<&str>> = (0..slot.ids.len())
        .map(|i| (!slot.dead[i]).then_some(slot.ids[i].as_str()))
        .collect();
    let mut hashes = Vec::with_capacity(ids.len() * 8);
    for i in 0..slot.ids.len() {
        hashes.extend_from_slice(&row_hash(&slot.data[i * d..(i + 1) * d]).to_le_bytes());
    }
    let ids = serde_json::to_string(&ids).unwrap_or_default();
    // Never wait on another connection's write lock from a search: skip the save instead.
    let busy: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap_or(0);
    let _ = conn.busy_timeout(std::time::Duration::ZERO);
    let _ = conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {ANN_TABLE} (vector_table TEXT NOT NULL, graph_id TEXT NOT NULL, \
         dims INTEGER NOT NULL, metric TEXT NOT NULL, ids TEXT NOT NULL, hashes BLOB NOT NULL, \
         graph BLOB NOT NULL, saved_at TEXT NOT NULL, PRIMARY KEY (vector_table, graph_id))"
    ));
    let _ = conn.execute(
        &format!("INSERT OR REPLACE INTO {ANN_TABLE} (vector_table, graph_id, dims, metric, ids, hashes, graph, saved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        rusqlite::params![table, graph, d as i64, slot.metric.as_str(), ids, hashes, ann.to_bytes(), now_iso()],
    );
    let _ = conn.busy_timeout(std::time::Duration::from_millis(busy.max(0) as u64));
}

/// Deletes the HNSW graph saved for `table` in `graph` (the vector table is being dropped)
/// and forgets the connection's in-memory rows of it. SQLite only; a no-op elsewhere or
/// when no graph was ever saved. Runs inside the caller's transaction.
pub async fn forget_ann<E: Executor>(ex: &mut E, table: &str, graph: &str) -> Result<()> {
    if ex.dialect() != Dialect::Sqlite {
        return Ok(());
    }
    let saved = !ex
        .query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            &[Value::text(ANN_TABLE)],
        )
        .await?
        .is_empty();
    if saved {
        ex.execute(
            &format!("DELETE FROM {ANN_TABLE} WHERE vector_table = ? AND graph_id = ?"),
            &[Value::text(table), Value::text(graph)],
        )
        .await?;
    }
    if let Some(db) = ex.sqlite_conn() {
        db.search.slots.remove(table);
        db.search.stale.remove(table);
    }
    Ok(())
}

/// The status table and key of a field's HNSW index, when it declares one.
pub(crate) fn ann_key(ctx: &Ctx<'_>, kind: &str, f: &EmbeddingField) -> Option<(String, String)> {
    (f.index_type == "hnsw").then(|| {
        (
            quote_ident(
                &ctx.tables
                    .physical("indexMaterializations", "typegraph_index_materializations"),
            ),
            format!("{}::{}", ctx.graph.id(), vector_index_name(kind, f)),
        )
    })
}

/// `materializeIndexes()` on SQLite: builds the HNSW graph over the field's vectors now.
pub fn build_ann<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    table: &str,
    f: &EmbeddingField,
) -> Result<()> {
    let db = ex.sqlite_conn().expect("sqlite executor");
    if db.search.dirty(table) {
        db.search.slots.remove(table);
    }
    ensure_slot(&mut db.search, &db.conn, table, ctx.graph.id(), f, None)?;
    let slot = db.search.slots.get_mut(table).expect("loaded");
    slot.build_ann(
        f.m.unwrap_or(16) as usize,
        f.ef_construction.unwrap_or(64) as usize,
    );
    save_ann(&db.conn, table, ctx.graph.id(), slot);
    Ok(())
}

/// Whether SQLite answers `sql` (rowids of a kind's nodes matching a filter) from a covering
/// index that applies the filter itself — every table access searches a covering index on
/// more than graph and kind — by its `EXPLAIN QUERY PLAN`. Otherwise evaluating the filter
/// parses each row's props (embedding included), and checking it only on the rows the
/// ranking reaches is cheaper.
/// `Some(Some(index))` when one index does it, `Some(None)` when several do (an OR).
fn index_answers(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> Option<Option<String>> {
    let Ok(mut stmt) = conn.prepare_cached(&format!("EXPLAIN QUERY PLAN {sql}")) else {
        return None;
    };
    let binds = params.iter().map(crate::exec::sqlite::Bind);
    let Ok(details) = stmt
        .query_map(rusqlite::params_from_iter(binds), |r| r.get::<_, String>(3))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
    else {
        return None;
    };
    let mut used: Vec<String> = Vec::new();
    for d in &details {
        if d.starts_with("SCAN") {
            return None;
        }
        if let Some(rest) = d.strip_prefix("SEARCH") {
            let name = rest
                .split_once("USING COVERING INDEX ")
                .or_else(|| rest.split_once("USING INDEX "))
                .and_then(|(_, r)| r.split_whitespace().next())?;
            let cons = rest
                .rfind('(')
                .map(|i| rest[i + 1..].trim_end_matches(')'))
                .unwrap_or("");
            let narrows = cons
                .split(" AND ")
                .any(|t| !t.is_empty() && t != "graph_id=?" && t != "kind=?");
            if !narrows {
                return None;
            }
            used.push(name.to_string());
        }
    }
    match used.len() {
        0 => None,
        1 => used.pop().map(Some),
        _ => Some(None),
    }
}

/// How rows along a ranking are checked against an index-answered filter.
enum Check {
    /// Seek each row's rowid in the filter's one index (`INDEXED BY`).
    Index(String),
    /// The filter's matching rowids, read once (a filter several indexes answer).
    Set(HashSet<i64>),
}

/// A filtered vector search on SQLite from the engine's in-memory rows: [`filtered_rank`]
/// with the `where` compiled for the node table, hits hydrated while they are checked.
#[allow(clippy::too_many_arguments)]
async fn vector_filtered_sqlite<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    table: &str,
    f: &EmbeddingField,
    q: &VecQuery<'_>,
    n: usize,
    w: &Pred,
    max_dist: Option<f64>,
    thin: bool,
) -> Result<Option<Vec<Hit>>> {
    let mut c = Compiler::new(Dialect::Sqlite, "n");
    let filter = c.compile(w)?;
    let mut check = RowCheck::Hydrate {
        w,
        rows: HashMap::new(),
        thin,
    };
    let spec = FilteredRank {
        kind,
        table,
        field: f,
        query: &q.query,
        ef_search: q.ef_search,
        approximate: true,
        filter: &filter,
        filter_params: c.params,
        max_dist,
    };
    let Some(ranked) = filtered_rank(ex, ctx, &spec, n, &mut check).await? else {
        return Ok(None);
    };
    let RowCheck::Hydrate { mut rows, .. } = check else {
        unreachable!("built above")
    };
    Ok(Some(
        ranked
            .into_iter()
            .filter_map(|(id, dist)| {
                rows.remove(&id).map(|row| Hit {
                    kind: kind.to_string(),
                    id,
                    score: q.metric.score(dist),
                    snippet: None,
                    row,
                })
            })
            .collect(),
    ))
}

/// What [`filtered_rank`] ranks: one kind's vectors, a filter on its node rows (SQL over
/// the alias `n`, without the liveness test) and the query.
pub(crate) struct FilteredRank<'a> {
    pub kind: &'a str,
    pub table: &'a str,
    pub field: &'a EmbeddingField,
    pub query: &'a [f32],
    pub ef_search: Option<i64>,
    /// Whether the HNSW graph may answer (the facade always; `similarTo` when asked).
    pub approximate: bool,
    pub filter: &'a str,
    pub filter_params: Vec<Value>,
    pub max_dist: Option<f64>,
}

/// How [`filtered_rank`] confirms ranked rows: liveness always, the filter when asked.
pub(crate) enum RowCheck<'a> {
    /// The facade: read the rows (live, and matching `w` when asked) and keep them for the hits.
    Hydrate {
        w: &'a Pred,
        rows: HashMap<String, Row>,
        /// Read only (kind, id): the caller reads its final page whole.
        thin: bool,
    },
    /// The query builder: its candidate statement (its temporal mode and the alias's
    /// predicates; the node id in column 1), ending in `IN (SELECT value FROM json_each(?))`.
    Ids { sql: String, params: Vec<Value> },
}

impl RowCheck<'_> {
    async fn admit<E: Executor>(
        &mut self,
        ex: &mut E,
        ctx: &Ctx<'_>,
        kind: &str,
        ids: &[String],
        with_filter: bool,
    ) -> Result<HashSet<String>> {
        match self {
            RowCheck::Hydrate { w, rows, thin } => {
                let got = hydrate(ex, ctx, kind, ids, with_filter.then_some(*w), *thin).await?;
                let keys = got.keys().cloned().collect();
                rows.extend(got);
                Ok(keys)
            }
            RowCheck::Ids { sql, params } => {
                if ids.is_empty() {
                    return Ok(HashSet::new());
                }
                let mut p = params.clone();
                p.push(Value::text(
                    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()),
                ));
                Ok(ex
                    .query(sql, &p)
                    .await?
                    .into_iter()
                    .filter_map(|r| opt_str(&r, 1).map(String::from))
                    .collect())
            }
        }
    }
}

/// A filtered vector search on SQLite from the engine's in-memory rows.
///
/// A filter a covering index answers is evaluated once, as the set of matching nodes'
/// rowids (an index scan, no row is read). When it admits few rows, their ids become a
/// row bitmap and the admitted rows are scanned exactly (int8 pass on admitted rows only)
/// — or, when many, the HNSW graph is walked counting admitted rows only, whichever is
/// expected to cost less. When it admits many, the ranking (graph walk, else exact) is
/// read nearest first and each batch's rowids (primary-key index) are checked against the
/// set. Any other filter is checked in batches along the ranking by reading the rows,
/// batch sizes following the share admitted so far, so only as many rows are parsed as the
/// page needs. `None` when the table has uncommitted writes on this connection, or when
/// row checks pass a quarter of the table (the caller then evaluates the filter over all
/// rows).
pub(crate) async fn filtered_rank<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    spec: &FilteredRank<'_>,
    n: usize,
    check: &mut RowCheck<'_>,
) -> Result<Option<Vec<(String, f64)>>> {
    let FilteredRank {
        kind,
        table,
        field: f,
        query,
        ef_search,
        approximate,
        filter,
        max_dist,
        ..
    } = *spec;
    let nodes = &ctx.tables.nodes;
    let rowid_sql =
        format!("SELECT n.rowid FROM {nodes} n WHERE n.graph_id = ? AND n.kind = ? AND {filter}");
    let mut params = vec![Value::text(ctx.graph.id()), Value::text(kind)];
    params.extend(spec.filter_params.iter().cloned());
    let key = ann_key(ctx, kind, f);
    let max = max_dist.map(|x| x as f32);
    let ef_asked = ef_search.map_or(DEFAULT_EF_SEARCH, |e| e as usize);
    let m0 = n.max(16);
    // Some(rowids) when an index answers the filter; bits when it admits few rows.
    let (rowset, admitted): (Option<Check>, Option<(Vec<bool>, usize)>) = {
        let db = ex.sqlite_conn().expect("sqlite executor");
        if db.search.dirty(table) {
            return Ok(None);
        }
        ensure_slot(
            &mut db.search,
            &db.conn,
            table,
            ctx.graph.id(),
            f,
            key.as_ref().map(|(s, k)| (s.as_str(), k.as_str())),
        )?;
        match index_answers(&db.conn, &rowid_sql, &params) {
            None => (None, None),
            Some(index) => {
                let slot = &db.search.slots[table];
                let binds = || params.iter().map(crate::exec::sqlite::Bind);
                // Few admitted rows: their ids (one row read each) for an exact scan of them.
                // Many: checking the ranking's rows against the index reads fewer rows. The
                // count stops at the cut, on the index alone.
                let cut = ((m0 * slot.live().max(1)) as f64).sqrt() as usize + 1;
                let count: i64 = db
                    .conn
                    .prepare_cached(&format!("SELECT count(*) FROM ({rowid_sql} LIMIT {cut})"))?
                    .query_row(rusqlite::params_from_iter(binds()), |r| r.get(0))?;
                if (count as usize) < cut {
                    let id_sql = format!(
                        "SELECT n.id FROM {nodes} n WHERE n.graph_id = ? AND n.kind = ? AND {filter}"
                    );
                    let mut stmt = db.conn.prepare_cached(&id_sql)?;
                    let ids: Vec<String> = stmt
                        .query_map(rusqlite::params_from_iter(binds()), |r| {
                            r.get::<_, String>(0)
                        })?
                        .collect::<rusqlite::Result<_>>()?;
                    (None, Some(slot.admit(ids.iter().map(String::as_str))))
                } else {
                    match index {
                        Some(name) => (Some(Check::Index(name)), None),
                        None => {
                            let mut stmt = db.conn.prepare_cached(&rowid_sql)?;
                            let set: HashSet<i64> = stmt
                                .query_map(rusqlite::params_from_iter(binds()), |r| {
                                    r.get::<_, i64>(0)
                                })?
                                .collect::<rusqlite::Result<_>>()?;
                            (Some(Check::Set(set)), None)
                        }
                    }
                }
            }
        }
    };
    if let Some((bits, count)) = admitted {
        let mut m = m0;
        loop {
            let ranked: Vec<(String, f64)> = {
                let db = ex.sqlite_conn().expect("sqlite executor");
                let slot = &db.search.slots[table];
                let keep = |i: usize| bits[i];
                let ef = ef_asked.max(m);
                let walk = approximate
                    && slot.ann.is_some()
                    && slot.live() > ANN_MIN_ROWS
                    && slot.walk_beats_scan(count, ef);
                let approx = if walk {
                    // A walk that comes up short of the admitted rows is answered exactly.
                    slot.ann_top(query, m, ef, Some(&keep))
                        .filter(|h| h.len() >= m.min(count))
                } else {
                    None
                };
                let top = match approx {
                    Some(h) => h
                        .into_iter()
                        .filter(|x| max.is_none_or(|c| x.1 <= c))
                        .collect(),
                    None => slot.top(query, m, max, Some(&keep)),
                };
                top.into_iter()
                    .map(|(i, dd)| (slot.ids[i].clone(), dd as f64))
                    .collect()
            };
            let exhausted = ranked.len() < m;
            let ids: Vec<String> = ranked.iter().map(|r| r.0.clone()).collect();
            // Liveness (validity window, deletion) is checked here, on the few ranked rows.
            let live = check.admit(ex, ctx, kind, &ids, false).await?;
            let hits: Vec<(String, f64)> = ranked
                .into_iter()
                .filter(|(id, _)| live.contains(id))
                .collect();
            if hits.len() >= n || exhausted {
                return Ok(Some(hits.into_iter().take(n).collect()));
            }
            m *= 4;
        }
    }
    // Check the filter along the ranking, nearest first.
    let mut fetch = (n * 4).max(40);
    let mut checked: HashSet<String> = HashSet::new();
    let mut found: Vec<(String, f64)> = Vec::new();
    let rowid_of = format!(
        "SELECT id, rowid FROM {nodes} WHERE graph_id = ? AND kind = ? AND id IN (SELECT value FROM json_each(?))"
    );
    loop {
        let (ranked, exhausted) = {
            let db = ex.sqlite_conn().expect("sqlite executor");
            let slot = &db.search.slots[table];
            let live = slot.live();
            if rowset.is_none() && checked.len() > 256 && checked.len() * 4 > live {
                return Ok(None);
            }
            let approx =
                if approximate && slot.ann.is_some() && live > ANN_MIN_ROWS && fetch <= 1024 {
                    slot.ann_top(query, fetch, ef_asked.max(fetch), None)
                        .filter(|h| h.len() >= fetch.min(live))
                } else {
                    None
                };
            let top = match approx {
                Some(h) => h
                    .into_iter()
                    .filter(|x| max.is_none_or(|c| x.1 <= c))
                    .collect(),
                None => slot.top(query, fetch, max, None),
            };
            let exhausted = top.len() < fetch;
            let ranked: Vec<(String, f64)> = top
                .into_iter()
                .map(|(i, dd)| (&slot.ids[i], dd as f64))
                .filter(|(id, _)| !checked.contains(id.as_str()))
                .map(|(id, dd)| (id.clone(), dd))
                .collect();
            (ranked, exhausted)
        };
        let mut at = 0;
        while at < ranked.len() && found.len() < n {
            let need = (n - found.len()) as f64;
            // Share admitted so far, with a prior of one in two before anything is seen.
            let share =
                ((found.len() as f64 + 0.5) / (checked.len() as f64 + 1.0)).clamp(0.01, 1.0);
            let batch = ((need / share * 1.25).ceil() as usize)
                .max(n - found.len())
                .min(ranked.len() - at);
            let part = &ranked[at..at + batch];
            let ids: Vec<String> = part.iter().map(|r| r.0.clone()).collect();
            let pass: Vec<String> = match &rowset {
                Some(check) => {
                    let db = ex.sqlite_conn().expect("sqlite executor");
                    let mut stmt = db.conn.prepare_cached(&rowid_of)?;
                    let list = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
                    let got: Vec<(String, i64)> = stmt
                        .query_map(rusqlite::params![ctx.graph.id(), kind, list], |r| {
                            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                        })?
                        .collect::<rusqlite::Result<_>>()?;
                    let admitted: HashSet<i64> = match check {
                        Check::Set(set) => got
                            .iter()
                            .map(|g| g.1)
                            .filter(|r| set.contains(r))
                            .collect(),
                        Check::Index(name) => {
                            // The batch's rowids sought in the filter's index: no row is read.
                            let sql = format!(
                                "SELECT n.rowid FROM {nodes} n INDEXED BY {} WHERE n.graph_id = ? AND n.kind = ? AND {filter} \
                                 AND n.rowid IN (SELECT value FROM json_each(?))",
                                quote_ident(name)
                            );
                            let rowids =
                                serde_json::to_string(&got.iter().map(|g| g.1).collect::<Vec<_>>())
                                    .unwrap_or_else(|_| "[]".into());
                            let mut p: Vec<Value> = params.clone();
                            p.push(Value::text(rowids));
                            let mut stmt = db.conn.prepare_cached(&sql)?;
                            let found: HashSet<i64> = stmt
                                .query_map(
                                    rusqlite::params_from_iter(
                                        p.iter().map(crate::exec::sqlite::Bind),
                                    ),
                                    |r| r.get::<_, i64>(0),
                                )?
                                .collect::<rusqlite::Result<_>>()?;
                            found
                        }
                    };
                    got.into_iter()
                        .filter(|(_, r)| admitted.contains(r))
                        .map(|(id, _)| id)
                        .collect()
                }
                None => ids.clone(),
            };
            // With an index-answered filter only admitted ids are read (liveness checked
            // here); otherwise the rows of the whole batch are read with the filter.
            let ok = check.admit(ex, ctx, kind, &pass, rowset.is_none()).await?;
            for (id, dist) in part {
                checked.insert(id.clone());
                if ok.contains(id) {
                    found.push((id.clone(), *dist));
                }
            }
            at += batch;
        }
        if found.len() >= n || exhausted {
            // A wider graph walk can surface nearer rows than an earlier one: order again.
            found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            found.truncate(n);
            return Ok(Some(found));
        }
        fetch *= 4;
    }
}

/// Vector top-`n` of one kind, live nodes (matching `w`) only, nearest first.
async fn vector_kind<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    q: &VecQuery<'_>,
    n: usize,
    w: Option<&Pred>,
    thin: bool,
) -> Result<Vec<Hit>> {
    let f = embedding_field(ctx, kind, q.field)
        .expect("declaring kind")
        .clone();
    let table = ensure_vector_table(ex, ctx, kind, &f).await?;
    let max_dist = q.min_score.map(|s| q.metric.max_distance(s));
    let d = ex.dialect();
    if d == Dialect::Postgres {
        let now = now_iso();
        let (filter, fparams) = node_filter(d, w, &now)?;
        let op = match q.metric {
            Metric::Cosine => "<=>",
            Metric::L2 => "<->",
            Metric::InnerProduct => "<#>",
        };
        let mut params = vec![
            Value::text(&q.raw),
            Value::text(kind),
            Value::text(ctx.graph.id()),
        ];
        params.extend(fparams);
        let min = if let Some(m) = max_dist {
            params.push(Value::text(&q.raw));
            params.push(Value::Real(m));
            format!(" AND (v.embedding {op} CAST(? AS vector)) <= ?")
        } else {
            String::new()
        };
        params.push(Value::Int(n as i64));
        let sql = d.finish(format!(
            "SELECT {}, (v.embedding {op} CAST(? AS vector))::float8 AS dist FROM {} v JOIN {} n \
             ON n.graph_id = v.graph_id AND n.kind = ? AND n.id = v.node_id \
             WHERE v.graph_id = ?{filter}{min} ORDER BY dist LIMIT ?",
            node_cols_of("n", thin),
            quote_ident(&table),
            ctx.tables.nodes
        ));
        // Without a `where`, rank on the vector table alone and read only the top rows' nodes:
        // joining first would read (and detoast) every candidate's props. Rows the temporal
        // filter then drops make the result short; the joined form below answers that case.
        let fast_sql = d.finish(format!(
            "WITH q AS (SELECT CAST(? AS vector) AS e) \
             SELECT {}, t.dist FROM (SELECT v.node_id, (v.embedding {op} q.e)::float8 AS dist FROM {} v, q \
             WHERE v.graph_id = ?{} ORDER BY v.embedding {op} q.e LIMIT ?) t \
             JOIN {} n ON n.graph_id = ? AND n.kind = ? AND n.id = t.node_id{filter} ORDER BY t.dist",
            node_cols_of("n", thin),
            quote_ident(&table),
            if max_dist.is_some() { format!(" AND (v.embedding {op} q.e) <= ?") } else { String::new() },
            ctx.tables.nodes
        ));
        let run_fast = w.is_none();
        let rows = match q.ef_search {
            Some(ef) => atomic!(ex, {
                ex.execute(&format!("SET LOCAL hnsw.ef_search = {ef}"), &[])
                    .await?;
                ex.query(&sql, &params).await
            })?,
            None if run_fast => {
                let mut fp = vec![Value::text(&q.raw), Value::text(ctx.graph.id())];
                if let Some(m) = max_dist {
                    fp.push(Value::Real(m));
                }
                fp.push(Value::Int(n as i64));
                fp.push(Value::text(ctx.graph.id()));
                fp.push(Value::text(kind));
                let (_, tparams) = node_filter(d, None, &now)?;
                fp.extend(tparams);
                let rows = ex.query(&fast_sql, &fp).await?;
                if rows.len() == n {
                    rows
                } else {
                    ex.query(&sql, &params).await?
                }
            }
            None => ex.query(&sql, &params).await?,
        };
        return Ok(rows
            .into_iter()
            .map(|mut r| {
                let dist = match r.pop() {
                    Some(Value::Real(f)) => f,
                    _ => f64::NAN,
                };
                Hit {
                    kind: kind.to_string(),
                    id: opt_str(&r, 1).unwrap_or_default().to_string(),
                    score: q.metric.score(dist),
                    snippet: None,
                    row: r,
                }
            })
            .collect());
    }
    // SQLite: engine-side exact search; SQL over vec0 while this connection has
    // uncommitted writes to the table.
    if let Some(w) = w {
        if let Some(hits) =
            vector_filtered_sqlite(ex, ctx, kind, &table, &f, q, n, w, max_dist, thin).await?
        {
            return Ok(hits);
        }
    }
    let allowed = match w {
        Some(w) => Some(candidates(ex, ctx, kind, w).await?),
        None => None,
    };
    let mut m = n.max(16);
    loop {
        let ranked: Vec<(String, f64)> = {
            let db = ex.sqlite_conn().expect("sqlite executor");
            if !db.search.dirty(&table) {
                let key = ann_key(ctx, kind, &f);
                ensure_slot(
                    &mut db.search,
                    &db.conn,
                    &table,
                    ctx.graph.id(),
                    &f,
                    key.as_ref().map(|(s, k)| (s.as_str(), k.as_str())),
                )?;
                let slot = &db.search.slots[&table];
                let bits = allowed
                    .as_ref()
                    .map(|a| slot.admit(a.iter().map(String::as_str)));
                let keep = bits.as_ref().map(|b| move |i: usize| b.0[i]);
                let keep_dyn = keep.as_ref().map(|k| k as &dyn Fn(usize) -> bool);
                let max = max_dist.map(|x| x as f32);
                let live = slot.live();
                let admitted = bits.as_ref().map_or(live, |b| b.1);
                let ef = q.ef_search.map_or(DEFAULT_EF_SEARCH, |e| e as usize).max(m);
                // A filter admitting few rows is answered exactly: scanning them is cheaper
                // than walking the graph past everything else.
                let selective = bits.is_some() && !slot.walk_beats_scan(admitted, ef);
                let approx = if slot.ann.is_some() && live > ANN_MIN_ROWS && !selective {
                    slot.ann_top(&q.query, m, ef, keep_dyn)
                        .map(|hits| (hits, admitted))
                } else {
                    None
                };
                let top = match approx {
                    // The graph came up short of rows that exist: answer exactly instead.
                    Some((hits, admitted)) if hits.len() >= m.min(admitted) => hits
                        .into_iter()
                        .filter(|h| max.is_none_or(|x| h.1 <= x))
                        .collect(),
                    _ => slot.top(&q.query, m, max, keep_dyn),
                };
                top.into_iter()
                    .map(|(i, dd)| (slot.ids[i].clone(), dd as f64))
                    .collect()
            } else {
                let func = if q.metric == Metric::L2 {
                    "vec_distance_l2"
                } else {
                    "vec_distance_cosine"
                };
                let sql = format!(
                    "SELECT node_id, {func}(embedding, vec_f32(?1)) AS d FROM {} WHERE graph_id = ?2 ORDER BY d, node_id LIMIT ?3",
                    quote_ident(&table)
                );
                let literal =
                    vector_literal(&q.query.iter().map(|&x| x as f64).collect::<Vec<_>>());
                let mut stmt = db.conn.prepare_cached(&sql)?;
                let rows = stmt
                    .query_map(rusqlite::params![literal, ctx.graph.id(), m as i64], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))
                    })?;
                let mut out = Vec::new();
                for r in rows {
                    let (id, dd) = r?;
                    if max_dist.is_some_and(|x| dd > x) {
                        continue;
                    }
                    if allowed.as_ref().is_some_and(|a| !a.contains(&id)) {
                        continue;
                    }
                    out.push((id, dd));
                }
                out
            }
        };
        let exhausted = ranked.len() < m;
        let ids: Vec<String> = ranked.iter().map(|r| r.0.clone()).collect();
        // The first `n` ranked rows are the answer unless some have ended: read the rest
        // only then (each row carries its whole props, vectors included).
        let first = n.min(ids.len());
        let mut rows = hydrate(ex, ctx, kind, &ids[..first], None, thin).await?;
        if rows.len() < first && first < ids.len() {
            rows.extend(hydrate(ex, ctx, kind, &ids[first..], None, thin).await?);
        }
        let hits: Vec<Hit> = ranked
            .into_iter()
            .filter_map(|(id, dist)| {
                rows.remove(&id).map(|row| Hit {
                    kind: kind.to_string(),
                    id,
                    score: q.metric.score(dist),
                    snippet: None,
                    row,
                })
            })
            .collect();
        if hits.len() >= n || exhausted {
            return Ok(hits.into_iter().take(n).collect());
        }
        m *= 4;
    }
}

async fn vector_source<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kinds: &[String],
    q: &VecQuery<'_>,
    n: usize,
    w: Option<&Pred>,
    thin: bool,
) -> Result<Vec<Hit>> {
    let mut all = Vec::new();
    for k in kinds {
        all.extend(vector_kind(ex, ctx, k, q, n, w, thin).await?);
    }
    if kinds.len() > 1 {
        let desc = q.metric == Metric::Cosine;
        all.sort_by(|a, b| {
            let o = if desc {
                b.score.total_cmp(&a.score)
            } else {
                a.score.total_cmp(&b.score)
            };
            o.then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.id.cmp(&b.id))
        });
        all.truncate(n);
    }
    Ok(all)
}

pub async fn vector<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: VectorArgs) -> Result<String> {
    let limit = positive(a.limit, "limit")?;
    let offset = offset_of(a.offset)?;
    let kinds = kinds_of(ctx, &a.kind, a.include_sub_classes)?;
    let (q, kinds) = vector_query(
        ex,
        ctx,
        &kinds,
        &a.kind,
        &a.field_path,
        &a.query_embedding,
        a.metric,
        a.min_score,
        a.ef_search,
        "store.search.vector",
    )?;
    let hits = vector_source(
        ex,
        ctx,
        &kinds,
        &q,
        limit + offset,
        a.r#where.as_ref(),
        false,
    )
    .await?;
    Ok(hits_json(
        ctx,
        hits.into_iter().skip(offset).take(limit),
        |_| None,
    ))
}

pub async fn hybrid<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: HybridArgs) -> Result<String> {
    let limit = positive(a.limit, "limit")?;
    let offset = offset_of(a.offset)?;
    let fusion = a.fusion.unwrap_or_default();
    if let Some(m) = fusion.method.as_deref() {
        if m != "rrf" {
            return Err(Error::validation(
                format!("Unsupported fusion method \"{m}\" (only \"rrf\")"),
                json!({}),
            ));
        }
    }
    let rrf_k = fusion.k.unwrap_or(60.0);
    let weights = fusion.weights.unwrap_or_default();
    let (wv, wf) = (
        weights.vector.unwrap_or(1.0),
        weights.fulltext.unwrap_or(1.0),
    );
    let bad = |x: f64| x.is_nan() || x < 0.0;
    if bad(rrf_k) || rrf_k == 0.0 || bad(wv) || bad(wf) {
        return Err(Error::validation(
            "fusion k must be positive and weights non-negative",
            json!({}),
        ));
    }
    let mode = check_mode(a.fulltext.mode.as_deref())?;
    check_fulltext_options(ex, a.fulltext.language.as_deref(), "store.search.hybrid")?;
    let all_kinds = kinds_of(ctx, &a.kind, a.include_sub_classes)?;
    let (vq, vkinds) = vector_query(
        ex,
        ctx,
        &all_kinds,
        &a.kind,
        &a.vector.field_path,
        &a.vector.query_embedding,
        a.vector.metric,
        a.vector.min_score,
        a.vector.ef_search,
        "store.search.hybrid.vector",
    )?;
    let page = limit + offset;
    let vk = match a.vector.k {
        Some(k) => positive(k, "vector.k")?,
        None => page * 4,
    };
    let fk = match a.fulltext.k {
        Some(k) => positive(k, "fulltext.k")?,
        None => page * 4,
    };
    let w = a.r#where.as_ref();
    // Both halves rank thin hits (kind, id, score: live and filtered, no props read); only
    // the fused page is read whole below.
    let vhits = vector_source(ex, ctx, &vkinds, &vq, vk, w, true).await?;
    let fq = FtQuery {
        query: &a.fulltext.query,
        mode,
        language: a.fulltext.language.as_deref(),
        min_score: a.fulltext.min_score,
        snippets: a.fulltext.include_snippets,
    };
    let fhits = fulltext_source(ex, ctx, &all_kinds, &fq, fk, w, true).await?;

    struct Fused {
        hit: Hit,
        v: Option<(f64, usize)>,
        f: Option<(f64, usize, Option<String>)>,
    }
    let mut fused: HashMap<(String, String), Fused> = HashMap::new();
    for (i, h) in vhits.into_iter().enumerate() {
        let rank = i + 1;
        let key = (h.kind.clone(), h.id.clone());
        let score = h.score;
        let e = fused.entry(key).or_insert(Fused {
            hit: Hit { score: 0.0, ..h },
            v: None,
            f: None,
        });
        e.hit.score += wv / (rrf_k + rank as f64);
        e.v = Some((score, rank));
    }
    for (i, h) in fhits.into_iter().enumerate() {
        let rank = i + 1;
        let key = (h.kind.clone(), h.id.clone());
        let (score, snippet) = (h.score, h.snippet.clone());
        let e = fused.entry(key).or_insert(Fused {
            hit: Hit {
                score: 0.0,
                snippet: None,
                ..h
            },
            v: None,
            f: None,
        });
        e.hit.score += wf / (rrf_k + rank as f64);
        e.f = Some((score, rank, snippet));
    }
    let mut ranked: Vec<Fused> = fused.into_values().collect();
    ranked.sort_by(|a, b| cmp_desc(&a.hit, &b.hit));
    let mut subs: HashMap<(String, String), String> = HashMap::new();
    let mut hits = Vec::new();
    for e in ranked.into_iter().skip(offset).take(limit) {
        let mut parts = Vec::new();
        if let Some((s, r)) = e.v {
            parts.push(format!("\"vector\":{{\"score\":{},\"rank\":{r}}}", num(s)));
        }
        if let Some((s, r, snip)) = e.f {
            let mut x = format!("\"fulltext\":{{\"score\":{},\"rank\":{r}", num(s));
            if let Some(sn) = snip {
                x.push_str(",\"snippet\":");
                push_json_str(&mut x, &sn);
            }
            x.push('}');
            parts.push(x);
        }
        subs.insert((e.hit.kind.clone(), e.hit.id.clone()), parts.join(","));
        hits.push(e.hit);
    }
    let hits = hydrate_page(ex, ctx, hits).await?;
    Ok(hits_json(ctx, hits.into_iter(), |h| {
        subs.get(&(h.kind.clone(), h.id.clone()))
            .filter(|s| !s.is_empty())
            .cloned()
    }))
}

/// `rebuildFulltext(kind?)`: rewrites every fulltext document of the kind(s) from the
/// live nodes' props, and clears rows of kinds without searchable fields.
pub async fn rebuild_fulltext<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: RebuildArgs,
) -> Result<String> {
    let kinds: Vec<String> = match &a.kind {
        Some(k) => {
            ctx.graph.node(k)?;
            vec![k.clone()]
        }
        None => ctx.graph.spec.nodes.keys().cloned().collect(),
    };
    let page = match a.page_size {
        Some(p) => positive(p, "pageSize")?,
        None => 500,
    };
    let max_skipped = match a.max_skipped_ids {
        Some(m) if m < 0 => {
            return Err(Error::validation(
                format!("maxSkippedIds must be a non-negative integer, got: {m}"),
                json!({ "issues": [{ "path": "maxSkippedIds", "message": "Must be a non-negative integer." }] }),
            ))
        }
        Some(m) => m as usize,
        None => 10_000,
    };
    let d = ex.dialect();
    let g = ctx.graph.id().to_string();
    let (mut processed, mut upserted, mut cleared) = (0usize, 0usize, 0usize);
    let mut skipped = 0usize;
    let mut skipped_ids: Vec<String> = Vec::new();
    let mut rebuilt = Vec::new();
    atomic!(ex, {
        for kind in &kinds {
            let spec = &ctx.graph.spec.nodes[kind];
            let sql = d.finish(format!(
                "DELETE FROM {} WHERE graph_id = ? AND node_kind = ?",
                ctx.tables.fulltext
            ));
            ex.execute(&sql, &[Value::text(&g), Value::text(kind)])
                .await?;
            if spec.searchable.is_empty() {
                continue;
            }
            rebuilt.push(kind.clone());
            let mut after = String::new();
            loop {
                // Soft-deleted rows too (as upstream): they are counted and their documents
                // stay cleared.
                let sql = d.finish(format!(
                    "SELECT id, props, deleted_at IS NOT NULL FROM {} WHERE graph_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?",
                    ctx.tables.nodes
                ));
                let rows = ex
                    .query(
                        &sql,
                        &[
                            Value::text(&g),
                            Value::text(kind),
                            Value::text(&after),
                            Value::Int(page as i64),
                        ],
                    )
                    .await?;
                if rows.is_empty() {
                    break;
                }
                let items: Vec<(String, Option<String>, bool)> = rows
                    .iter()
                    .map(|r| {
                        let deleted = match r.get(2) {
                            Some(Value::Bool(b)) => *b,
                            Some(Value::Int(i)) => *i != 0,
                            _ => false,
                        };
                        (
                            opt_str(r, 0).unwrap_or_default().to_string(),
                            opt_str(r, 1).map(String::from),
                            deleted,
                        )
                    })
                    .collect();
                processed += items.len();
                let lang = &spec.searchable[0].language;
                let mut docs = Vec::new();
                for (id, props, deleted) in &items {
                    if *deleted {
                        cleared += 1;
                        continue;
                    }
                    // Props that are not a JSON object are skipped and reported, as upstream.
                    let parsed = props.as_deref().and_then(|p| {
                        serde_json::from_str::<
                            std::collections::BTreeMap<String, &serde_json::value::RawValue>,
                        >(p)
                        .ok()
                    });
                    let Some(parsed) = parsed else {
                        skipped += 1;
                        if skipped_ids.len() < max_skipped {
                            skipped_ids.push(id.clone());
                        }
                        continue;
                    };
                    match super::document(&spec.searchable, &parsed) {
                        Some(doc) => docs.push((id.clone(), doc)),
                        None => cleared += 1,
                    }
                }
                upserted += docs.len();
                super::write_fulltext(ex, ctx, kind, lang, &docs, &[], true, &now_iso()).await?;
                after = items.last().map(|x| x.0.clone()).unwrap_or_default();
                if rows.len() < page {
                    break;
                }
            }
        }
        Ok::<(), Error>(())
    })?;
    Ok(json!({
        "kinds": rebuilt, "processed": processed, "upserted": upserted, "cleared": cleared,
        "skipped": skipped, "skippedTruncated": skipped > skipped_ids.len(), "skippedIds": skipped_ids
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::{fts5_query, object_entries};

    #[test]
    fn object_entries_split_top_level_only() {
        let t = r#" { "a" : [1, {"x":"},]"}], "b\"q":"s,}" ,"c":{"d":[]} ,"e":null } "#;
        let e = object_entries(t).unwrap();
        assert_eq!(
            e,
            vec![
                (r#""a""#, r#"[1, {"x":"},]"}]"#),
                (r#""b\"q""#, r#""s,}""#),
                (r#""c""#, r#"{"d":[]}"#),
                (r#""e""#, "null"),
            ]
        );
        assert_eq!(object_entries("{}").unwrap(), vec![]);
        assert!(object_entries("[1]").is_none());
        // Flat arrays (the one-scan path), nested arrays and arrays of objects.
        let t = r#"{"v":[0.1, -0, 1e-7 ],"w":[[1],[2]],"x":[{}, {}],"y":[],"z":[1,"]"]}"#;
        assert_eq!(
            object_entries(t).unwrap(),
            vec![
                (r#""v""#, "[0.1, -0, 1e-7 ]"),
                (r#""w""#, "[[1],[2]]"),
                (r#""x""#, "[{}, {}]"),
                (r#""y""#, "[]"),
                (r#""z""#, r#"[1,"]"]"#),
            ]
        );
    }

    #[test]
    fn websearch_translation() {
        assert_eq!(fts5_query("graph db", "websearch"), "\"graph\" \"db\"");
        assert_eq!(
            fts5_query("-x \"a b\" or c", "websearch"),
            "\"a b\" OR \"c\""
        );
        assert_eq!(fts5_query("a -b", "websearch"), "\"a\" NOT \"b\"");
        assert_eq!(fts5_query(" a  b ", "plain"), "\"a\" \"b\"");
    }
}
