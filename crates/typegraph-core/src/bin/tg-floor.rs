//! The benchmark's floor lane: the same rows into the same tables and indexes
//! by plain SQL from Rust — no validation, no checks — so every typegraph-native
//! figure can be read as a ratio to what the database itself allows.
//!
//! Usage: tg-floor <sqlite-file | postgres://url> <dataset.json> <index-sql> [our-sql.json]
//! Prints one JSON object with W1/W2/W3/W5/W5e/W5c/W6 figures (SQLite; W1/W2/W5e/W6 on PostgreSQL).
//! With `our-sql.json` (SQLite only; `bench/run.mjs` writes it from the queries' `toSQL()`), the
//! object also holds `ourSql`: the engine's own compiled W2/W3/W4 statements run by plain rusqlite
//! with the same bindings (see [`our_sql_lane`]).

use serde_json::{json, Value};
use std::time::Instant;
use typegraph_core::{Dialect, Tables};

fn summarize(mut ns: Vec<u128>) -> Value {
    ns.sort_unstable();
    let at = |q: f64| ns[((q * ns.len() as f64) as usize).min(ns.len() - 1)] as f64 / 1000.0;
    json!({ "n": ns.len(), "medianUs": at(0.5), "p95Us": at(0.95) })
}

/// CPU time this thread has run, in ns (`/proc/thread-self/schedstat`): a busy machine stretches
/// wall time, not this.
fn with_cpu(mut summary: Value, cpu_us_per_op: f64) -> Value {
    summary["cpuUsPerOp"] = json!(cpu_us_per_op);
    summary
}

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
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

    // W2 prepared id query and W3 1-hop: the SQL the engine compiles for the bench's prepared
    // queries (current-read filters included, every selected column read), from a cached statement.
    // The 1-hop's selected props arrive as whole props texts; the engine picks `since` and `name`
    // out of them while rendering (`query::extract`), and so does the floor.
    let mut prepared_reads = Vec::new();
    {
        let mut st = conn
            .prepare_cached("SELECT q0n0.id, q0n0.kind, q0n0.props, q0n0.version, q0n0.valid_from, q0n0.valid_to, q0n0.created_at, q0n0.updated_at, q0n0.deleted_at FROM typegraph_nodes q0n0 WHERE q0n0.graph_id = 'bench' AND q0n0.kind = 'Person' AND q0n0.deleted_at IS NULL AND (q0n0.valid_from IS NULL OR q0n0.valid_from <= ?1) AND (q0n0.valid_to IS NULL OR q0n0.valid_to > ?1) AND q0n0.id = ?2")
            .unwrap();
        for i in 0..2200usize {
            let id = people[(i * 7919) % people.len()]["id"].as_str().unwrap();
            let t = Instant::now();
            let row = st
                .query_row(rusqlite::params![now_iso(), id], read_all)
                .unwrap();
            let el = t.elapsed().as_nanos();
            assert_eq!(row.len(), 9);
            if i >= 200 {
                prepared_reads.push(el);
            }
        }
    }
    let mut one_hop = Vec::new();
    {
        let mut st = conn
            .prepare_cached("SELECT q0e1.id, q0e1.props, q0n1.id, q0n1.props FROM typegraph_nodes q0n0 CROSS JOIN typegraph_edges q0e1 ON q0e1.graph_id = q0n0.graph_id AND q0e1.from_id = q0n0.id AND q0e1.from_kind = q0n0.kind AND q0e1.kind = 'knows' AND q0e1.deleted_at IS NULL AND (q0e1.valid_from IS NULL OR q0e1.valid_from <= ?1) AND (q0e1.valid_to IS NULL OR q0e1.valid_to > ?1) CROSS JOIN typegraph_nodes q0n1 ON q0n1.graph_id = q0e1.graph_id AND q0n1.id = q0e1.to_id AND q0n1.kind = q0e1.to_kind AND q0n1.kind = 'Person' AND q0n1.deleted_at IS NULL AND (q0n1.valid_from IS NULL OR q0n1.valid_from <= ?1) AND (q0n1.valid_to IS NULL OR q0n1.valid_to > ?1) WHERE q0n0.graph_id = 'bench' AND q0n0.kind = 'Person' AND q0n0.deleted_at IS NULL AND (q0n0.valid_from IS NULL OR q0n0.valid_from <= ?1) AND (q0n0.valid_to IS NULL OR q0n0.valid_to > ?1) AND q0n0.id = ?2")
            .unwrap();
        // As the bench: 200 runs from different people, no warm-up.
        for r in 0..200usize {
            let id = people[(r * 977) % people.len()]["id"].as_str().unwrap();
            let t = Instant::now();
            let rows: Vec<Vec<rusqlite::types::Value>> = st
                .query_map(rusqlite::params![now_iso(), id], pick_since_name)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            one_hop.push(t.elapsed().as_nanos());
            assert!(rows.len() == 5 && rows.iter().all(|r| r.len() == 4));
        }
    }

    // W4 `city = ? AND age >= ?` LIMIT 50: the SQL the engine compiles for the bench's prepared
    // filter (its select reads id and age), with the bench's parameters, every column read.
    let cities = [
        "Lisbon", "Porto", "Berlin", "Paris", "Madrid", "Rome", "Vienna", "Prague",
    ];
    let mut city_age = Vec::new();
    {
        let mut st = conn
            .prepare_cached("SELECT q0n0.id, COALESCE(json_extract(q0n0.props, '$.\"age\"'), q0n0.props -> '$.\"age\"') FROM \"typegraph_nodes\" q0n0 WHERE q0n0.graph_id = ? AND q0n0.kind = ? AND q0n0.deleted_at IS NULL AND (q0n0.valid_from IS NULL OR q0n0.valid_from <= ?) AND (q0n0.valid_to IS NULL OR q0n0.valid_to > ?) AND (json_extract(q0n0.props, '$.\"city\"') = ? AND json_extract(q0n0.props, '$.\"age\"') >= ?) LIMIT CAST(? AS INTEGER)")
            .unwrap();
        for r in 0..200usize {
            let t = Instant::now();
            let now = now_iso();
            let rows: Vec<Vec<rusqlite::types::Value>> = st
                .query_map(
                    rusqlite::params![
                        "bench",
                        "Person",
                        now,
                        now,
                        cities[r % 8],
                        30 + (r % 40) as i64,
                        50
                    ],
                    read_all,
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            city_age.push(t.elapsed().as_nanos());
            assert!(rows.iter().all(|r| r.len() == 2));
        }
    }

    // "Our SQL from Rust": the engine's compiled W3/W4 statements on the same rows, with the
    // statistics the store lanes refresh after their load; the floor's own figures keep none.
    let our_sql = args.get(4).map(|file| {
        let spec: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("our-sql")).expect("json");
        conn.execute_batch(
            "PRAGMA analysis_limit = 1000; ANALYZE typegraph_nodes; ANALYZE typegraph_edges;",
        )
        .unwrap();
        let lane = our_sql_lane(&conn, people, &spec);
        // Statistics gone again (reloaded from the emptied tables) for the floor's writes below.
        for stat in ["sqlite_stat1", "sqlite_stat4"] {
            let kept: bool = conn
                .query_row(
                    "SELECT count(*) > 0 FROM sqlite_schema WHERE name = ?1",
                    [stat],
                    |r| r.get(0),
                )
                .unwrap();
            if kept {
                conn.execute_batch(&format!("DELETE FROM {stat}")).unwrap();
            }
        }
        conn.execute_batch("ANALYZE sqlite_schema").unwrap();
        lane
    });

    // W5 upsert sync: as the bench's workload (w5-upsert-sync.mjs) — 2,000 records per call,
    // half existing people with a changed age, half new ids; each call one transaction of plain
    // statements (existing: props, version and updated_at rewritten; new: inserted). One untimed
    // call, a WAL checkpoint, then 9 timed calls; the median is the figure.
    let w5 = {
        let records = 2000usize;
        let reps = 9usize;
        let batch = |rep: usize| -> Vec<(String, String, bool)> {
            let mut items = Vec::with_capacity(records);
            for i in 0..records / 2 {
                let p = &people[(i * 3 + rep * 7) % people.len()];
                let mut props = p["props"].clone();
                let age = props["age"].as_i64().unwrap() + 1 + rep as i64;
                props["age"] = json!(age);
                items.push((
                    p["id"].as_str().unwrap().to_string(),
                    props.to_string(),
                    true,
                ));
                let fresh = json!({ "name": format!("New {i}"), "city": "Lisbon", "age": 30, "bio": p["props"]["bio"] });
                items.push((format!("new_person_{rep}_{i}"), fresh.to_string(), false));
            }
            items
        };
        let upsert = |conn: &mut rusqlite::Connection, items: &[(String, String, bool)]| {
            let tx = conn.transaction().unwrap();
            {
                let now = now_iso();
                let mut up = tx
                    .prepare_cached("UPDATE typegraph_nodes SET props = ?1, updated_at = ?2, version = version + 1 WHERE graph_id = 'bench' AND kind = 'Person' AND id = ?3")
                    .unwrap();
                let mut ins = tx
                    .prepare_cached("INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) VALUES ('bench', 'Person', ?1, ?2, 1, ?3, NULL, ?3, ?3)")
                    .unwrap();
                for (id, props, existing) in items {
                    if *existing {
                        assert_eq!(up.execute(rusqlite::params![props, now, id]).unwrap(), 1);
                    } else {
                        ins.execute(rusqlite::params![id, props, now]).unwrap();
                    }
                }
            }
            tx.commit().unwrap();
        };
        upsert(&mut conn, &batch(reps));
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let mut rates = Vec::with_capacity(reps);
        let mut cpu_rates = Vec::with_capacity(reps);
        for rep in 0..reps {
            let items = batch(rep);
            let (t, c) = (Instant::now(), cpu_ns());
            upsert(&mut conn, &items);
            rates.push((records as f64 / t.elapsed().as_secs_f64()).round());
            cpu_rates.push((records as f64 / ((cpu_ns() - c).max(1) as f64 / 1e9)).round());
        }
        rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
        cpu_rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
        json!({
            "recordsPerSec": rates[reps / 2],
            "minRecordsPerSec": rates[0],
            "maxRecordsPerSec": rates[reps - 1],
            "recordsPerCpuSec": cpu_rates[reps / 2],
        })
    };

    // W5e edge upsert sync: as the bench's workload (w5e-edge-upsert.mjs) — 2,000 `knows` edges
    // per call, half stored edges with changed props, half new ids between loaded people; each
    // call one transaction of plain statements (stored: props and updated_at rewritten; new:
    // inserted), no endpoint or id checks. One untimed call, a WAL checkpoint, 9 timed calls.
    let w5e = {
        let records = 2000usize;
        let reps = 9usize;
        let upsert = |conn: &mut rusqlite::Connection, items: &[EdgeUpsert]| {
            let tx = conn.transaction().unwrap();
            {
                let now = now_iso();
                let mut up = tx
                    .prepare_cached("UPDATE typegraph_edges SET props = ?1, updated_at = ?2 WHERE graph_id = 'bench' AND id = ?3")
                    .unwrap();
                let mut ins = tx
                    .prepare_cached("INSERT INTO typegraph_edges (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) VALUES ('bench', ?1, 'knows', 'Person', ?2, 'Person', ?3, ?4, ?5, NULL, ?5, ?5)")
                    .unwrap();
                for e in items {
                    if e.existing {
                        assert_eq!(
                            up.execute(rusqlite::params![e.props, now, e.id]).unwrap(),
                            1
                        );
                    } else {
                        ins.execute(rusqlite::params![e.id, e.from, e.to, e.props, now])
                            .unwrap();
                    }
                }
            }
            tx.commit().unwrap();
        };
        upsert(&mut conn, &edge_upsert_batch(people, edges, records, reps));
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let mut rates = Vec::with_capacity(reps);
        let mut cpu_rates = Vec::with_capacity(reps);
        for rep in 0..reps {
            let items = edge_upsert_batch(people, edges, records, rep);
            let (t, c) = (Instant::now(), cpu_ns());
            upsert(&mut conn, &items);
            rates.push((records as f64 / t.elapsed().as_secs_f64()).round());
            cpu_rates.push((records as f64 / ((cpu_ns() - c).max(1) as f64 / 1e9)).round());
        }
        rates_json(rates, cpu_rates)
    };

    // W5c constraint get-or-create sync: as the bench's workload (w5c-constraint.mjs) — 4,000
    // accounts stored with their `email` key rows, then per call 2,000 items, half a stored
    // account's email (its props rewritten: the items carry every field), half new emails (node
    // and key row inserted); each call one transaction, each key probed by a cached statement.
    // One untimed call, a WAL checkpoint, then 9 timed calls; the median is the figure.
    let w5c = {
        let records = 2000usize;
        let reps = 9usize;
        let stored = 4000usize;
        let now = now_iso();
        {
            let tx = conn.transaction().unwrap();
            {
                let mut ins = tx
                    .prepare_cached("INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) VALUES ('bench', 'Account', ?1, ?2, 1, ?3, NULL, ?3, ?3)")
                    .unwrap();
                let mut key = tx
                    .prepare_cached("INSERT INTO typegraph_node_uniques (graph_id, node_kind, constraint_name, key, node_id, concrete_kind, deleted_at) VALUES ('bench', 'Account', 'email', ?1, ?2, 'Account', NULL)")
                    .unwrap();
                for i in 0..stored {
                    let email = format!("user{i}@example.com");
                    let props = json!({ "email": email, "name": format!("User {i}"), "visits": 0 });
                    let id = format!("floor_account_{i}");
                    ins.execute(rusqlite::params![id, props.to_string(), now])
                        .unwrap();
                    key.execute(rusqlite::params![email, id]).unwrap();
                }
            }
            tx.commit().unwrap();
        }
        let batch = |rep: usize| -> Vec<(String, String)> {
            let mut items = Vec::with_capacity(records);
            for i in 0..records / 2 {
                let k = (i * 3 + rep * 7) % stored;
                let email = format!("user{k}@example.com");
                let props =
                    json!({ "email": email, "name": format!("User {k}"), "visits": rep + 1 });
                items.push((email, props.to_string()));
                let email = format!("new{rep}_{i}@example.com");
                let props = json!({ "email": email, "name": format!("New {i}"), "visits": 1 });
                items.push((email, props.to_string()));
            }
            items
        };
        let mut fresh = 0usize;
        let mut call = |conn: &mut rusqlite::Connection, items: &[(String, String)]| {
            let tx = conn.transaction().unwrap();
            {
                let now = now_iso();
                let mut probe = tx
                    .prepare_cached("SELECT node_id FROM typegraph_node_uniques WHERE graph_id = 'bench' AND node_kind = 'Account' AND constraint_name = 'email' AND key = ?1 AND deleted_at IS NULL")
                    .unwrap();
                let mut up = tx
                    .prepare_cached("UPDATE typegraph_nodes SET props = ?1, updated_at = ?2, version = version + 1 WHERE graph_id = 'bench' AND kind = 'Account' AND id = ?3")
                    .unwrap();
                let mut ins = tx
                    .prepare_cached("INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) VALUES ('bench', 'Account', ?1, ?2, 1, ?3, NULL, ?3, ?3)")
                    .unwrap();
                let mut key = tx
                    .prepare_cached("INSERT INTO typegraph_node_uniques (graph_id, node_kind, constraint_name, key, node_id, concrete_kind, deleted_at) VALUES ('bench', 'Account', 'email', ?1, ?2, 'Account', NULL)")
                    .unwrap();
                for (email, props) in items {
                    let holder: Option<String> = probe.query_row([email], |r| r.get(0)).ok();
                    match holder {
                        Some(id) => {
                            assert_eq!(up.execute(rusqlite::params![props, now, id]).unwrap(), 1);
                        }
                        None => {
                            fresh += 1;
                            let id = format!("floor_account_new_{fresh}");
                            ins.execute(rusqlite::params![id, props, now]).unwrap();
                            key.execute(rusqlite::params![email, id]).unwrap();
                        }
                    }
                }
            }
            tx.commit().unwrap();
        };
        call(&mut conn, &batch(reps));
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let mut rates = Vec::with_capacity(reps);
        let mut cpu_rates = Vec::with_capacity(reps);
        for rep in 0..reps {
            let items = batch(rep);
            let (t, c) = (Instant::now(), cpu_ns());
            call(&mut conn, &items);
            rates.push((records as f64 / t.elapsed().as_secs_f64()).round());
            cpu_rates.push((records as f64 / ((cpu_ns() - c).max(1) as f64 / 1e9)).round());
        }
        rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
        cpu_rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
        json!({
            "recordsPerSec": rates[reps / 2],
            "minRecordsPerSec": rates[0],
            "maxRecordsPerSec": rates[reps - 1],
            "recordsPerCpuSec": cpu_rates[reps / 2],
        })
    };

    // W6 single autocommit writes. Each phase starts from an emptied WAL, as the bench's W6
    // phases do (bench/workloads/w6-single-writes.mjs).
    let settle = |conn: &rusqlite::Connection| {
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap()
    };
    // CPU-µs per operation over each phase (this thread), beside the wall-time samples: what a
    // busy machine does not stretch (the bench's W6 reports the same for its process).
    let per_op_us = |ns: u64, n: u64| (ns as f64 / n as f64 / 100.0).round() / 10.0;
    let (create_cpu, edge_cpu, update_cpu);
    let mut creates = Vec::new();
    // Ids of the shape the store generates (21 random characters, `util::generate_id`), made
    // before the timing: inserts land at random places in the id indexes as the lane's do, not
    // next to each other as `floor_w6_{i}` keys would (fewer pages touched per commit).
    let node_ids: Vec<String> = (0..500)
        .map(|_| typegraph_core::util::generate_id())
        .collect();
    let edge_ids: Vec<String> = (0..500)
        .map(|_| typegraph_core::util::generate_id())
        .collect();
    settle(&conn);
    {
        let mut st = conn
            .prepare_cached("INSERT INTO typegraph_nodes (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) VALUES ('bench', 'Person', ?1, ?2, 1, ?3, NULL, ?3, ?3)")
            .unwrap();
        let props =
            json!({ "name": "W6", "city": "Rome", "age": 40, "bio": "x".repeat(256) }).to_string();
        let c = cpu_ns();
        for i in 0..500 {
            let t = Instant::now();
            st.execute(rusqlite::params![node_ids[i], props, now_iso()])
                .unwrap();
            creates.push(t.elapsed().as_nanos());
        }
        create_cpu = per_op_us(cpu_ns() - c, 500);
    }
    // W6 edges.create and update as the bench's: an edge from each node just created to a
    // person, then each node's props rewritten (the merged props bound whole, no read first).
    let mut edge_creates = Vec::new();
    settle(&conn);
    {
        let mut st = conn
            .prepare_cached("INSERT INTO typegraph_edges (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) VALUES ('bench', ?1, 'knows', 'Person', ?2, 'Person', ?3, ?4, ?5, NULL, ?5, ?5)")
            .unwrap();
        let props = json!({ "since": 2020 }).to_string();
        let c = cpu_ns();
        for i in 0..500usize {
            let t = Instant::now();
            st.execute(rusqlite::params![
                edge_ids[i],
                node_ids[i],
                people[i]["id"].as_str().unwrap(),
                props,
                now_iso()
            ])
            .unwrap();
            edge_creates.push(t.elapsed().as_nanos());
        }
        edge_cpu = per_op_us(cpu_ns() - c, 500);
    }
    let mut updates = Vec::new();
    settle(&conn);
    {
        let mut st = conn
            .prepare_cached("UPDATE typegraph_nodes SET props = ?1, updated_at = ?2, version = version + 1 WHERE graph_id = 'bench' AND kind = 'Person' AND id = ?3")
            .unwrap();
        let props =
            json!({ "name": "W6", "city": "Rome", "age": 41, "bio": "x".repeat(256) }).to_string();
        let c = cpu_ns();
        for i in 0..500usize {
            let t = Instant::now();
            st.execute(rusqlite::params![props, now_iso(), node_ids[i]])
                .unwrap();
            updates.push(t.elapsed().as_nanos());
        }
        update_cpu = per_op_us(cpu_ns() - c, 500);
    }

    let mut out = json!({
        "W1 ingest": {
            "nodesPerSec": (people.len() as f64 / node_s).round(),
            "edgesPerSec": (edges.len() as f64 / edge_s).round(),
            "rowsPerSec": ((people.len() + edges.len()) as f64 / (node_s + edge_s)).round(),
        },
        "W2 point reads": { "getById": summarize(reads), "preparedIdQuery": summarize(prepared_reads) },
        "W3 traversals": { "oneHop": summarize(one_hop) },
        "W4 filters": { "cityAgeLimit50": summarize(city_age) },
        "W5 upsert sync": w5,
        "W5e edge upsert sync": w5e,
        "W5c constraint get-or-create sync": w5c,
        "W6 single writes": {
            "create": with_cpu(summarize(creates), create_cpu),
            "edgeCreate": with_cpu(summarize(edge_creates), edge_cpu),
            "update": with_cpu(summarize(updates), update_cpu),
        },
    });
    if let Some(lane) = our_sql {
        out["ourSql"] = lane;
    }
    println!("{out}");
}

