//! `findEdgesByEndpointSet` against real SQLite and PostgreSQL: one bucket per input endpoint
//! (repeats and misses included), newest edge first, a per-endpoint cap, several endpoint and
//! edge kinds in one statement, and the refusals.

use serde_json::{json, Value as Json};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{dispatch, schema, Ctx};
use typegraph_core::{Code, Graph, Tables};

fn graph(id: &str) -> Graph {
    Graph::from_json(
        &json!({
            "graphId": id,
            "nodes": { "Ship": { "onDelete": "restrict" }, "Port": { "onDelete": "restrict" } },
            "edges": {
                "docked": { "from": ["Ship"], "to": ["Port"], "cardinality": "many" },
                "route": { "from": ["Ship", "Port"], "to": ["Port"], "cardinality": "many" }
            }
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
    for (kind, id) in [
        ("Ship", "s1"),
        ("Ship", "s2"),
        ("Port", "p1"),
        ("Port", "p2"),
    ] {
        let a = json!({ "kind": kind, "id": id, "props": {} }).to_string();
        dispatch(ex, &ctx, "createNode", &a).await.unwrap();
    }
    // Distinct creation instants, oldest first.
    let edges = [
        (
            "e1",
            "docked",
            ("Ship", "s1"),
            "p1",
            "2020-01-01T00:00:00.000Z",
        ),
        (
            "e2",
            "docked",
            ("Ship", "s1"),
            "p2",
            "2021-01-01T00:00:00.000Z",
        ),
        (
            "e3",
            "route",
            ("Ship", "s1"),
            "p2",
            "2022-01-01T00:00:00.000Z",
        ),
        (
            "e4",
            "route",
            ("Port", "p1"),
            "p2",
            "2023-01-01T00:00:00.000Z",
        ),
    ];
    for (id, kind, from, to, _) in edges {
        let a = json!({ "kind": kind, "id": id, "from": { "kind": from.0, "id": from.1 }, "to": { "kind": "Port", "id": to }, "props": { "n": id } })
            .to_string();
        dispatch(ex, &ctx, "createEdge", &a).await.unwrap();
    }
    for (id, _, _, _, at) in edges {
        let sql = ex.dialect().finish(format!(
            "UPDATE {} SET created_at = ? WHERE graph_id = ? AND id = ?",
            tables.edges
        ));
        ex.execute(
            &sql,
            &[
                typegraph_core::value::Value::Ts(Some(at.into())),
                typegraph_core::value::Value::text(graph_id),
                typegraph_core::value::Value::text(id),
            ],
        )
        .await
        .unwrap();
    }
    let read = |args: Json| args.to_string();
    let ids = |out: &str| -> Vec<Vec<String>> {
        let v: Json = serde_json::from_str(out).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|b| {
                b.as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r[0].as_str().unwrap().to_string())
                    .collect()
            })
            .collect()
    };

    let out = dispatch(
        ex,
        &ctx,
        "findEdgesByEndpointSet",
        &read(json!({ "side": "from", "edgeKinds": ["docked"], "endpoints": [["Ship", "s2"], ["Ship", "s1"], ["Ship", "s1"]] })),
    )
    .await
    .unwrap();
    assert_eq!(ids(&out), vec![vec![], vec!["e2", "e1"], vec!["e2", "e1"]]);

    let out = dispatch(
        ex,
        &ctx,
        "findEdgesByEndpointSet",
        &read(json!({ "side": "from", "edgeKinds": ["docked", "route"], "endpoints": [["Port", "p1"], ["Ship", "s1"]], "limitPerEndpoint": 2 })),
    )
    .await
    .unwrap();
    assert_eq!(ids(&out), vec![vec!["e4"], vec!["e3", "e2"]]);

    let out = dispatch(
        ex,
        &ctx,
        "findEdgesByEndpointSet",
        &read(json!({ "side": "to", "edgeKinds": ["route", "docked"], "endpoints": [["Port", "p2"], ["Port", "p9"], ["Port", "p1"]] })),
    )
    .await
    .unwrap();
    assert_eq!(ids(&out), vec![vec!["e4", "e3", "e2"], vec![], vec!["e1"]]);

    // A coordinate before every edge's window sees none of them.
    let out = dispatch(
        ex,
        &ctx,
        "findEdgesByEndpointSet",
        &read(json!({ "side": "from", "edgeKinds": ["docked"], "endpoints": [["Ship", "s1"]], "temporalMode": "asOf", "asOf": "2000-01-01T00:00:00.000Z" })),
    )
    .await
    .unwrap();
    assert_eq!(ids(&out), vec![Vec::<String>::new()]);

    let empty = dispatch(
        ex,
        &ctx,
        "findEdgesByEndpointSet",
        &read(json!({ "side": "from", "edgeKinds": [], "endpoints": [["Ship", "s1"], ["Ship", "s1"]] })),
    )
    .await
    .unwrap();
    assert_eq!(empty, "[[],[]]");

    for bad in [
        json!({ "side": "both", "edgeKinds": ["docked"], "endpoints": [["Ship", "s1"]] }),
        json!({ "side": "from", "edgeKinds": ["docked"], "endpoints": [["Ship", "s1"]], "limitPerEndpoint": 0 }),
    ] {
        let err = dispatch(ex, &ctx, "findEdgesByEndpointSet", &read(bad))
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::Validation);
    }
    let err = dispatch(
        ex,
        &ctx,
        "findEdgesByEndpointSet",
        &read(json!({ "side": "from", "edgeKinds": ["sailed"], "endpoints": [] })),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::KindNotFound);
}

#[test]
fn sqlite_endpoint_sets() {
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(scenario(&mut ex, "edge_sets_sqlite"));
}

#[test]
fn postgres_endpoint_sets() {
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
            "edge_sets_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut ex, &id).await;
    });
}
