//! Node get-or-create by constraint as one engine call (`upsert_with` with `entity:
//! "nodeConstraint"`), against real SQLite and real PostgreSQL: the step sees each item's holder
//! (live, tombstoned, none, or the earlier item whose key it repeats), the writes it returns are
//! applied with their keys claimed, the rows returned are the rows stored, and a refused batch
//! leaves nothing behind.

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
            "nodes": { "User": { "unique": [
                { "name": "email", "fields": ["email"], "collation": "caseInsensitive", "where": { "field": "email", "op": "isNotNull" } },
                { "name": "handle", "fields": ["handle"] }
            ] } },
            "edges": {}
        })
        .to_string(),
    )
    .unwrap()
}

async fn scenario<E: Executor>(ex: &mut E, graph_id: &str) {
    let tables = Tables::default();
    schema::bootstrap(ex, &tables).await.unwrap();
    let g = graph(graph_id);
    let ctx = Ctx {
        graph: &g,
        tables: &tables,
    };
    for (id, email, handle) in [("u1", "one@x.io", "h1"), ("u2", "two@x.io", "h2")] {
        let args =
            json!({ "kind": "User", "id": id, "props": { "email": email, "handle": handle } })
                .to_string();
        dispatch(ex, &ctx, "createNode", &args).await.unwrap();
    }
    dispatch(
        ex,
        &ctx,
        "deleteNode",
        &json!({ "kind": "User", "id": "u2" }).to_string(),
    )
    .await
    .unwrap();

    let call = json!({
        "entity": "nodeConstraint", "kind": "User", "constraint": "email", "returning": true, "propsBack": true,
        "props": [
            { "email": "ONE@x.io", "handle": "h1" },
            { "email": "two@x.io", "handle": "h2" },
            { "email": "three@x.io", "handle": "h3" },
            { "email": "one@X.IO" },
            { "handle": "h4" }
        ]
    })
    .to_string();
    let mut seen = Vec::new();
    let out = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |hits: String| {
        seen.push(hits);
        std::future::ready(Ok(json!({ "items": [
            { "id": "u1", "props": { "email": "ONE@x.io", "handle": "h1", "n": 1 } },
            { "id": "u2", "props": { "email": "two@x.io", "handle": "h2" } },
            { "id": "u3", "props": { "email": "three@x.io", "handle": "h3" } },
            { "id": "u4", "props": { "handle": "h4" } }
        ] })
        .to_string()))
    })
    .await
    .unwrap();
    assert_eq!(seen.len(), 1);
    let hits: Json = serde_json::from_str(&seen[0]).unwrap();
    assert_eq!(hits[0][0][1], "u1");
    assert_eq!(hits[0][1], true);
    assert_eq!(hits[1][0][1], "u2");
    assert_eq!(hits[1][1], false);
    assert!(hits[2].is_null());
    assert_eq!(hits[3], 0);
    assert!(hits[4].is_null());
    let out: Json = serde_json::from_str(&out).unwrap();
    let args = json!({ "kind": "User", "ids": ["u1", "u2", "u3", "u4"] }).to_string();
    let read: Json =
        serde_json::from_str(&dispatch(ex, &ctx, "getNodes", &args).await.unwrap()).unwrap();
    assert_eq!(out, read);
    assert_eq!(read[0][3], 2);
    assert_eq!(read[0][2]["n"], 1);
    assert!(read[1][8].is_null());
    // The keys written are held: the created and resurrected nodes are found by them.
    let args = json!({ "kind": "User", "constraint": "email", "props": [{ "email": "Three@x.io" }, { "email": "two@x.io" }] }).to_string();
    let found: Json =
        serde_json::from_str(&dispatch(ex, &ctx, "findByConstraint", &args).await.unwrap())
            .unwrap();
    assert_eq!(found[0][0][1], "u3");
    assert_eq!(found[1][0][1], "u2");
    assert_eq!(found[1][1], true);

    // A write whose other key another node holds: refused, nothing written.
    let call = json!({ "entity": "nodeConstraint", "kind": "User", "constraint": "email", "returning": true,
        "props": [{ "email": "five@x.io" }, { "email": "six@x.io", "handle": "h1" }] })
    .to_string();
    let err = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |_hits: String| {
        std::future::ready(Ok(json!({ "items": [
            { "id": "u5", "props": { "email": "five@x.io" } },
            { "id": "u6", "props": { "email": "six@x.io", "handle": "h1" } }
        ] })
        .to_string()))
    })
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::Uniqueness);
    let args = json!({ "kind": "User", "ids": ["u5", "u6"], "temporalMode": "includeTombstones" })
        .to_string();
    let read: Json =
        serde_json::from_str(&dispatch(ex, &ctx, "getNodes", &args).await.unwrap()).unwrap();
    assert!(read[0].is_null() && read[1].is_null());

    // An unknown constraint.
    let call =
        json!({ "entity": "nodeConstraint", "kind": "User", "constraint": "nope", "props": [{}] })
            .to_string();
    let err = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |_hits: String| {
        std::future::ready(Ok(json!({ "items": [] }).to_string()))
    })
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::ConstraintNotFound);
}

#[test]
fn sqlite_node_constraint_with() {
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(scenario(&mut ex, "node_constraint_sqlite"));
}

#[test]
fn postgres_node_constraint_with() {
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
            "node_constraint_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut ex, &id).await;
    });
}