/// The engine's compiled statements of the bench's W2/W3/W4 queries (`{workload: {metric: {sql,
/// bind, runs, warm?, stride?}}}`, from `toSQL()`) run by plain rusqlite from a cached statement,
/// every column of every row read: what the SQL alone costs. `bind` lists one binding per
/// parameter number: `"$now"` the read instant (taken per run, as the engine does), `"$id"` the
/// run's person (`stride` apart, as the workload picks them: W3's 977 by default, W2's 7919),
/// `"$city"` / `"$age"` W4's filter values, anything else bound as it is. `warm` runs go untimed
/// first (W2 warms up, W3/W4 do not).
fn our_sql_lane(conn: &rusqlite::Connection, people: &[Value], spec: &Value) -> Value {
    use rusqlite::types::Value as V;
    const CITIES: [&str; 8] = [
        "Lisbon", "Porto", "Berlin", "Paris", "Madrid", "Rome", "Vienna", "Prague",
    ];
    let mut out = serde_json::Map::new();
    for (workload, metrics) in spec.as_object().unwrap() {
        let mut lane = serde_json::Map::new();
        for (metric, q) in metrics.as_object().unwrap() {
            let mut st = conn.prepare_cached(q["sql"].as_str().unwrap()).unwrap();
            let runs = q["runs"].as_u64().unwrap() as usize;
            let warm = q["warm"].as_u64().unwrap_or(0) as usize;
            let stride = q["stride"].as_u64().unwrap_or(977) as usize;
            let binds = q["bind"].as_array().unwrap();
            let mut ns = Vec::with_capacity(runs);
            let mut c0 = cpu_ns();
            for r in 0..warm + runs {
                if r == warm {
                    ns.clear();
                    c0 = cpu_ns();
                }
                let t = Instant::now();
                let now = now_iso();
                let values = binds.iter().map(|b| match b {
                    Value::String(s) if s == "$now" => V::Text(now.clone()),
                    Value::String(s) if s == "$id" => V::Text(
                        people[(r * stride) % people.len()]["id"]
                            .as_str()
                            .unwrap()
                            .into(),
                    ),
                    Value::String(s) if s == "$city" => V::Text(CITIES[r % 8].into()),
                    Value::String(s) if s == "$age" => V::Integer(30 + (r % 40) as i64),
                    Value::String(s) => V::Text(s.clone()),
                    Value::Number(n) => n.as_i64().map_or(V::Real(n.as_f64().unwrap()), V::Integer),
                    Value::Null => V::Null,
                    other => V::Text(other.to_string()),
                });
                let rows: Vec<Vec<V>> = st
                    .query_map(rusqlite::params_from_iter(values), read_all)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                ns.push(t.elapsed().as_nanos());
                std::hint::black_box(rows);
            }
            let cpu = (cpu_ns() - c0) as f64 / 1e3 / runs as f64;
            lane.insert(
                metric.clone(),
                with_cpu(summarize(ns), (cpu * 10.0).round() / 10.0),
            );
        }
        out.insert(workload.clone(), Value::Object(lane));
    }
    Value::Object(out)
}

