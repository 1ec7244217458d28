//! The benchmark's floor lane: the same rows into the same tables and indexes
//! by plain SQL from Rust — no validation, no checks — so every typegraph-native
//! figure can be read as a ratio to what the database itself allows.
//!
//! Usage: tg-floor <sqlite-file | postgres://url> <dataset.json> <index-sql>
//! Prints one JSON object with W1/W2/W6 figures.

use serde_json::{json, Value};
use std::time::Instant;
use typegraph_core::{Dialect, Tables};

fn summarize(mut ns: Vec<u128>) -> Value {
    ns.sort_unstable();
    let at = |q: f64| ns[((q * ns.len() as f64) as usize).min(ns.len() - 1)] as f64 / 1000.0;
    json!({ "n": ns.len(), "medianUs": at(0.5), "p95Us": at(0.95) })
}

fn now_iso() -> String {
    typegraph_core::util::now_iso()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, dataset, index_sql) = (&args[1], &args[2], &args[3]);
    let data: Value =
        serde_json::from_str(&std::fs::read_to_string(dataset).expect("dataset")).expect("json");
    if path.starts_with("postgres://") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        println!("{}", rt.block_on(postgres_floor(path, &data, index_sql)));
        return;
    }
    let people = data["people"].as_array().unwrap();
    let edges = data["edges"].as_array().unwrap();
    let _ = std::fs::remove_file(path);
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        // The connection settings the store opens file databases with (exec/sqlite.rs): without
        // the larger page cache the floor re-reads index pages from the OS as the tables grow.
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
         PRAGMA cache_size = -64000; PRAGMA temp_store = MEMORY;",
    )
    .unwrap();
    conn.execute_batch(&Dialect::Sqlite.ddl(&Tables::default()))
        .unwrap();
    conn.execute_batch(index_sql).unwrap();
    let batch = 5000;

    // W1 nodes
    let t0 = Instant::now();
    for chunk in people.chunks(batch) {
        let tx = conn.transaction().unwrap();
        {
            let mut st = tx
                .prepare_cached("INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) VALUES ('bench', 'Person', ?1, ?2, 1, ?3, NULL, ?3, ?3)")
                .unwrap();
            let now = now_iso();
            for p in chunk {
                st.execute(rusqlite::params![
                    p["id"].as_str().unwrap(),
                    p["props"].to_string(),
                    now
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let node_s = t0.elapsed().as_secs_f64();
    // W1 edges
    let t0 = Instant::now();
    for chunk in edges.chunks(batch) {
        let tx = conn.transaction().unwrap();
        {
            let mut st = tx
                .prepare_cached("INSERT INTO typegraph_edges (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) VALUES ('bench', ?1, 'knows', 'Person', ?2, 'Person', ?3, ?4, ?5, NULL, ?5, ?5)")
                .unwrap();
            let now = now_iso();
            for e in chunk {
                let props = json!({ "since": e["since"] }).to_string();
                st.execute(rusqlite::params![
                    e["id"].as_str().unwrap(),
                    e["from"].as_str().unwrap(),
                    e["to"].as_str().unwrap(),
                    props,
                    now
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let edge_s = t0.elapsed().as_secs_f64();

    // W2 point reads
    let mut reads = Vec::new();
    {
        let mut st = conn
            .prepare_cached("SELECT kind, id, props, version, valid_from, valid_to, created_at, updated_at, deleted_at FROM typegraph_nodes WHERE graph_id = 'bench' AND kind = 'Person' AND id = ?1")
            .unwrap();
        for i in 0..2200usize {
            let id = people[(i * 7919) % people.len()]["id"].as_str().unwrap();
            let t = Instant::now();
            let props: String = st.query_row([id], |r| r.get(2)).unwrap();
            let el = t.elapsed().as_nanos();
            assert!(!props.is_empty());
            if i >= 200 {
                reads.push(el);
            }
        }
    }

    // W6 single autocommit writes
    let mut creates = Vec::new();
    {
        let mut st = conn
            .prepare_cached("INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) VALUES ('bench', 'Person', ?1, ?2, 1, ?3, NULL, ?3, ?3)")
            .unwrap();
        let props =
            json!({ "name": "W6", "city": "Rome", "age": 40, "bio": "x".repeat(256) }).to_string();
        for i in 0..500 {
            let t = Instant::now();
            st.execute(rusqlite::params![format!("floor_w6_{i}"), props, now_iso()])
                .unwrap();
            creates.push(t.elapsed().as_nanos());
        }
    }

    let out = json!({
        "W1 ingest": {
            "nodesPerSec": (people.len() as f64 / node_s).round(),
            "edgesPerSec": (edges.len() as f64 / edge_s).round(),
            "rowsPerSec": ((people.len() + edges.len()) as f64 / (node_s + edge_s)).round(),
        },
        "W2 point reads": { "getById": summarize(reads) },
        "W6 single writes": { "create": summarize(creates) },
    });
    println!("{out}");
}

/// The same workloads on PostgreSQL: one UNNEST insert per 5,000 rows (the fastest plain-SQL
/// multi-row form), prepared point reads, autocommit single inserts.
async fn postgres_floor(url: &str, data: &Value, index_sql: &str) -> Value {
    use sqlx::Connection;
    let people = data["people"].as_array().unwrap();
    let edges = data["edges"].as_array().unwrap();
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let ddl = Dialect::Postgres.ddl(&Tables::default());
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::raw_sql("DELETE FROM typegraph_edges WHERE graph_id = 'floor'; DELETE FROM typegraph_nodes WHERE graph_id = 'floor';")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(index_sql.to_string()))
        .execute(&mut c)
        .await
        .unwrap();
    let now = now_iso();
    let t0 = Instant::now();
    for chunk in people.chunks(5000) {
        let ids: Vec<String> = chunk
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        let props: Vec<String> = chunk.iter().map(|p| p["props"].to_string()).collect();
        sqlx::query(
            "INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, created_at, updated_at) \
             SELECT 'floor', 'Person', t.id, t.props::jsonb, 1, $3::timestamptz, $3::timestamptz, $3::timestamptz FROM UNNEST($1::text[], $2::text[]) AS t(id, props)",
        )
        .bind(&ids)
        .bind(&props)
        .bind(&now)
        .execute(&mut c)
        .await
        .unwrap();
    }
    let node_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    for chunk in edges.chunks(5000) {
        let col = |k: &str| {
            chunk
                .iter()
                .map(|e| e[k].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let props: Vec<String> = chunk
            .iter()
            .map(|e| json!({ "since": e["since"] }).to_string())
            .collect();
        sqlx::query(
            "INSERT INTO typegraph_edges (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, created_at, updated_at) \
             SELECT 'floor', t.id, 'knows', 'Person', t.f, 'Person', t.t, t.props::jsonb, $5::timestamptz, $5::timestamptz, $5::timestamptz \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, f, t, props)",
        )
        .bind(col("id"))
        .bind(col("from"))
        .bind(col("to"))
        .bind(&props)
        .bind(&now)
        .execute(&mut c)
        .await
        .unwrap();
    }
    let edge_s = t0.elapsed().as_secs_f64();
    let mut reads = Vec::new();
    for i in 0..2200usize {
        let id = people[(i * 7919) % people.len()]["id"].as_str().unwrap();
        let t = Instant::now();
        let row: (String,) = sqlx::query_as(
            "SELECT props::text FROM typegraph_nodes WHERE graph_id = 'floor' AND kind = 'Person' AND id = $1",
        )
        .bind(id)
        .fetch_one(&mut c)
        .await
        .unwrap();
        let el = t.elapsed().as_nanos();
        assert!(!row.0.is_empty());
        if i >= 200 {
            reads.push(el);
        }
    }
    let mut creates = Vec::new();
    let props =
        json!({ "name": "W6", "city": "Rome", "age": 40, "bio": "x".repeat(256) }).to_string();
    for i in 0..500 {
        let t = Instant::now();
        sqlx::query(
            "INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, created_at, updated_at) VALUES ('floor', 'Person', $1, $2::jsonb, 1, $3::timestamptz, $3::timestamptz, $3::timestamptz)",
        )
        .bind(format!("floor_w6_{i}"))
        .bind(&props)
        .bind(now_iso())
        .execute(&mut c)
        .await
        .unwrap();
        creates.push(t.elapsed().as_nanos());
    }
    sqlx::raw_sql("DELETE FROM typegraph_edges WHERE graph_id = 'floor'; DELETE FROM typegraph_nodes WHERE graph_id = 'floor';")
        .execute(&mut c)
        .await
        .unwrap();
    json!({
        "W1 ingest": {
            "nodesPerSec": (people.len() as f64 / node_s).round(),
            "edgesPerSec": (edges.len() as f64 / edge_s).round(),
            "rowsPerSec": ((people.len() + edges.len()) as f64 / (node_s + edge_s)).round(),
        },
        "W2 point reads": { "getById": summarize(reads) },
        "W6 single writes": { "create": summarize(creates) },
    })
}
