//! Node `bulkUpsertById` as one engine call with `compact` answers and `propsWanted`, against
//! real SQLite and real PostgreSQL: stored rows the caller asked without props come to the step
//! with `null` props (the others with theirs), and the answer is `[now, …]` where a live row
//! updated in place and a create without a stated window are `0` (the caller renders them from
//! the row it got and `now`) while resurrections and creates with a window come as rows — each
//! equal to what a read gives back.

use serde_json::{json, Value as Json};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{dispatch, schema, upsert_with, Ctx};
use typegraph_core::{Graph, Tables};

async fn scenario<E: Executor>(ex: &mut E, graph_id: &str) {
    let tables = Tables::default();
    schema::bootstrap(ex, &tables).await.unwrap();
    let g = Graph::from_json(
        &json!({ "graphId": graph_id, "nodes": { "P": {} }, "edges": {} }).to_string(),
    )
    .unwrap();
    let ctx = Ctx {
        graph: &g,
        tables: &tables,
    };
    for id in ["live", "dead", "kept"] {
        let args = json!({ "kind": "P", "id": id, "props": { "name": id, "n": 1 } }).to_string();
        dispatch(ex, &ctx, "createNode", &args).await.unwrap();
    }
    dispatch(
        ex,
        &ctx,
        "deleteNode",
        &json!({ "kind": "P", "id": "dead" }).to_string(),
    )
    .await
    .unwrap();
    let ids = ["live", "dead", "kept", "new", "dated"];
    let call = json!({
        "kind": "P", "ids": ids, "returning": true, "propsBack": false, "compact": true,
        "propsWanted": [false, false, true, false, false]
    })
    .to_string();
    let mut seen = Vec::new();
    let out = upsert_with::upsert_nodes_with(ex, &ctx, &call, &mut |rows: String| {
        seen.push(rows);
        std::future::ready(Ok(json!({ "items": [
            { "id": "live", "props": { "name": "live", "n": 2 } },
            { "id": "dead", "props": { "name": "dead", "n": 2 } },
            { "id": "kept", "props": { "name": "kept", "n": 2 } },
            { "id": "new", "props": { "name": "new", "n": 2 } },
            { "id": "dated", "props": { "name": "dated", "n": 2 }, "validFrom": "2020-01-01T00:00:00.000Z" }
        ] })
        .to_string()))
    })
    .await
    .unwrap();
    // The step's rows: props left out where not wanted, the others as stored.
    let given: Json = serde_json::from_str(&seen[0]).unwrap();
    assert!(given[0][2].is_null());
    assert_eq!(given[0][1], "live");
    assert!(given[1][2].is_null());
    assert!(!given[1][8].is_null());
    assert_eq!(given[2][2], json!({ "name": "kept", "n": 1 }));
    assert!(given[3].is_null() && given[4].is_null());

    let out: Json = serde_json::from_str(&out).unwrap();
    let now = out[0].as_str().unwrap().to_string();
    assert_eq!(out.as_array().unwrap().len(), 6);
    let args = json!({ "kind": "P", "ids": ids }).to_string();
    let read: Json =
        serde_json::from_str(&dispatch(ex, &ctx, "getNodes", &args).await.unwrap()).unwrap();
    // In place: the row given, next version, updated now.
    for (k, j) in [(0usize, 1usize), (2, 3)] {
        assert_eq!(out[j], 0);
        let mut expect = given[k].clone();
        expect[2] = read[k][2].clone();
        expect[3] = json!(given[k][3].as_i64().unwrap() + 1);
        expect[7] = json!(now);
        assert_eq!(read[k], expect);
    }
    // The resurrection comes as its row (props left out: the caller holds them).
    let mut dead = out[2].clone();
    assert!(dead[2].is_null());
    dead[2] = read[1][2].clone();
    assert_eq!(dead, read[1]);
    assert!(read[1][8].is_null());
    // A create without a window: version 1, valid from now.
    assert_eq!(out[4], 0);
    assert_eq!(
        read[3],
        json!(["P", "new", { "name": "new", "n": 2 }, 1, now, null, now, now, null])
    );
    // A create with a stated window comes as its row.
    let mut dated = out[5].clone();
    dated[2] = read[4][2].clone();
    assert_eq!(dated, read[4]);
    assert_eq!(read[4][4], "2020-01-01T00:00:00.000Z");
}

#[test]
fn sqlite_node_upsert_compact() {
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(scenario(&mut ex, "node_upsert_compact_sqlite"));
}

#[test]
fn postgres_node_upsert_compact() {
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
            "node_upsert_compact_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut ex, &id).await;
    });
}
