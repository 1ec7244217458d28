//! Schema-version compare-and-swap, the write fence and kind removal, on real
//! SQLite (two connections on one file) and real PostgreSQL (two connections).

use serde_json::{json, Value as Json};
use typegraph_core::exec::postgres::PgExec;
use typegraph_core::exec::sqlite::{SqliteConn, SqliteExec};
use typegraph_core::exec::{run_ready, Executor};
use typegraph_core::ops::{dispatch, schema, Ctx};
use typegraph_core::{Code, Graph, Tables};

fn graph(id: &str, version: Option<i64>) -> Graph {
    Graph::from_json(
        &json!({
            "graphId": id,
            "nodes": { "Paper": {}, "Note": {} },
            "edges": { "cites": { "from": ["Paper"], "to": ["Paper"] } },
            "schemaVersion": version,
        })
        .to_string(),
    )
    .unwrap()
}

async fn op<E: Executor>(
    ex: &mut E,
    g: &Graph,
    name: &str,
    args: Json,
) -> typegraph_core::Result<Json> {
    let tables = Tables::default();
    let ctx = Ctx {
        graph: g,
        tables: &tables,
    };
    dispatch(ex, &ctx, name, &args.to_string())
        .await
        .map(|s| serde_json::from_str(&s).unwrap())
}

fn commit(id: &str, expected: Option<i64>, version: i64, hash: &str, doc: Json) -> Json {
    json!({ "graphId": id, "expected": expected, "version": version, "hash": hash, "doc": doc.to_string() })
}

fn doc(kinds: &[&str]) -> Json {
    let nodes: serde_json::Map<String, Json> =
        kinds.iter().map(|k| (k.to_string(), json!({}))).collect();
    json!({ "nodes": nodes, "edges": {} })
}

/// Runs on one connection (`a`) with a second one (`b`) racing it.
async fn scenario<A: Executor, B: Executor>(a: &mut A, b: &mut B, id: &str) {
    let tables = Tables::default();
    schema::bootstrap(a, &tables).await.unwrap();
    let raw = graph(id, None);

    // Initial commit, then a CAS advance.
    op(
        a,
        &raw,
        "commitSchema",
        commit(id, None, 1, "h1", doc(&["Paper"])),
    )
    .await
    .unwrap();
    op(
        a,
        &raw,
        "commitSchema",
        commit(id, Some(1), 2, "h2", doc(&["Paper", "Note"])),
    )
    .await
    .unwrap();
    // The loser of a race with identical content: idempotent success.
    let same = op(
        b,
        &raw,
        "commitSchema",
        commit(id, Some(1), 2, "h2", doc(&["Paper", "Note"])),
    )
    .await
    .unwrap();
    assert_eq!(same["idempotent"], true);
    // With different content at the same version: content conflict, which wins over CAS.
    let err = op(
        b,
        &raw,
        "commitSchema",
        commit(id, Some(1), 2, "hX", doc(&["Paper"])),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::SchemaContentConflict);
    assert_eq!(err.details["existingHash"], "h2");
    // Built on a stale active version with no row at the target: stale.
    let err = op(
        b,
        &raw,
        "commitSchema",
        commit(id, Some(1), 3, "h3", doc(&["Paper"])),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, Code::StaleVersion);
    assert_eq!(err.details["actual"], 2);

    // Fenced writes at v2 go through (fast path and transactional path).
    let v2 = graph(id, Some(2));
    op(
        a,
        &v2,
        "createNode",
        json!({ "kind": "Paper", "id": "p1", "props": { "t": 1 } }),
    )
    .await
    .unwrap();
    op(
        a,
        &v2,
        "updateNode",
        json!({ "kind": "Paper", "id": "p1", "props": { "t": 2 } }),
    )
    .await
    .unwrap();
    op(
        a,
        &v2,
        "bulkCreateNodes",
        json!({ "kind": "Note", "items": [{ "id": "n1", "props": {} }], "returning": false }),
    )
    .await
    .unwrap();

    // Emptiness probe: a populated kind blocks the commit, which stays uncommitted.
    let populated = op(
        b,
        &raw,
        "commitSchema",
        json!({ "graphId": id, "expected": 2, "version": 3, "hash": "h3", "doc": doc(&["Paper"]).to_string(),
                "requireEmpty": [{ "entity": "node", "kind": "Note" }, { "entity": "edge", "kind": "cites" }] }),
    )
    .await
    .unwrap();
    assert_eq!(populated["status"], "populated");
    assert_eq!(
        populated["kinds"],
        json!([{ "entity": "node", "kind": "Note", "count": 1 }])
    );
    let active: Json =
        serde_json::from_str(&schema::get_active(a, &tables, id).await.unwrap()).unwrap();
    assert_eq!(active["version"], 2);

    // Another connection removes Note at v3, queueing its cleanup in the same commit.
    op(
        b,
        &raw,
        "commitSchema",
        json!({ "graphId": id, "expected": 2, "version": 3, "hash": "h3", "doc": doc(&["Paper"]).to_string(),
                "removals": [{ "entity": "node", "kind": "Note" }] }),
    )
    .await
    .unwrap();

    // The v2 store's writes are now refused by the fence, on every path.
    for (name, args) in [
        (
            "createNode",
            json!({ "kind": "Paper", "id": "p2", "props": {} }),
        ),
        (
            "updateNode",
            json!({ "kind": "Paper", "id": "p1", "props": { "t": 3 } }),
        ),
        ("deleteNode", json!({ "kind": "Paper", "id": "p1" })),
        (
            "bulkCreateNodes",
            json!({ "kind": "Paper", "items": [{ "props": {} }], "returning": true }),
        ),
    ] {
        let err = op(a, &v2, name, args).await.unwrap_err();
        assert_eq!(err.code, Code::StaleVersion, "{name}");
        assert_eq!(err.details["expected"], 2);
        assert_eq!(err.details["actual"], 3);
    }
    // Nothing of the refused writes landed; reads still work on the stale store.
    let count = op(a, &v2, "countNodes", json!({ "kind": "Paper" }))
        .await
        .unwrap();
    assert_eq!(count, 1);
    let p1 = op(a, &v2, "getNode", json!({ "kind": "Paper", "id": "p1" }))
        .await
        .unwrap();
    assert_eq!(p1[2]["t"], 2);
    // A store at the new version writes.
    let v3 = graph(id, Some(3));
    op(
        a,
        &v3,
        "createNode",
        json!({ "kind": "Paper", "id": "p2", "props": {} }),
    )
    .await
    .unwrap();

    // Cleanup of the removed kind.
    let pending = op(a, &v3, "getPendingKindRemovals", json!({}))
        .await
        .unwrap();
    assert!(pending[0]["lastAttemptedAt"].is_string());
    let mut pending = pending;
    pending[0]
        .as_object_mut()
        .unwrap()
        .remove("lastAttemptedAt");
    assert_eq!(
        pending,
        json!([{ "kind": "Note", "entity": "node", "schemaVersion": 3, "lastError": null }])
    );
    let done = op(a, &v3, "materializeRemovals", json!({})).await.unwrap();
    assert_eq!(
        done,
        json!([{ "kind": "Note", "entity": "node", "status": "removed" }])
    );
    assert_eq!(
        op(
            a,
            &v3,
            "countNodes",
            json!({ "kind": "Note", "temporalMode": "includeTombstones" })
        )
        .await
        .unwrap(),
        0
    );
    assert_eq!(
        op(a, &v3, "getPendingKindRemovals", json!({}))
            .await
            .unwrap(),
        json!([])
    );
    assert_eq!(
        op(a, &v3, "countNodes", json!({ "kind": "Paper" }))
            .await
            .unwrap(),
        2
    );
}

