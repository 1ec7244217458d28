//! The engine against real SQLite and real PostgreSQL, through the same
//! operation code. PostgreSQL runs when DATABASE_URL is set (CI requires it).

use serde_json::{json, Value as Json};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{dispatch, schema, Ctx};
use typegraph_core::{Code, Dialect, Graph, Tables};

fn graph(id: &str) -> Graph {
    Graph::from_json(
        &json!({
            "graphId": id,
            "nodes": {
                "Person": { "onDelete": "restrict", "unique": [{ "name": "email", "fields": ["email"], "where": { "field": "email", "op": "isNotNull" } }] },
                "Company": { "onDelete": "cascade" }
            },
            "edges": { "worksAt": { "from": ["Person"], "to": ["Company"], "cardinality": "many" } }
        })
        .to_string(),
    )
    .unwrap()
}

/// The scenario every backend must pass, written once.
async fn scenario<E: Executor>(ex: &mut E, graph_id: &str) {
    let tables = Tables::default();
    schema::bootstrap(ex, &tables).await.unwrap();
    // Idempotent DDL.
    schema::bootstrap(ex, &tables).await.unwrap();
    let g = graph(graph_id);
    let ctx = Ctx {
        graph: &g,
        tables: &tables,
    };
    let call = |op: &'static str, args: Json| (op, args.to_string());

    assert_eq!(
        schema::get_active(ex, &tables, graph_id).await.unwrap(),
        "null"
    );
    let (op, a) = call(
        "commitSchema",
        json!({ "graphId": graph_id, "expected": null, "version": 1, "hash": "h1", "doc": "{\"a\":1}" }),
    );
    dispatch(ex, &ctx, op, &a).await.unwrap();
    let active: Json =
        serde_json::from_str(&schema::get_active(ex, &tables, graph_id).await.unwrap()).unwrap();
    assert_eq!(active["version"], 1);
    assert_eq!(active["doc"]["a"], 1);
    // A commit built on a stale version loses the race.
    let (op, a) = call(
        "commitSchema",
        json!({ "graphId": graph_id, "expected": null, "version": 2, "hash": "h2", "doc": "{}" }),
    );
    assert_eq!(
        dispatch(ex, &ctx, op, &a).await.unwrap_err().code,
        Code::StaleVersion
    );

    let (op, a) = call(
        "createNode",
        json!({ "kind": "Person", "id": "p1", "props": { "name": "Ada", "email": "a@x" } }),
    );
    let row: Json = serde_json::from_str(&dispatch(ex, &ctx, op, &a).await.unwrap()).unwrap();
    assert_eq!(row[0], "Person");
    assert_eq!(row[2]["name"], "Ada");
    assert_eq!(row[3], 1);
    assert!(row[6].as_str().unwrap().ends_with('Z'));

    let (op, a) = call(
        "createNode",
        json!({ "kind": "Person", "id": "p1", "props": { "name": "Again" } }),
    );
    assert_eq!(
        dispatch(ex, &ctx, op, &a).await.unwrap_err().code,
        Code::Validation
    );
    let (op, a) = call(
        "createNode",
        json!({ "kind": "Person", "props": { "name": "Dup", "email": "a@x" } }),
    );
    assert_eq!(
        dispatch(ex, &ctx, op, &a).await.unwrap_err().code,
        Code::Uniqueness
    );
    let (op, a) = call(
        "createNode",
        json!({ "kind": "Company", "id": "c1", "props": { "name": "Acme" } }),
    );
    dispatch(ex, &ctx, op, &a).await.unwrap();

    let (op, a) = call(
        "createEdge",
        json!({ "kind": "worksAt", "from": { "kind": "Person", "id": "p1" }, "to": { "kind": "Company", "id": "c1" }, "props": {} }),
    );
    let edge: Json = serde_json::from_str(&dispatch(ex, &ctx, op, &a).await.unwrap()).unwrap();
    let (op, a) = call(
        "createEdge",
        json!({ "kind": "worksAt", "from": { "kind": "Company", "id": "c1" }, "to": { "kind": "Company", "id": "c1" }, "props": {} }),
    );
    assert_eq!(
        dispatch(ex, &ctx, op, &a).await.unwrap_err().code,
        Code::Endpoint
    );
    let (op, a) = call(
        "createEdge",
        json!({ "kind": "worksAt", "from": { "kind": "Person", "id": "zz" }, "to": { "kind": "Company", "id": "c1" }, "props": {} }),
    );
    assert_eq!(
        dispatch(ex, &ctx, op, &a).await.unwrap_err().code,
        Code::EndpointNotFound
    );

    let (op, a) = call("deleteNode", json!({ "kind": "Person", "id": "p1" }));
    assert_eq!(
        dispatch(ex, &ctx, op, &a).await.unwrap_err().code,
        Code::RestrictedDelete
    );
    let (op, a) = call("deleteNode", json!({ "kind": "Company", "id": "c1" }));
    dispatch(ex, &ctx, op, &a).await.unwrap();
    let (op, a) = call("getEdge", json!({ "kind": "worksAt", "id": edge[0] }));
    assert_eq!(dispatch(ex, &ctx, op, &a).await.unwrap(), "null");

    let (op, a) = call(
        "updateNode",
        json!({ "kind": "Person", "id": "p1", "props": { "name": "Ada L" }, "expectedVersion": 1 }),
    );
    let row: Json = serde_json::from_str(&dispatch(ex, &ctx, op, &a).await.unwrap()).unwrap();
    assert_eq!(row[3], 2);
    let (op, a) = call(
        "updateNode",
        json!({ "kind": "Person", "id": "p1", "props": { "name": "x" }, "expectedVersion": 1 }),
    );
    assert_eq!(
        dispatch(ex, &ctx, op, &a).await.unwrap_err().code,
        Code::StaleVersion
    );

    // Atomicity: a failing operation inside a transaction leaves nothing behind.
    ex.begin().await.unwrap();
    let (op, a) = call(
        "createNode",
        json!({ "kind": "Person", "id": "t1", "props": { "name": "T" } }),
    );
    dispatch(ex, &ctx, op, &a).await.unwrap();
    ex.rollback().await.unwrap();
    let (op, a) = call(
        "getNode",
        json!({ "kind": "Person", "id": "t1", "temporalMode": "includeTombstones" }),
    );
    assert_eq!(dispatch(ex, &ctx, op, &a).await.unwrap(), "null");

    let (op, a) = call(
        "findNodes",
        json!({ "kind": "Person", "where": { "type": "cmp", "field": { "path": ["name"], "valueType": "string" }, "op": "startsWith", "value": "ada" } }),
    );
    let found: Json = serde_json::from_str(&dispatch(ex, &ctx, op, &a).await.unwrap()).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
    let (op, a) = call("countNodes", json!({ "kind": "Person" }));
    assert_eq!(dispatch(ex, &ctx, op, &a).await.unwrap(), "1");
}

#[test]
fn sqlite_scenario() {
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(scenario(&mut ex, "engine_sqlite"));
}

#[test]
fn sqlite_ddl_matches_layout() {
    let ddl = Dialect::Sqlite.ddl(&Tables::default());
    assert_eq!(ddl.split("\n\n").count(), 51);
    assert!(ddl.contains("\"is_active\" TEXT NOT NULL DEFAULT 0"));
    assert!(ddl.contains("tokenize='porter unicode61 remove_diacritics 2'"));
    // The PostgreSQL build-claim columns are not part of upstream's SQLite table.
    assert!(!ddl.contains("building_since") && !ddl.contains("claim_token"));
    let pg = Dialect::Postgres.ddl(&Tables::default());
    assert_eq!(pg.split("\n\n").count(), 54);
    assert!(pg.contains("\"props\" JSONB NOT NULL"));
    assert!(pg.contains("\"created_at\" TIMESTAMPTZ NOT NULL"));
    assert!(pg.contains("\"building_since\" TIMESTAMPTZ") && pg.contains("\"claim_token\" TEXT"));
}

#[test]
fn postgres_scenario() {
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
            "engine_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut ex, &id).await;
    });
}
