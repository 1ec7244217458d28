//! Schema-version activation (`setActiveSchema`, behind `rollbackSchema`) against real SQLite
//! and real PostgreSQL. PostgreSQL runs when DATABASE_URL is set (CI requires it).

use serde_json::{json, Value as Json};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{dispatch, schema, Ctx};
use typegraph_core::{Code, Graph, Tables};

async fn active<E: Executor>(ex: &mut E, tables: &Tables, graph_id: &str) -> Json {
    serde_json::from_str(&schema::get_active(ex, tables, graph_id).await.unwrap()).unwrap()
}

async fn scenario<E: Executor>(ex: &mut E, graph_id: &str) {
    let tables = Tables::default();
    schema::bootstrap(ex, &tables).await.unwrap();
    let g = Graph::from_json(&json!({ "graphId": graph_id, "nodes": {}, "edges": {} }).to_string())
        .unwrap();
    let ctx = Ctx {
        graph: &g,
        tables: &tables,
    };
    for (expected, version) in [(Json::Null, 1), (json!(1), 2), (json!(2), 3)] {
        let args = json!({ "graphId": graph_id, "expected": expected, "version": version,
            "hash": format!("h{version}"), "doc": format!("{{\"v\":{version}}}") });
        dispatch(ex, &ctx, "commitSchema", &args.to_string())
            .await
            .unwrap();
    }
    assert_eq!(active(ex, &tables, graph_id).await["version"], 3);

    // Roll back to 1: the active row is version 1 with its document.
    let args = json!({ "graphId": graph_id, "expected": 3, "version": 1 });
    dispatch(ex, &ctx, "setActiveSchema", &args.to_string())
        .await
        .unwrap();
    let row = active(ex, &tables, graph_id).await;
    assert_eq!(row["version"], 1);
    assert_eq!(row["doc"]["v"], 1);

    // A stale caller loses; an unknown version is a migration error; nothing changes either way.
    let stale = json!({ "graphId": graph_id, "expected": 3, "version": 2 });
    let err = dispatch(ex, &ctx, "setActiveSchema", &stale.to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::StaleVersion);
    let missing = json!({ "graphId": graph_id, "expected": 1, "version": 9 });
    let err = dispatch(ex, &ctx, "setActiveSchema", &missing.to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::Migration);
    assert_eq!(active(ex, &tables, graph_id).await["version"], 1);

    // Forward again, and a new commit builds on the re-activated version.
    let args = json!({ "graphId": graph_id, "expected": 1, "version": 3 });
    dispatch(ex, &ctx, "setActiveSchema", &args.to_string())
        .await
        .unwrap();
    let next =
        json!({ "graphId": graph_id, "expected": 3, "version": 4, "hash": "h4", "doc": "{}" });
    dispatch(ex, &ctx, "commitSchema", &next.to_string())
        .await
        .unwrap();
    assert_eq!(active(ex, &tables, graph_id).await["version"], 4);
}

#[test]
fn sqlite_set_active_schema() {
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(scenario(&mut ex, "schema_versions_sqlite"));
}

#[test]
fn postgres_set_active_schema() {
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
            "schema_versions_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut ex, &id).await;
    });
}