/// One W5e item: a stored edge with changed props, or a new edge between loaded people.
struct EdgeUpsert {
    id: String,
    from: String,
    to: String,
    props: String,
    existing: bool,
}

/// W5e's batch `rep`, item for item as `bench/workloads/w5e-edge-upsert.mjs` builds it.
fn edge_upsert_batch(
    people: &[Value],
    edges: &[Value],
    records: usize,
    rep: usize,
) -> Vec<EdgeUpsert> {
    let mut items = Vec::with_capacity(records);
    for i in 0..records / 2 {
        let e = &edges[(i * 37 + rep * 11) % edges.len()];
        items.push(EdgeUpsert {
            id: e["id"].as_str().unwrap().to_string(),
            from: e["from"].as_str().unwrap().to_string(),
            to: e["to"].as_str().unwrap().to_string(),
            props: json!({ "since": e["since"].as_i64().unwrap() + 1 + rep as i64 }).to_string(),
            existing: true,
        });
        let from = &people[(i * 3 + rep * 7) % people.len()];
        let to = &people[(i * 11 + rep * 5 + 1) % people.len()];
        items.push(EdgeUpsert {
            id: format!("new_knows_{rep}_{i}"),
            from: from["id"].as_str().unwrap().to_string(),
            to: to["id"].as_str().unwrap().to_string(),
            props: json!({ "since": 2025 }).to_string(),
            existing: false,
        });
    }
    items
}

