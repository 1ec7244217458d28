"""SQL strategies for bounded reachability on the SQLite file bench/algo-profile.mjs leaves
(TG_ALGO_DB): one frontier statement per level (what the engine runs; visited set kept by the
caller) against one recursive CTE (UNION over (id, kind, depth), minimum depth taken after; CROSS JOIN keeps the
worktable outermost, as the engine does with its frontier).
Prints CPU milliseconds per call for each, side by side in one process.
    python3 bench/algo-sql-strategies.py /path/algo.db [maxHops] [calls]"""
import json, sqlite3, sys, time

db, hops, calls = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3, int(sys.argv[3]) if len(sys.argv) > 3 else 100
con = sqlite3.connect(db)
now = "2100-01-01T00:00:00.000Z"
vis = lambda a: f"{a}.deleted_at IS NULL AND ({a}.valid_from IS NULL OR {a}.valid_from <= '{now}') AND ({a}.valid_to IS NULL OR {a}.valid_to > '{now}')"
LEVEL = f"""SELECT e.from_id, e.from_kind, e.to_id, e.to_kind FROM
 (SELECT json_extract(value, '$[0]') AS k, json_extract(value, '$[1]') AS i FROM json_each(?)) AS f
 JOIN typegraph_edges e ON e.graph_id = 'bench' AND e.from_kind = f.k AND e.from_id = f.i
 JOIN typegraph_nodes n ON n.graph_id = e.graph_id AND n.kind = e.to_kind AND n.id = e.to_id
 WHERE e.kind IN (SELECT value FROM json_each('["knows"]')) AND {vis('e')} AND {vis('n')}"""
CTE = f"""WITH RECURSIVE r(id, kind, depth) AS (
 SELECT n.id, n.kind, 0 FROM typegraph_nodes n WHERE n.graph_id = 'bench' AND n.id = ? AND {vis('n')}
 UNION
 SELECT n.id, n.kind, r.depth + 1 FROM r CROSS JOIN typegraph_edges e ON e.graph_id = 'bench' AND e.from_kind = r.kind AND e.from_id = r.id
 JOIN typegraph_nodes n ON n.graph_id = e.graph_id AND n.kind = e.to_kind AND n.id = e.to_id
 WHERE r.depth < ? AND e.kind = 'knows' AND {vis('e')} AND {vis('n')})
SELECT id, kind, MIN(depth) FROM r GROUP BY id, kind"""
n = con.execute("SELECT COUNT(*) FROM typegraph_nodes WHERE graph_id = 'bench'").fetchone()[0]
pick = lambda i: f"person_{(i * 7919 + 13) % n}"

def per_level(src):
    seen = {("Person", src): 0}
    frontier = [("Person", src)]
    for d in range(hops):
        if not frontier:
            break
        nxt = []
        for _, _, ti, tk in con.execute(LEVEL, (json.dumps([[k, i] for k, i in frontier]),)):
            if (tk, ti) not in seen:
                seen[(tk, ti)] = d + 1
                nxt.append((tk, ti))
        frontier = nxt
    return len(seen)

def cte(src):
    return len(con.execute(CTE, (src, hops)).fetchall())

for name, fn in (("per-level", per_level), ("recursive-cte", cte), ("per-level", per_level)):
    fn(pick(0))
    t0 = time.process_time()
    size = sum(fn(pick(i)) for i in range(1, calls + 1))
    print(json.dumps({"strategy": name, "maxHops": hops, "cpuMsPerCall": round((time.process_time() - t0) * 1000 / calls, 3), "avgSize": size / calls}))