#[test]
fn sqlite_two_connections() {
    let dir = std::env::temp_dir().join(format!(
        "tg_evolve_{}_{}",
        std::process::id(),
        typegraph_core::util::generate_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("db.sqlite");
    let path = path.to_str().unwrap();
    let mut db_a = SqliteConn::open(path).unwrap();
    let mut a = SqliteExec { db: &mut db_a };
    run_ready(schema::bootstrap(&mut a, &Tables::default())).unwrap();
    let mut db_b = SqliteConn::open(path).unwrap();
    let mut b = SqliteExec { db: &mut db_b };
    run_ready(scenario(&mut a, &mut b, "evolve_sqlite"));
    drop(db_a);
    drop(db_b);
    let _ = std::fs::remove_dir_all(&dir);
}

fn pg_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(u) => Some(u),
        Err(_) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must run the PostgreSQL engine tests"
            );
            None
        }
    }
}

#[test]
fn postgres_two_connections() {
    let Some(url) = pg_url() else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut ca = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut cb = sqlx::PgConnection::connect(&url).await.unwrap();
        let (mut da, mut db) = (0, 0);
        let mut a = PgExec {
            conn: &mut ca,
            depth: &mut da,
            session: &mut Default::default(),
        };
        let mut b = PgExec {
            conn: &mut cb,
            depth: &mut db,
            session: &mut Default::default(),
        };
        let id = format!(
            "evolve_pg_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        scenario(&mut a, &mut b, &id).await;
    });
}

/// A write transaction in flight holds the fence: the schema commit waits for it,
/// and the writer's next transaction is refused.
#[test]
fn postgres_commit_waits_for_write_in_flight() {
    let Some(url) = pg_url() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let id = format!(
            "evolve_pg_fence_{}_{}",
            std::process::id(),
            typegraph_core::util::generate_id()
        );
        let mut ca = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut da = 0;
        let mut a = PgExec {
            conn: &mut ca,
            depth: &mut da,
            session: &mut Default::default(),
        };
        schema::bootstrap(&mut a, &Tables::default()).await.unwrap();
        let raw = graph(&id, None);
        op(
            &mut a,
            &raw,
            "commitSchema",
            commit(&id, None, 1, "h1", doc(&["Paper"])),
        )
        .await
        .unwrap();
        let v1 = graph(&id, Some(1));
        a.begin().await.unwrap();
        op(
            &mut a,
            &v1,
            "createNode",
            json!({ "kind": "Paper", "id": "inflight", "props": {} }),
        )
        .await
        .unwrap();

        let url2 = url.clone();
        let id2 = id.clone();
        let committer = tokio::spawn(async move {
            let mut cb = sqlx::PgConnection::connect(&url2).await.unwrap();
            let mut dbb = 0;
            let mut b = PgExec {
                conn: &mut cb,
                depth: &mut dbb,
                session: &mut Default::default(),
            };
            let raw = graph(&id2, None);
            op(
                &mut b,
                &raw,
                "commitSchema",
                commit(&id2, Some(1), 2, "h2", doc(&["Paper"])),
            )
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !committer.is_finished(),
            "the schema commit must wait for the write in flight"
        );
        a.commit().await.unwrap();
        committer.await.unwrap().unwrap();
        let err = op(
            &mut a,
            &v1,
            "createNode",
            json!({ "kind": "Paper", "id": "late", "props": {} }),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, Code::StaleVersion);
        assert_eq!(
            op(&mut a, &raw, "countNodes", json!({ "kind": "Paper" }))
                .await
                .unwrap(),
            1
        );
    });
}