/// Median, range and median per CPU-second of a series of per-call rates.
fn rates_json(mut rates: Vec<f64>, mut cpu_rates: Vec<f64>) -> Value {
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    cpu_rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = rates.len();
    json!({
        "recordsPerSec": rates[n / 2],
        "minRecordsPerSec": rates[0],
        "maxRecordsPerSec": rates[n - 1],
        "recordsPerCpuSec": cpu_rates[n / 2],
    })
}

/// A 1-hop row: edge id, `since` of the edge's props, node id, `name` of the node's props
/// (picked out of the props texts as the engine's renderer does).
fn pick_since_name(r: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<rusqlite::types::Value>> {
    use rusqlite::types::Value;
    let pick = |i: usize, key: &str| -> rusqlite::Result<Value> {
        let doc = r.get_ref(i)?.as_str()?;
        let v = typegraph_core::query::extract::json_path(doc, &[key.to_string()]).unwrap();
        Ok(v.map_or(Value::Null, |v| Value::Text(v.to_string())))
    };
    Ok(vec![
        r.get(0)?,
        pick(1, "since")?,
        r.get(2)?,
        pick(3, "name")?,
    ])
}

/// Every column of a row, owned (what the engine copies out of each row).
fn read_all(r: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<rusqlite::types::Value>> {
    (0..r.as_ref().column_count()).map(|i| r.get(i)).collect()
}

/// The same workloads on PostgreSQL: one UNNEST insert per 5,000 rows (the fastest plain-SQL
/// multi-row form), prepared point reads, autocommit single inserts.
async fn postgres_floor(url: &str, data: &Value, index_sql: &str) -> Value {
    use sqlx::Connection;
    let people = data["people"].as_array().unwrap();
    let edges = data["edges"].as_array().unwrap();
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    // A fresh private schema, dropped at the end: the floor meets the same empty tables as
    // the typegraph-native lanes (each in its own schema), not whatever `public` holds.
    sqlx::raw_sql(
        // The extension stays in `public`, never in the schema dropped at the end.
        "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public; DROP SCHEMA IF EXISTS tg_bench_floor CASCADE; CREATE SCHEMA tg_bench_floor; SET search_path = tg_bench_floor, public",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let ddl = Dialect::Postgres.ddl(&Tables::default());
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(index_sql.to_string()))
        .execute(&mut c)
        .await
        .unwrap();
    // W1 twice on fresh tables: UNNEST arrays, then COPY FROM STDIN; the faster one is the floor.
    let (node_u, edge_u) = unnest_load(&mut c, people, edges).await;
    reset_tables(&mut c).await;
    let (node_c, edge_c) = copy_load(&mut c, people, edges).await;
    let (node_s, edge_s) = if node_c + edge_c < node_u + edge_u {
        (node_c, edge_c)
    } else {
        (node_u, edge_u)
    };
    let rows = (people.len() + edges.len()) as f64;
    // Statistics for the reloaded tables, as the store lanes refresh theirs after W1: without
    // them the planner still sees the truncated tables and scans for every point read.
    sqlx::raw_sql("ANALYZE typegraph_nodes; ANALYZE typegraph_edges")
        .execute(&mut c)
        .await
        .unwrap();
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
    // W5e edge upsert sync as on SQLite: each call one transaction, the stored edges' props
    // rewritten by one UPDATE … FROM UNNEST, the new edges inserted by one INSERT … UNNEST.
    let w5e = {
        let (records, reps) = (2000usize, 9usize);
        async fn upsert(c: &mut sqlx::PgConnection, items: &[EdgeUpsert]) {
            use sqlx::Connection;
            let now = now_iso();
            let col = |existing: bool, f: &dyn Fn(&EdgeUpsert) -> &String| -> Vec<String> {
                items
                    .iter()
                    .filter(|e| e.existing == existing)
                    .map(|e| f(e).clone())
                    .collect()
            };
            let mut tx = c.begin().await.unwrap();
            sqlx::query(
                "UPDATE typegraph_edges SET props = v.props::jsonb, updated_at = $3::timestamptz \
                 FROM UNNEST($1::text[], $2::text[]) AS v(id, props) \
                 WHERE typegraph_edges.graph_id = 'floor' AND typegraph_edges.id = v.id",
            )
            .bind(col(true, &|e| &e.id))
            .bind(col(true, &|e| &e.props))
            .bind(&now)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO typegraph_edges (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, created_at, updated_at) \
                 SELECT 'floor', t.id, 'knows', 'Person', t.f, 'Person', t.t, t.props::jsonb, $5::timestamptz, $5::timestamptz, $5::timestamptz \
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, f, t, props)",
            )
            .bind(col(false, &|e| &e.id))
            .bind(col(false, &|e| &e.from))
            .bind(col(false, &|e| &e.to))
            .bind(col(false, &|e| &e.props))
            .bind(&now)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        upsert(&mut c, &edge_upsert_batch(people, edges, records, reps)).await;
        let mut rates = Vec::with_capacity(reps);
        let mut cpu_rates = Vec::with_capacity(reps);
        for rep in 0..reps {
            let items = edge_upsert_batch(people, edges, records, rep);
            let (t, cpu) = (Instant::now(), cpu_ns());
            upsert(&mut c, &items).await;
            rates.push((records as f64 / t.elapsed().as_secs_f64()).round());
            cpu_rates.push((records as f64 / ((cpu_ns() - cpu).max(1) as f64 / 1e9)).round());
        }
        rates_json(rates, cpu_rates)
    };
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
    sqlx::raw_sql("DROP SCHEMA tg_bench_floor CASCADE")
        .execute(&mut c)
        .await
        .unwrap();
    json!({
        "W1 ingest": {
            "nodesPerSec": (people.len() as f64 / node_s).round(),
            "edgesPerSec": (edges.len() as f64 / edge_s).round(),
            "rowsPerSec": (rows / (node_s + edge_s)).round(),
            "unnestRowsPerSec": (rows / (node_u + edge_u)).round(),
            "copyRowsPerSec": (rows / (node_c + edge_c)).round(),
        },
        "W2 point reads": { "getById": summarize(reads) },
        "W5e edge upsert sync": w5e,
        "W6 single writes": { "create": summarize(creates) },
    })
}

/// Empties the floor's tables (TRUNCATE keeps their indexes).
async fn reset_tables(c: &mut sqlx::PgConnection) {
    sqlx::raw_sql("TRUNCATE typegraph_edges, typegraph_nodes")
        .execute(&mut *c)
        .await
        .unwrap();
}

/// W1 by one UNNEST insert per 5,000 rows; returns (node seconds, edge seconds).
async fn unnest_load(c: &mut sqlx::PgConnection, people: &[Value], edges: &[Value]) -> (f64, f64) {
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
        .execute(&mut *c)
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
        .execute(&mut *c)
        .await
        .unwrap();
    }
    let edge_s = t0.elapsed().as_secs_f64();
    (node_s, edge_s)
}

