//! `clearGraph` (`store.clear()`): hard-deletes every row this graph owns, in one
//! transaction — fulltext documents, recorded history and identity rows, unique
//! claims, edge claims, edges, nodes, index/removal/reconciliation status rows and
//! the schema versions — and empties the graph's per-(kind, field) vector tables.
//! Other graphs sharing the tables are untouched. The vector tables are kept (and
//! their contribution markers with them), so later writes find them in place.

use super::Ctx;
use crate::dialect::{quote_ident, Dialect};
use crate::error::Result;
use crate::exec::Executor;
use crate::value::Value;

/// Logical tables in delete order (dependents first), with upstream's default names.
const GRAPH_TABLES: &[(&str, &str, &str)] = &[
    ("fulltext", "typegraph_node_fulltext", "graph_id"),
    (
        "recordedIdentityAssertions",
        "typegraph_recorded_identity_assertions",
        "graph_id",
    ),
    ("recordedEdges", "typegraph_recorded_edges", "graph_id"),
    ("recordedNodes", "typegraph_recorded_nodes", "graph_id"),
    ("recordedClock", "typegraph_recorded_clock", "graph_id"),
    (
        "identitySeparation",
        "typegraph_identity_separation",
        "graph_id",
    ),
    ("identityClosure", "typegraph_identity_closure", "graph_id"),
    (
        "identityAssertions",
        "typegraph_identity_assertions",
        "graph_id",
    ),
    ("uniques", "typegraph_node_uniques", "graph_id"),
    ("edgeClaims", "typegraph_edge_claims", "graph_id"),
    ("edges", "typegraph_edges", "graph_id"),
    ("nodes", "typegraph_nodes", "graph_id"),
    (
        "indexMaterializations",
        "typegraph_index_materializations",
        "graph_id",
    ),
    ("kindRemovals", "typegraph_kind_removals", "graph_id"),
    (
        "reconciliationMarkers",
        "typegraph_reconciliation_markers",
        "graph_id",
    ),
    ("schemaVersions", "typegraph_schema_versions", "graph_id"),
];

async fn table_exists<E: Executor>(ex: &mut E, name: &str) -> Result<bool> {
    let sql = match ex.dialect() {
        Dialect::Sqlite => "SELECT 1 FROM sqlite_master WHERE name = ?",
        Dialect::Postgres => "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = ANY(current_schemas(false))",
    };
    Ok(!ex.query(sql, &[Value::text(name)]).await?.is_empty())
}

/// Deletes the graph's rows; returns `{"deleted": {"nodes": n, "edges": n}}`.
pub async fn clear<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<String> {
    let graph_id = ctx.graph.id().to_string();
    let d = ex.dialect();
    // The graph's vector tables: those its markers name, and those its declared fields use.
    let mut vector_tables: std::collections::BTreeSet<String> =
        super::evolve::vector_markers(ex, ctx.tables, &graph_id)
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
    for (kind, spec) in &ctx.graph.spec.nodes {
        for f in &spec.embeddings {
            vector_tables.insert(crate::search::vector_table(&graph_id, kind, &f.field));
        }
    }
    crate::atomic!(ex, {
        let mut counts = (0u64, 0u64);
        for (key, default, col) in GRAPH_TABLES {
            let name = ctx.tables.physical(key, default);
            if !table_exists(ex, &name).await? {
                continue;
            }
            let sql = d.finish(format!(
                "DELETE FROM {} WHERE {col} = ?",
                quote_ident(&name)
            ));
            let n = ex.execute(&sql, &[Value::text(&graph_id)]).await?;
            match *key {
                "nodes" => counts.0 = n,
                "edges" => counts.1 = n,
                _ => {}
            }
        }
        for table in &vector_tables {
            if !table_exists(ex, table).await? {
                continue;
            }
            ex.execute(&format!("DELETE FROM {}", quote_ident(table)), &[])
                .await?;
            // SQLite: the saved HNSW graph and the in-memory rows of the table go too.
            crate::search::facade::forget_ann(ex, table, &graph_id).await?;
        }
        Ok(serde_json::json!({ "deleted": { "nodes": counts.0, "edges": counts.1 } }).to_string())
    })
}
