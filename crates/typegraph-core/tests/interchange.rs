//! The interchange operations against real SQLite and PostgreSQL: keyset-paged export reads
//! (soft-deleted rows only when asked), the edge probe by id across kinds, clearing a created
//! row's lower bound (open-left validity) and the emptiness check of the trusted import.

use serde_json::{json, Value as Json};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{dispatch, schema, Ctx};
use typegraph_core::{Graph, Tables};

fn graph(id: &str) -> Graph {
    Graph::from_json(
        &json!({
            "graphId": id,
            "nodes": { "Ship": { "onDelete": "restrict" }, "Port": { "onDelete": "restrict" } },
            "edges": {
                "docked": { "from": ["Ship"], "to": ["Port"], "cardinality": "many" },
                "visits": { "from": ["Ship"], "to": ["Port"], "cardinality": "many" }
            }
        })
        .to_string(),
    )
    .unwrap()
}

async fn call<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, op: &str, args: Json) -> Json {
    serde_json::from_str(&dispatch(ex, ctx, op, &args.to_string()).await.unwrap()).unwrap()
}

/// Ids of a page of rows (node rows carry the id second, edge rows first).
fn ids(rows: &Json, col: usize) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[col].as_str().unwrap().to_string())
        .collect()
}

async fn scenario<E: Executor>(ex: &mut E, graph_id: &str, fresh_db: bool) {
    let tables = Tables::default();
    schema::bootstrap(ex, &tables).await.unwrap();
    let g = graph(graph_id);
    let ctx = Ctx {
        graph: &g,
        tables: &tables,
    };
    if fresh_db {
        assert_eq!(
            call(ex, &ctx, "interchangeTablesEmpty", json!({})).await,
            json!(true)
        );
    }
    for id in ["s3", "s1", "s4", "s2"] {
        call(
            ex,
            &ctx,
            "createNode",
            json!({ "kind": "Ship", "id": id, "props": { "n": id } }),
        )
        .await;
    }
    call(
        ex,
        &ctx,
        "createNode",
        json!({ "kind": "Port", "id": "p1", "props": {} }),
    )
    .await;
    call(
        ex,
        &ctx,
        "deleteNode",
        json!({ "kind": "Ship", "id": "s4" }),
    )
    .await;
    assert_eq!(
        call(ex, &ctx, "interchangeTablesEmpty", json!({})).await,
        json!(false)
    );

    // Keyset pages in id order; the soft-deleted row only when asked.
    let page = |after: Option<&str>, deleted: bool| {
        let mut a =
            json!({ "entity": "node", "kind": "Ship", "limit": 2, "includeDeleted": deleted });
        if let Some(after) = after {
            a["after"] = json!(after);
        }
        a
    };
    let first = call(ex, &ctx, "interchangePage", page(None, false)).await;
    assert_eq!(ids(&first, 1), ["s1", "s2"]);
    assert_eq!(first[0][2], json!({ "n": "s1" }));
    let second = call(ex, &ctx, "interchangePage", page(Some("s2"), false)).await;
    assert_eq!(ids(&second, 1), ["s3"]);
    let with_deleted = call(ex, &ctx, "interchangePage", page(Some("s2"), true)).await;
    assert_eq!(ids(&with_deleted, 1), ["s3", "s4"]);

    for (id, kind, ship) in [("e2", "docked", "s1"), ("e1", "visits", "s2")] {
        call(
            ex,
            &ctx,
            "createEdge",
            json!({ "kind": kind, "id": id, "from": { "kind": "Ship", "id": ship }, "to": { "kind": "Port", "id": "p1" }, "props": {} }),
        )
        .await;
    }
    let edges = call(
        ex,
        &ctx,
        "interchangePage",
        json!({ "entity": "edge", "kind": "docked", "limit": 10 }),
    )
    .await;
    assert_eq!(ids(&edges, 0), ["e2"]);
    // The probe finds edges by id whatever their kind.
    let probed = call(
        ex,
        &ctx,
        "interchangeProbeEdges",
        json!({ "ids": ["e1", "e2", "e9"] }),
    )
    .await;
    let mut found: Vec<(String, String)> = probed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("e1".to_string(), "visits".to_string()),
            ("e2".to_string(), "docked".to_string())
        ]
    );

    // Open-left: the created row's lower bound is cleared.
    call(
        ex,
        &ctx,
        "interchangeOpenLeft",
        json!({ "entity": "node", "kind": "Ship", "ids": ["s1"] }),
    )
    .await;
    let row = call(ex, &ctx, "getNode", json!({ "kind": "Ship", "id": "s1" })).await;
    assert_eq!(row[4], Json::Null);
    let other = call(ex, &ctx, "getNode", json!({ "kind": "Ship", "id": "s2" })).await;
    assert!(other[4].is_string());
}

#[test]
fn sqlite_interchange_ops() {
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(scenario(&mut ex, "interchange_sqlite", true));
}

#[test]
fn postgres_interchange_ops() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the PostgreSQL engine tests (DATABASE_URL unset)"
        );
        eprintln!("DATABASE_URL not set: PostgreSQL engine test not run locally");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut depth = 0;
        let mut ex = PgExec {
            conn: &mut conn,
            depth: &mut depth,
            session: &mut Default::default(),
        };
        let id = format!(
            "interchange_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut ex, &id, false).await;
    });
}
