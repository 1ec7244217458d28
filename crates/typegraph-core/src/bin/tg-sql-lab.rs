//! SQL variants timed from Rust against a loaded bench database (`bench/w3-profile.mjs` with
//! `TG_W3_DB` leaves one): how much of a query is SQLite's, and which shape is cheaper.
//!
//! Usage: tg-sql-lab <db> <runs> <variants.sql>
//!   variants.sql: blocks `-- name` + one SQL statement, separated by blank lines; `?1` is bound to
//!   the current instant, `?2` to a start person id (`person_<(run * 977) % 20000>`, as W3).
//!   A name may be followed by a JSON array of bindings, one per `?` of the statement (as
//!   `toSQL()` lists them): `"$now"` the current instant, `"$id"` the run's person id, `"$city"`
//!   / `"$age"` W4's (`CITIES[run % 8]`, `30 + run % 40`), anything else bound as it is.
//!   Env: REPS=n rounds over the variants (3); PLAN=1 prints EXPLAIN QUERY PLAN only; SAME=1 one
//!   start id for every run (CPU caches warm); POLLUTE=bytes memory written between runs (CPU
//!   caches cold, as after a host runtime's own work); MMAP=bytes sets mmap_size; NOMEMSTAT=1 turns
//!   SQLite's memory statistics off. Prints median / mean wall time and CPU time per run.
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if std::env::var("NOMEMSTAT").is_ok() {
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::os::raw::c_int,
            )
        };
        assert_eq!(rc, 0);
    }
    let conn = rusqlite::Connection::open(&a[1]).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -64000; PRAGMA temp_store = MEMORY;").unwrap();
    if let Ok(m) = std::env::var("MMAP") {
        conn.execute_batch(&format!("PRAGMA mmap_size = {m};"))
            .unwrap();
    }
    let runs: usize = a[2].parse().unwrap();
    let text = std::fs::read_to_string(&a[3]).unwrap();
    let ids: Vec<String> = (0..20000).map(|i| format!("person_{i}")).collect();
    let now = typegraph_core::util::now_iso();
    let reps: usize = std::env::var("REPS")
        .ok()
        .map(|s| s.parse().unwrap())
        .unwrap_or(3);
    let blocks: Vec<(String, String, Option<Vec<serde_json::Value>>)> = text
        .split("\n\n")
        .filter(|b| b.trim().starts_with("--"))
        .map(|b| {
            let b = b.trim();
            let (n, s) = b.split_once('\n').unwrap();
            let n = n.trim_start_matches("--").trim();
            match n.split_once(' ') {
                Some((name, binds)) if binds.trim_start().starts_with('[') => (
                    name.to_string(),
                    s.to_string(),
                    Some(serde_json::from_str(binds).unwrap()),
                ),
                _ => (n.to_string(), s.to_string(), None),
            }
        })
        .collect();
    const CITIES: [&str; 8] = [
        "Lisbon", "Porto", "Berlin", "Paris", "Madrid", "Rome", "Vienna", "Prague",
    ];
    let bind = |spec: &Option<Vec<serde_json::Value>>,
                run: usize,
                id: &str|
     -> Vec<rusqlite::types::Value> {
        use rusqlite::types::Value as V;
        match spec {
            None => vec![V::Text(now.clone()), V::Text(id.to_string())],
            Some(list) => list
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) if s == "$now" => V::Text(now.clone()),
                    serde_json::Value::String(s) if s == "$id" => V::Text(id.to_string()),
                    serde_json::Value::String(s) if s == "$city" => V::Text(CITIES[run % 8].into()),
                    serde_json::Value::String(s) if s == "$age" => {
                        V::Integer(30 + (run % 40) as i64)
                    }
                    serde_json::Value::String(s) => V::Text(s.clone()),
                    serde_json::Value::Number(n) if n.is_i64() => V::Integer(n.as_i64().unwrap()),
                    serde_json::Value::Number(n) => V::Real(n.as_f64().unwrap()),
                    serde_json::Value::Null => V::Null,
                    other => V::Text(other.to_string()),
                })
                .collect(),
        }
    };
    if std::env::var("PLAN").is_ok() {
        for (name, sql, spec) in &blocks {
            println!("== {name}");
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let mut rows = st
                .query(rusqlite::params_from_iter(bind(spec, 1, "person_1")))
                .unwrap();
            while let Some(r) = rows.next().unwrap() {
                let d: String = r.get(3).unwrap();
                println!("  {d}");
            }
        }
        return;
    }
    // Warm every page once (a scan of both tables), so variants meet the same cache.
    conn.query_row(
        "SELECT count(*), sum(length(props)) FROM typegraph_nodes",
        [],
        |_| Ok(()),
    )
    .unwrap();
    conn.query_row(
        "SELECT count(*), sum(length(props)) FROM typegraph_edges",
        [],
        |_| Ok(()),
    )
    .unwrap();
    let same = std::env::var("SAME").is_ok();
    // POLLUTE=bytes: between runs, untimed, write this much memory (64-byte strides) — what a host
    // runtime's own work between queries does to the CPU caches the statement left warm.
    let pollute: usize = std::env::var("POLLUTE")
        .ok()
        .map(|s| s.parse().unwrap())
        .unwrap_or(0);
    let mut junk = vec![0u8; pollute.max(1)];
    let mut expect: Option<Vec<usize>> = None;
    for rep in 0..reps {
        for (name, sql, spec) in &blocks {
            let mut st = conn.prepare_cached(sql).unwrap();
            let mut counts = Vec::new();
            let mut ns = Vec::with_capacity(runs);
            let mut total = 0usize;
            let t_all = Instant::now();
            let mut polluted = 0u64;
            let c0 = cpu_ns();
            for r in 0..runs {
                let id = &ids[if same { 12345 } else { (r * 977) % ids.len() }];
                if pollute > 0 {
                    let c = cpu_ns();
                    for k in (0..pollute).step_by(64) {
                        junk[k] = junk[k].wrapping_add(r as u8);
                    }
                    std::hint::black_box(&junk);
                    polluted += cpu_ns() - c;
                }
                let t = Instant::now();
                let mut rows = st
                    .query(rusqlite::params_from_iter(bind(spec, r, id)))
                    .unwrap();
                let mut n = 0;
                while let Some(row) = rows.next().unwrap() {
                    for i in 0..row.as_ref().column_count() {
                        let v: rusqlite::types::Value = row.get(i).unwrap();
                        std::hint::black_box(v);
                    }
                    n += 1;
                }
                ns.push(t.elapsed().as_nanos());
                total += n;
                if r < 50 {
                    counts.push(n);
                }
            }
            let all = t_all.elapsed().as_secs_f64() * 1e6 / runs as f64;
            let cpu = (cpu_ns() - c0 - polluted) as f64 / 1e3 / runs as f64;
            ns.sort_unstable();
            let med = ns[ns.len() / 2] as f64 / 1000.0;
            if rep == 0 {
                if let Some(e) = &expect {
                    if e != &counts {
                        println!("  !! {name}: row counts differ from the first variant");
                    }
                } else {
                    expect = Some(counts);
                }
            }
            println!("rep{rep} {name:40} median {med:8.1} µs  mean {all:8.1} µs  cpu {cpu:8.1} µs  rows/run {:.1}", total as f64 / runs as f64);
        }
    }
}

/// CPU time of this thread (ns), from the scheduler's own account.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}