/// One COPY text-format field: backslash, tab, newline and carriage return escaped.
fn copy_field(out: &mut String, v: &str) {
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(ch),
        }
    }
}

/// W1 by `COPY … FROM STDIN` (text format), one COPY per 5,000 rows.
async fn copy_load(c: &mut sqlx::PgConnection, people: &[Value], edges: &[Value]) -> (f64, f64) {
    let now = now_iso();
    let t0 = Instant::now();
    for chunk in people.chunks(5000) {
        let mut buf = String::with_capacity(chunk.len() * 400);
        for p in chunk {
            buf.push_str("floor\tPerson\t");
            copy_field(&mut buf, p["id"].as_str().unwrap());
            buf.push('\t');
            copy_field(&mut buf, &p["props"].to_string());
            buf.push_str("\t1\t");
            for k in 0..3 {
                buf.push_str(&now);
                buf.push(if k < 2 { '\t' } else { '\n' });
            }
        }
        let mut cp = c
            .copy_in_raw("COPY typegraph_nodes (graph_id, kind, id, props, version, valid_from, created_at, updated_at) FROM STDIN")
            .await
            .unwrap();
        cp.send(buf.as_bytes()).await.unwrap();
        cp.finish().await.unwrap();
    }
    let node_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    for chunk in edges.chunks(5000) {
        let mut buf = String::with_capacity(chunk.len() * 160);
        for e in chunk {
            buf.push_str("floor\t");
            copy_field(&mut buf, e["id"].as_str().unwrap());
            buf.push_str("\tknows\tPerson\t");
            copy_field(&mut buf, e["from"].as_str().unwrap());
            buf.push_str("\tPerson\t");
            copy_field(&mut buf, e["to"].as_str().unwrap());
            buf.push('\t');
            copy_field(&mut buf, &json!({ "since": e["since"] }).to_string());
            for _ in 0..3 {
                buf.push('\t');
                buf.push_str(&now);
            }
            buf.push('\n');
        }
        let mut cp = c
            .copy_in_raw("COPY typegraph_edges (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, created_at, updated_at) FROM STDIN")
            .await
            .unwrap();
        cp.send(buf.as_bytes()).await.unwrap();
        cp.finish().await.unwrap();
    }
    (node_s, t0.elapsed().as_secs_f64())
}
