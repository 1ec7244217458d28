//! Vector top-k for the query compiler's `similarTo()` on SQLite: the engine's
//! in-memory vectors rank, restricted to the candidate ids the query's other
//! predicates admit; the ids then bind into the query as one parameter.

use super::cache::SqliteSearch;
use super::{ensure_vector_table, EmbeddingField, Metric};
use crate::dialect::quote_ident;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::ops::Ctx;
use serde_json::json;
use std::collections::HashSet;

/// The `k` nearest of `allowed` as (node id, distance), nearest first. Distances follow
/// sqlite-vec: cosine `1 - cos`, l2 Euclidean. `metric` may override the declared one
/// (an exact scan in SQL then).
#[allow(clippy::too_many_arguments)]
pub async fn top_k<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    f: &EmbeddingField,
    query: &[f32],
    metric: Metric,
    k: usize,
    max_dist: Option<f64>,
    allowed: &HashSet<String>,
    approximate: bool,
) -> Result<Vec<(String, f64)>> {
    if metric == Metric::InnerProduct {
        return Err(Error::new(
            Code::UnsupportedPredicate,
            "similarTo(): the inner_product metric is not supported on SQLite (sqlite-vec); use cosine or l2",
            json!({ "metric": "inner_product" }),
        ));
    }
    let table = ensure_vector_table(ex, ctx, kind, f).await?;
    let graph = ctx.graph.id().to_string();
    let ann = super::facade::ann_key(ctx, kind, f);
    let db = ex
        .sqlite_conn()
        .ok_or_else(|| Error::invariant("vector top-k needs a SQLite connection"))?;
    let search: &mut SqliteSearch = &mut db.search;
    if metric == f.metric && !search.dirty(&table) {
        super::facade::ensure_slot(
            search,
            &db.conn,
            &table,
            &graph,
            f,
            ann.as_ref().map(|(s, k)| (s.as_str(), k.as_str())),
        )?;
        let slot = &search.slots[&table];
        // The candidates as one flag per row: the scans test an index, not a string set.
        let (bits, admitted) = slot.admit(allowed.iter().map(String::as_str));
        let keep = |i: usize| bits[i];
        let live = slot.live();
        let ef = super::facade::DEFAULT_EF_SEARCH.max(k);
        // `approximate: true` walks the HNSW graph when the field has one (built by
        // `materializeIndexes()`) and the walk is expected to beat scanning the admitted
        // rows; a small table or a walk that comes up short of the rows that exist is
        // answered exactly.
        if approximate
            && slot.ann.is_some()
            && live > super::facade::ANN_MIN_ROWS
            && slot.walk_beats_scan(admitted, ef)
        {
            if let Some(hits) = slot.ann_top(query, k, ef, Some(&keep)) {
                if hits.len() >= k.min(admitted) {
                    return Ok(hits
                        .into_iter()
                        .filter(|h| max_dist.is_none_or(|x| f64::from(h.1) <= x))
                        .map(|(i, d)| (slot.ids[i].clone(), d as f64))
                        .collect());
                }
            }
        }
        return Ok(slot
            .top(query, k, max_dist.map(|x| x as f32), Some(&keep))
            .into_iter()
            .map(|(i, d)| (slot.ids[i].clone(), d as f64))
            .collect());
    }
    // Uncommitted writes to the table on this connection, or another metric: exact SQL scan.
    let func = if metric == Metric::L2 {
        "vec_distance_l2"
    } else {
        "vec_distance_cosine"
    };
    let raw = format!(
        "[{}]",
        query
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let sql = format!(
        "SELECT node_id, {func}(embedding, vec_f32(?1)) AS d FROM {} WHERE graph_id = ?2 ORDER BY d, node_id",
        quote_ident(&table)
    );
    let mut stmt = db.conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params![raw, graph], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))
    })?;
    let mut out = Vec::with_capacity(k);
    for r in rows {
        let (id, d) = r?;
        if max_dist.is_some_and(|x| d > x) || !allowed.contains(&id) {
            continue;
        }
        out.push((id, d));
        if out.len() == k {
            break;
        }
    }
    Ok(out)
}

/// `similarTo()` over one kind whose other predicates are plain comparisons (`filter`, SQL
/// over the node table as `n` without the temporal test): the facade's filtered ranking
/// ([`super::facade::filtered_rank`]) — an index-answered filter as a row bitmap or an
/// in-index rowid check, any other filter checked along the ranking — with ranked rows
/// confirmed by the query's candidate statement (`cand_sql`: its temporal mode and the
/// predicates). `None` when that path does not apply (another metric than the declared
/// one, uncommitted writes to the table, most rows rejected): the caller then reads the
/// candidates.
#[allow(clippy::too_many_arguments)]
pub async fn filtered_top_k<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    vk: &crate::query::compile::VecKind,
    query: &[f32],
    k: usize,
    max_dist: Option<f64>,
    filter: &str,
    filter_params: Vec<crate::value::Value>,
    cand_sql: &str,
    cand_params: &[crate::value::Value],
) -> Result<Option<Vec<(String, f64)>>> {
    if vk.metric != vk.field.metric
        || vk.metric == Metric::InnerProduct
        || ex.sqlite_conn().is_none()
    {
        return Ok(None);
    }
    let table = ensure_vector_table(ex, ctx, &vk.kind, &vk.field).await?;
    if ex.sqlite_conn().is_some_and(|db| db.search.dirty(&table)) {
        return Ok(None);
    }
    let spec = super::facade::FilteredRank {
        kind: &vk.kind,
        table: &table,
        field: &vk.field,
        query,
        ef_search: None,
        approximate: vk.approximate,
        filter,
        filter_params,
        max_dist,
    };
    let mut check = super::facade::RowCheck::Ids {
        sql: format!("{cand_sql} AND tg_c.id IN (SELECT value FROM json_each(?))"),
        params: cand_params.to_vec(),
    };
    super::facade::filtered_rank(ex, ctx, &spec, k, &mut check).await
}
