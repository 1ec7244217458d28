//! Edge `bulkUpsertById` as one engine call (`upsert_with` with `entity: "edge"`), against real
//! SQLite and real PostgreSQL: the merge step sees the stored rows, the rows returned are the
//! rows stored, and a refused batch (merge abort, missing endpoint) leaves nothing behind.

use serde_json::{json, Value as Json};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{dispatch, schema, upsert_with, Ctx};
use typegraph_core::{Code, Graph, Tables};

fn graph(id: &str) -> Graph {
    Graph::from_json(
        &json!({
            "graphId": id,
            "nodes": { "Stop": {} },
            "edges": { "hop": { "from": ["Stop"], "to": ["Stop"], "cardinality": "many" } }
        })
        .to_string(),
    )
    .unwrap()
}

fn item(id: &str, from: &str, to: &str, props: Json) -> Json {
    json!({ "id": id, "from": { "kind": "Stop", "id": from }, "to": { "kind": "Stop", "id": to }, "props": props })
}

async fn scenario<E: Executor>(ex: &mut E, graph_id: &str) {
    let tables = Tables::default();
    schema::bootstrap(ex, &tables).await.unwrap();
    let g = graph(graph_id);
    let ctx = Ctx {
        graph: &g,
        tables: &tables,
    };
    for s in ["a", "b", "c", "d"] {
        let args = json!({ "kind": "Stop", "id": s, "props": {} }).to_string();
        dispatch(ex, &ctx, "createNode", &args).await.unwrap();
    }
    let args = json!({ "kind": "hop", "items": [item("h1", "a", "b", json!({ "w": 1 })), item("h2", "b", "c", json!({ "w": 2 }))] }).to_string();
    dispatch(ex, &ctx, "bulkCreateEdges", &args).await.unwrap();
    let args = json!({ "kind": "hop", "id": "h2" }).to_string();
    dispatch(ex, &ctx, "deleteEdge", &args).await.unwrap();

    // Creates, an update and a resurrection; the merge step sees h1 live, h2 as a tombstone.
    let call =
        json!({ "entity": "edge", "kind": "hop", "ids": ["h3", "h1", "h2"], "returning": true })
            .to_string();
    let mut seen = Vec::new();
    let out = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |rows: String| {
        seen.push(rows);
        std::future::ready(Ok(json!({ "items": [
            item("h3", "c", "d", json!({ "w": 3 })),
            item("h1", "a", "b", json!({ "w": 10 })),
            item("h2", "b", "c", json!({ "w": 20 })),
        ] })
        .to_string()))
    })
    .await
    .unwrap();
    assert_eq!(seen.len(), 1);
    let stored: Json = serde_json::from_str(&seen[0]).unwrap();
    assert!(stored[0].is_null());
    assert_eq!(stored[1][0], "h1");
    assert_eq!(stored[1][6]["w"], 1);
    assert!(stored[1][11].is_null());
    assert!(!stored[2][11].is_null());
    let out: Json = serde_json::from_str(&out).unwrap();
    let args =
        json!({ "kind": "hop", "ids": ["h3", "h1", "h2"], "temporalMode": "includeTombstones" })
            .to_string();
    let read: Json =
        serde_json::from_str(&dispatch(ex, &ctx, "getEdges", &args).await.unwrap()).unwrap();
    assert_eq!(out, read);
    assert_eq!(read[1][6]["w"], 10);
    assert!(read[2][11].is_null());

    // A merge step that aborts: nothing written.
    let call = json!({ "entity": "edge", "kind": "hop", "ids": ["h4", "h1"], "returning": true })
        .to_string();
    let err = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |_rows: String| {
        std::future::ready(Err(typegraph_core::Error::new(
            Code::Validation,
            "aborted",
            json!({}),
        )))
    })
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::Validation);

    // A missing endpoint: the failing item named, nothing written (h1 keeps its props).
    let err = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |_rows: String| {
        std::future::ready(Ok(json!({ "items": [
            item("h1", "a", "b", json!({ "w": 99 })),
            item("h4", "a", "zz", json!({})),
        ] })
        .to_string()))
    })
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::EndpointNotFound);
    assert_eq!(err.details["index"], 1);
    let args = json!({ "kind": "hop", "ids": ["h4", "h1"], "temporalMode": "includeTombstones" })
        .to_string();
    let read: Json =
        serde_json::from_str(&dispatch(ex, &ctx, "getEdges", &args).await.unwrap()).unwrap();
    assert!(read[0].is_null());
    assert_eq!(read[1][6]["w"], 10);

    // An item for an id it was not given is refused.
    let call = json!({ "entity": "edge", "kind": "hop", "ids": ["h5"] }).to_string();
    let err = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |_rows: String| {
        std::future::ready(Ok(
            json!({ "items": [item("h6", "a", "b", json!({}))] }).to_string()
        ))
    })
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::CompilerInvariant);
}

#[test]
fn sqlite_edge_upsert_with() {
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(scenario(&mut ex, "edge_upsert_sqlite"));
}

#[test]
fn postgres_edge_upsert_with() {
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
            "edge_upsert_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut ex, &id).await;
    });
}
