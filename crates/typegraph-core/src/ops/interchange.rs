//! Graph interchange (`typegraph-native/interchange`): the engine side of export pages,
//! import probes and the trusted import's emptiness check. The TypeScript module
//! (`lib/interchange.ts`) drives them, one call per page or batch.

use super::rows::{rows_json, EDGE_PROPS, NODE_PROPS};
use super::Ctx;
use crate::dialect::{EDGE_COLS, NODE_COLS};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageArgs {
    /// `"node"` or `"edge"`.
    pub entity: String,
    pub kind: String,
    #[serde(default)]
    pub include_deleted: bool,
    /// Keyset cursor: the last id of the previous page.
    #[serde(default)]
    pub after: Option<String>,
    pub limit: i64,
}

/// One page of a kind's rows in id order (keyset-paged), soft-deleted rows only when asked.
/// Rows are the collections' row arrays (`NODE_COLS` / `EDGE_COLS`).
pub async fn export_page<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: PageArgs) -> Result<String> {
    let (table, cols, props) = match a.entity.as_str() {
        "node" => (&ctx.tables.nodes, NODE_COLS, NODE_PROPS),
        "edge" => (&ctx.tables.edges, EDGE_COLS, EDGE_PROPS),
        other => {
            return Err(Error::validation(
                format!("Unknown interchange entity \"{other}\""),
                json!({}),
            ))
        }
    };
    let mut sql = format!("SELECT {cols} FROM {table} WHERE graph_id = ? AND kind = ?");
    let mut params = vec![Value::text(ctx.graph.id()), Value::text(&a.kind)];
    if !a.include_deleted {
        sql.push_str(" AND deleted_at IS NULL");
    }
    if let Some(after) = &a.after {
        sql.push_str(" AND id > ?");
        params.push(Value::text(after));
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    params.push(Value::Int(a.limit.max(1)));
    let rows = ex.query(&ex.dialect().finish(sql), &params).await?;
    rows_json(&rows, props)
}

#[derive(Deserialize)]
pub struct IdsArgs {
    pub ids: Vec<String>,
}

/// The graph's edges under these ids, whatever their kind, soft-deleted ones included
/// (edge ids are unique per graph: an import must see a different edge holding an id).
pub async fn probe_edges<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: IdsArgs) -> Result<String> {
    if a.ids.is_empty() {
        return Ok("[]".into());
    }
    let sql = ex.dialect().finish(format!(
        "SELECT {EDGE_COLS} FROM {} WHERE graph_id = ? AND {}",
        ctx.tables.edges,
        ex.dialect().in_list("id")
    ));
    let rows = ex
        .query(&sql, &[Value::text(ctx.graph.id()), Value::TextList(a.ids)])
        .await?;
    rows_json(&rows, EDGE_PROPS)
}

#[derive(Deserialize)]
pub struct OpenLeftArgs {
    pub entity: String,
    pub kind: String,
    pub ids: Vec<String>,
}

/// Rows an import created from a document stating `validFrom: null` (confirmed open-left
/// validity): their lower bound is cleared, in the import's own transaction.
pub async fn clear_valid_from<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: OpenLeftArgs,
) -> Result<String> {
    if a.ids.is_empty() {
        return Ok("null".into());
    }
    let table = match a.entity.as_str() {
        "node" => &ctx.tables.nodes,
        _ => &ctx.tables.edges,
    };
    let sql = ex.dialect().finish(format!(
        "UPDATE {table} SET valid_from = NULL WHERE graph_id = ? AND kind = ? AND {}",
        ex.dialect().in_list("id")
    ));
    ex.execute(
        &sql,
        &[
            Value::text(ctx.graph.id()),
            Value::text(&a.kind),
            Value::TextList(a.ids),
        ],
    )
    .await?;
    Ok("null".into())
}

/// Whether the node and edge tables hold no row of any graph (the trusted import's target).
/// A schema-managed store's write fence is checked first: a stale store loads nothing.
pub async fn tables_empty<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<String> {
    if let Some(v) = ctx.graph.schema_version() {
        super::evolve::check_fence(ex, ctx.tables, ctx.graph.id(), v).await?;
    }
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
    Ok(if any.is_empty() { "true" } else { "false" }.into())
}
