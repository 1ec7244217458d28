use super::*;
use crate::dialect::{Dialect, Tables};
use crate::exec::run_ready;
use crate::exec::sqlite::{SqliteConn, SqliteExec};
use crate::graph::Graph;
use crate::ops::{dispatch, Ctx};

fn graph() -> Graph {
    Graph::from_json(
        r#"{"graphId":"g","nodes":{"Person":{},"Company":{},"Employee":{}},
            "edges":{"worksAt":{"from":["Person"],"to":["Company"]},"knows":{"from":["Person"],"to":["Person"]}},
            "relations":[{"metaEdge":"subClassOf","from":"Employee","to":"Person"}]}"#,
    )
    .unwrap()
}

fn plan(g: &Graph, d: Dialect, shape: &str) -> Result<Plan> {
    let t = Tables::default();
    let ctx = Ctx {
        graph: g,
        tables: &t,
    };
    compile_shape(&ctx, d, shape)
}

const ONE_HOP: &str = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},
  "hops":[{"edgeAlias":"w","edgeKind":"worksAt","nodeAlias":"c","nodeKind":{"kind":"Company"}}],
  "where":[{"alias":"p","pred":{"type":"cmp","field":{"path":["name"],"valueType":"string"},"op":"eq","value":{"$":0}}}],
  "select":[{"alias":"p","col":"prop","path":["name"]},{"alias":"w","col":"prop","path":["role"]},{"alias":"c","col":"id"}],
  "orderBy":[{"alias":"c","field":{"path":["name"],"valueType":"string"}}],
  "limit":{"$":1}}"#;

#[test]
fn one_statement_with_parameters_only() {
    let g = graph();
    for d in [Dialect::Sqlite, Dialect::Postgres] {
        let p = plan(&g, d, ONE_HOP).unwrap();
        assert_eq!(p.sql.matches("SELECT").count(), 1, "{}", p.sql);
        assert!(p.sql.contains("JOIN"));
        assert!(!p.sql.contains("Alice"));
        assert!(p.sql.contains("IS NULL) ASC"));
        assert_eq!(p.json_cols, vec![true, true, false]);
        if d == Dialect::Postgres {
            assert!(p.sql.contains("$1") && !p.sql.contains('?'));
        }
    }
}

#[test]
fn malformed_queries_fail_before_sql() {
    let g = graph();
    let reused = ONE_HOP.replace(r#""nodeAlias":"c""#, r#""nodeAlias":"p""#);
    let e = plan(&g, Dialect::Sqlite, &reused).unwrap_err();
    assert_eq!(e.code, crate::Code::Validation);
    let unknown = ONE_HOP.replace(r#"{"alias":"p","pred""#, r#"{"alias":"zz","pred""#);
    assert_eq!(
        plan(&g, Dialect::Sqlite, &unknown).unwrap_err().code,
        crate::Code::Validation
    );
    let kind = ONE_HOP.replace(r#""kind":"Company""#, r#""kind":"Nope""#);
    assert_eq!(
        plan(&g, Dialect::Sqlite, &kind).unwrap_err().code,
        crate::Code::KindNotFound
    );
    let op = ONE_HOP.replace(r#""op":"eq""#, r#""op":"containsAll""#);
    assert_eq!(
        plan(&g, Dialect::Sqlite, &op).unwrap_err().code,
        crate::Code::UnsupportedPredicate
    );
}

#[test]
fn recursive_caps() {
    let g = graph();
    let q = |max: &str| {
        format!(
            r#"{{"start":{{"alias":"p","kind":{{"kind":"Person"}}}},
          "hops":[{{"edgeAlias":"k","edgeKind":"knows","nodeAlias":"f","nodeKind":{{"kind":"Person"}},"recursive":{{{max}"depthAlias":"d"}}}}],
          "select":[{{"alias":"f","col":"id"}},{{"alias":"d","col":"depth"}}]}}"#
        )
    };
    let p = plan(&g, Dialect::Sqlite, &q("")).unwrap();
    assert!(p.sql.starts_with("WITH RECURSIVE") && p.sql.contains("depth < 10"));
    let p = plan(&g, Dialect::Postgres, &q(r#""maxHops":1000,"#)).unwrap();
    assert!(p.sql.contains("depth < 1000") && p.sql.contains("strpos"));
    let e = plan(&g, Dialect::Sqlite, &q(r#""maxHops":1001,"#)).unwrap_err();
    assert_eq!(e.code, crate::Code::UnsupportedPredicate);
}

#[test]
fn subclasses_expand_to_a_kind_list() {
    let g = graph();
    let s = r#"{"start":{"alias":"p","kind":{"kind":"Person","includeSubClasses":true}},"select":[{"alias":"p","col":"kind"}]}"#;
    let p = plan(&g, Dialect::Sqlite, s).unwrap();
    // Two numbered placeholders of their own (the kinds differ, so they share no number).
    let list = p.sql.split("kind IN (").nth(1).unwrap_or("");
    let list = &list[..list.find(')').unwrap_or(0)];
    let numbers: Vec<&str> = list.split(", ").collect();
    assert_eq!(numbers.len(), 2, "{}", p.sql);
    assert!(numbers
        .iter()
        .all(|n| n.starts_with('?') && n[1..].parse::<usize>().is_ok()));
    assert_ne!(numbers[0], numbers[1]);
    let consts: Vec<_> = p
        .params
        .iter()
        .filter_map(|s| match s {
            Src::Const(Value::Text(t)) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert!(consts.contains(&"Employee".to_string()));
}

#[test]
fn identifiers_are_escaped() {
    let g = graph();
    let s = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},"select":[{"alias":"p","col":"prop","path":["a'b\"c"]}]}"#;
    // Rows on SQLite: the engine picks the field out of the props text (no path in the SQL).
    let p = plan(&g, Dialect::Sqlite, s).unwrap();
    assert_eq!(p.extract_cols, vec![Some(vec!["a'b\"c".to_string()])]);
    let counted = s.replacen('{', r#"{"mode":"count","#, 1);
    let p = plan(&g, Dialect::Sqlite, &counted).unwrap();
    assert!(p.sql.contains(r#"'$."a''b\"c"'"#), "{}", p.sql);
    let p = plan(&g, Dialect::Postgres, s).unwrap();
    assert!(p.sql.contains("ARRAY['a''b\"c']"), "{}", p.sql);
}

#[test]
fn executes_on_sqlite_and_reuses_the_plan() {
    let g = graph();
    let t = Tables::default();
    let ctx = Ctx {
        graph: &g,
        tables: &t,
    };
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(crate::ops::schema::bootstrap(&mut ex, &t)).unwrap();
    let call = |ex: &mut SqliteExec<'_>, op: &str, args: &str| {
        run_ready(dispatch(ex, &ctx, op, args)).unwrap()
    };
    call(
        &mut ex,
        "createNode",
        r#"{"kind":"Person","id":"a","props":{"name":"Alice","tags":["x","y"],"age":30}}"#,
    );
    call(
        &mut ex,
        "createNode",
        r#"{"kind":"Person","id":"b","props":{"name":"Bob","age":25}}"#,
    );
    call(
        &mut ex,
        "createNode",
        r#"{"kind":"Company","id":"c1","props":{"name":"Acme"}}"#,
    );
    call(
        &mut ex,
        "createNode",
        r#"{"kind":"Company","id":"c2","props":{"name":"Beta"}}"#,
    );
    call(
        &mut ex,
        "createEdge",
        r#"{"kind":"worksAt","from":{"kind":"Person","id":"a"},"to":{"kind":"Company","id":"c2"},"props":{"role":"CTO"}}"#,
    );
    call(
        &mut ex,
        "createEdge",
        r#"{"kind":"worksAt","from":{"kind":"Person","id":"a"},"to":{"kind":"Company","id":"c1"},"props":{"role":"Eng"}}"#,
    );
    call(
        &mut ex,
        "createEdge",
        r#"{"kind":"knows","from":{"kind":"Person","id":"a"},"to":{"kind":"Person","id":"b"},"props":{}}"#,
    );
    let args = json!({ "shape": ONE_HOP, "params": ["Alice", 10] }).to_string();
    let out = call(&mut ex, "query", &args);
    assert_eq!(out, r#"[["Alice","Eng","c1"],["Alice","CTO","c2"]]"#);
    let args = json!({ "shape": ONE_HOP, "params": ["Bob", 10] }).to_string();
    assert_eq!(call(&mut ex, "query", &args), "[]");
    assert_eq!(g.plans.lock().len(), 1);

    let arr = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},
      "where":[{"alias":"p","pred":{"type":"cmp","field":{"path":["tags"],"valueType":"array"},"op":"containsAny","value":{"$":0}}}],
      "select":[{"alias":"p","col":"id"}],"mode":"count"}"#;
    let args = json!({ "shape": arr, "params": [["y", "z"]] }).to_string();
    assert_eq!(call(&mut ex, "query", &args), "1");

    let rec = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},
      "hops":[{"edgeAlias":"k","edgeKind":"knows","nodeAlias":"f","nodeKind":{"kind":"Person"},"recursive":{"minHops":0,"depthAlias":"d","pathAlias":"pa"}}],
      "where":[{"alias":"p","pred":{"type":"cmp","field":{"system":"id"},"op":"eq","value":{"$":0}}}],
      "select":[{"alias":"f","col":"id"},{"alias":"d","col":"depth"},{"alias":"pa","col":"path"}],
      "orderBy":[{"alias":"d","field":{"system":"id"}}]}"#;
    let args = json!({ "shape": rec, "params": ["a"] }).to_string();
    assert_eq!(
        call(&mut ex, "query", &args),
        r#"[["a",0,"|a|"],["b",1,"|a|b|"]]"#
    );
}

fn ontology_graph() -> Graph {
    Graph::from_json(
        r#"{"graphId":"g","nodes":{"P":{},"Doc":{"searchable":[{"field":"title"}],"embeddings":[{"field":"vec","dimensions":3}]}},
            "edges":{"knows":{"from":["P"],"to":["P"]},"marriedTo":{"from":["P"],"to":["P"]},
                     "manages":{"from":["P"],"to":["P"]},"managedBy":{"from":["P"],"to":["P"]}},
            "closures":{"edgeImplying":{"knows":["marriedTo"]},"edgeInverses":{"manages":"managedBy","managedBy":"manages"},
                        "disjointPairs":[["P","Doc"]]}}"#,
    )
    .unwrap()
}

fn hop(kind: &str, expand: &str) -> String {
    format!(
        r#"{{"start":{{"alias":"p","kind":{{"kind":"P"}}}},
          "hops":[{{"edgeAlias":"e","edgeKind":"{kind}","expand":"{expand}","nodeAlias":"o","nodeKind":{{"kind":"P"}}}}],
          "select":[{{"alias":"o","col":"id"}}]}}"#
    )
}

#[test]
fn traversal_expansion_follows_the_closures() {
    let g = ontology_graph();
    assert_eq!(
        g.expand_edge("knows", Some("implying")).unwrap(),
        (vec!["knows".to_string(), "marriedTo".to_string()], vec![])
    );
    assert_eq!(
        g.expand_edge("manages", None).unwrap(),
        (vec!["manages".to_string()], vec!["managedBy".to_string()])
    );
    assert_eq!(g.expand_edge("manages", Some("none")).unwrap().1.len(), 0);
    assert!(g.expand_edge("manages", Some("sideways")).is_err());
    assert_eq!(g.disjoint_with("Doc"), vec!["P"]);
    for d in [Dialect::Sqlite, Dialect::Postgres] {
        let none = plan(&g, d, &hop("manages", "none")).unwrap();
        assert!(!none.sql.contains("CASE WHEN"), "{}", none.sql);
        let inv = plan(&g, d, &hop("manages", "inverse")).unwrap();
        assert!(
            inv.sql.contains("CASE WHEN") && inv.sql.contains(" OR "),
            "{}",
            inv.sql
        );
        let implying = plan(&g, d, &hop("knows", "implying")).unwrap();
        assert!(implying.sql.contains("kind IN ("), "{}", implying.sql);
    }
}

#[test]
fn field_refs_resolve_through_enclosing_queries() {
    let g = ontology_graph();
    let q = |alias: &str| {
        format!(
            r#"{{"start":{{"alias":"p","kind":{{"kind":"P"}}}},
              "where":[{{"alias":"p","pred":{{"type":"exists","query":{{"start":{{"alias":"x","kind":{{"kind":"P"}}}},
                 "where":[{{"alias":"x","pred":{{"type":"cmp","field":{{"system":"id"}},"op":"eq","ref":{{"alias":"{alias}","field":{{"system":"id"}}}}}}}}],
                 "select":[{{"alias":"x","col":"id"}}]}}}}}}],
              "select":[{{"alias":"p","col":"id"}}]}}"#
        )
    };
    for d in [Dialect::Sqlite, Dialect::Postgres] {
        let p = plan(&g, d, &q("p")).unwrap();
        assert!(p.sql.contains("q1n0.id = q0n0.id"), "{}", p.sql);
        assert_eq!(
            plan(&g, d, &q("nope")).unwrap_err().code,
            crate::Code::Validation
        );
    }
}

#[test]
fn search_predicates_lift_into_ctes_with_upstreams_restrictions() {
    let g = ontology_graph();
    let q = |pred: &str, extra: &str| {
        format!(
            r#"{{"start":{{"alias":"d","kind":{{"kind":"Doc"}}}},"where":[{{"alias":"d","pred":{pred}}}],
              "select":[{{"alias":"d","col":"id"}}]{extra}}}"#
        )
    };
    let sim = r#"{"type":"similar","field":{"path":["vec"],"valueType":"embedding"},"embedding":{"$":0},"k":{"$":1}}"#;
    let ft = r#"{"type":"fulltext","query":{"$":2}}"#;
    let both = format!(r#"{{"type":"and","preds":[{sim},{ft}]}}"#);
    for d in [Dialect::Sqlite, Dialect::Postgres] {
        let p = plan(&g, d, &q(&both, "")).unwrap();
        assert!(p.sql.starts_with("WITH tg_vs"), "{}", p.sql);
        assert!(p.sql.contains("tg_ft AS"), "{}", p.sql);
        assert!(
            p.sql.contains("tg_vs.rnk") && p.sql.contains("tg_ft.rnk"),
            "{}",
            p.sql
        );
        assert_eq!(p.vector.is_some(), d == Dialect::Sqlite);
        let or = format!(r#"{{"type":"or","preds":[{sim},{ft}]}}"#);
        let e = plan(&g, d, &q(&or, "")).unwrap_err();
        assert_eq!(e.code, crate::Code::Validation);
        assert!(
            e.message.contains("cannot be nested under OR or NOT"),
            "{}",
            e.message
        );
        let two = format!(r#"{{"type":"and","preds":[{ft},{ft}]}}"#);
        assert_eq!(
            plan(&g, d, &q(&two, "")).unwrap_err().code,
            crate::Code::UnsupportedPredicate
        );
        assert_eq!(
            plan(&g, d, &q(ft, r#","fusion":{"k":60}"#))
                .unwrap_err()
                .code,
            crate::Code::UnsupportedPredicate
        );
    }
}

#[test]
fn index_covered_aggregate_reads_visibility_by_rowid() {
    let g = Graph::from_json(
        r#"{"graphId":"g","nodes":{"Person":{"indexPaths":[[["city"],["age"]]]},"Company":{}},"edges":{}}"#,
    )
    .unwrap();
    let grouped = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},
      "select":[{"alias":"p","col":"prop","path":["city"],"valueType":"string"},{"alias":"p","col":"id","agg":"count"}],
      "groupBy":[{"alias":"p","field":{"path":["city"],"valueType":"string"}}]}"#;
    let p = plan(&g, Dialect::Sqlite, grouped).unwrap();
    assert!(
        p.sql.contains("rowid NOT IN") && p.sql.contains("COUNT(*)"),
        "{}",
        p.sql
    );
    assert!(!p.sql.contains("q0n0.valid_to"), "{}", p.sql);
    // PostgreSQL keeps the row filter; so does a field the index does not hold, a filtered
    // query and a kind without a declared index.
    assert!(!plan(&g, Dialect::Postgres, grouped)
        .unwrap()
        .sql
        .contains("rowid"));
    let other_field = grouped.replace(r#"["city"]"#, r#"["name"]"#);
    assert!(!plan(&g, Dialect::Sqlite, &other_field)
        .unwrap()
        .sql
        .contains("rowid"));
    let filtered = grouped.replace(
        r#""groupBy""#,
        r#""where":[{"alias":"p","pred":{"type":"cmp","field":{"path":["age"],"valueType":"number"},"op":"gt","value":{"$":0}}}],"groupBy""#,
    );
    assert!(!plan(&g, Dialect::Sqlite, &filtered)
        .unwrap()
        .sql
        .contains("rowid"));
    let company = grouped.replace(r#""kind":"Person""#, r#""kind":"Company""#);
    assert!(!plan(&g, Dialect::Sqlite, &company)
        .unwrap()
        .sql
        .contains("rowid"));
}

#[test]
fn rowid_visibility_falls_back_for_a_small_kind_in_a_large_graph() {
    let g = Graph::from_json(
        r#"{"graphId":"g","nodes":{"Person":{"indexPaths":[[["city"]]]},"Company":{}},"edges":{}}"#,
    )
    .unwrap();
    let t = Tables::default();
    let ctx = Ctx {
        graph: &g,
        tables: &t,
    };
    let mut db = SqliteConn::open(":memory:").unwrap();
    let mut ex = SqliteExec { db: &mut db };
    run_ready(crate::ops::schema::bootstrap(&mut ex, &t)).unwrap();
    let call = |ex: &mut SqliteExec<'_>, op: &str, args: String| {
        run_ready(dispatch(ex, &ctx, op, &args)).unwrap()
    };
    let grouped = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},
      "select":[{"alias":"p","col":"prop","path":["city"],"valueType":"string"},{"alias":"p","col":"id","agg":"count"}],
      "groupBy":[{"alias":"p","field":{"path":["city"],"valueType":"string"}}],
      "orderBy":[{"alias":"p","field":{"path":["city"],"valueType":"string"}}]}"#;
    let p = plan(&g, Dialect::Sqlite, grouped).unwrap();
    let guard = p
        .live_guard
        .as_ref()
        .expect("a rowid-form plan carries its guard");
    assert!(p.sql.contains("rowid NOT IN"), "{}", p.sql);
    assert!(!guard.plain.sql.contains("rowid"), "{}", guard.plain.sql);
    assert!(
        guard.plain.sql.contains("q0n0.valid_to"),
        "{}",
        guard.plain.sql
    );
    // PostgreSQL plans have no guard.
    assert!(plan(&g, Dialect::Postgres, grouped)
        .unwrap()
        .live_guard
        .is_none());

    // Three people (one deleted), then 60 companies: the kind is small next to its graph.
    for (i, city) in ["Lisbon", "Lisbon", "Porto"].iter().enumerate() {
        call(
            &mut ex,
            "createNode",
            json!({ "kind": "Person", "id": format!("p{i}"), "props": { "city": city } })
                .to_string(),
        );
    }
    call(
        &mut ex,
        "deleteNode",
        json!({ "kind": "Person", "id": "p2" }).to_string(),
    );
    // Decided through the memo: every call below follows writes, so each one counts again.
    let decide = |ex: &mut SqliteExec<'_>| {
        let memo = run_ready(live_decision(ex, guard)).unwrap();
        assert_eq!(memo, run_ready(rowid_form_pays(ex, guard)).unwrap());
        memo
    };
    assert!(
        decide(&mut ex),
        "a graph of only this kind takes the rowid form"
    );
    for i in 0..60 {
        call(
            &mut ex,
            "createNode",
            json!({ "kind": "Company", "id": format!("c{i}"), "props": {} }).to_string(),
        );
    }
    assert!(!decide(&mut ex), "3 rows of 63: the per-row form");
    // No write since: the decision is reused, at most LIVE_REUSE times.
    let changes = ex.db.conn.total_changes();
    for _ in 0..crate::query::compile::LIVE_REUSE {
        assert_eq!(guard.reuse(changes), Some(false));
    }
    assert_eq!(
        guard.reuse(changes),
        None,
        "counted again after LIVE_REUSE runs"
    );
    assert_eq!(
        guard.reuse(changes + 1),
        None,
        "counted again after a write"
    );
    // Either way the answer is the visible rows only.
    let q = json!({ "shape": grouped, "params": [] }).to_string();
    assert_eq!(call(&mut ex, "query", q.clone()), r#"[["Lisbon",2]]"#);
    for i in 3..40 {
        call(
            &mut ex,
            "createNode",
            json!({ "kind": "Person", "id": format!("p{i}"), "props": { "city": "Porto" } })
                .to_string(),
        );
    }
    assert!(decide(&mut ex), "40 rows of 100: the rowid form");
    assert_eq!(call(&mut ex, "query", q), r#"[["Lisbon",2],["Porto",37]]"#);
}

#[test]
fn traversals_from_a_bound_id_are_anchored() {
    let g = graph();
    let by_id = ONE_HOP.replace(
        r#""field":{"path":["name"],"valueType":"string"},"op":"eq""#,
        r#""field":{"system":"id"},"op":"eq""#,
    );
    assert!(plan(&g, Dialect::Postgres, &by_id).unwrap().anchored);
    // An id among other conjuncts still pins the start.
    let and = by_id.replace(
        r#""pred":{"type":"cmp","field":{"system":"id"},"op":"eq","value":{"$":0}}"#,
        r#""pred":{"type":"and","preds":[{"type":"cmp","field":{"path":["name"],"valueType":"string"},"op":"neq","value":{"$":0}},{"type":"cmp","field":{"system":"id"},"op":"eq","value":{"$":0}}]}"#,
    );
    assert!(plan(&g, Dialect::Postgres, &and).unwrap().anchored);
    // A name, an id under OR, or an id of another alias do not.
    assert!(!plan(&g, Dialect::Postgres, ONE_HOP).unwrap().anchored);
    let or = and.replace(r#""type":"and""#, r#""type":"or""#);
    assert!(!plan(&g, Dialect::Postgres, &or).unwrap().anchored);
    let other = by_id.replace(r#""where":[{"alias":"p""#, r#""where":[{"alias":"c""#);
    assert!(!plan(&g, Dialect::Postgres, &other).unwrap().anchored);
}

#[test]
fn single_props_are_picked_out_by_the_engine_on_sqlite_rows() {
    let g = Graph::from_json(
        r#"{"graphId":"g","nodes":{"Person":{"indexPaths":[[["city"],["age"]]]}},"edges":{"knows":{"from":["Person"],"to":["Person"]}}}"#,
    )
    .unwrap();
    let shape = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},
      "hops":[{"edgeAlias":"k","edgeKind":"knows","nodeAlias":"q","nodeKind":{"kind":"Person"}}],
      "select":[{"alias":"p","col":"prop","path":["age"],"valueType":"number"},
                {"alias":"p","col":"prop","path":["name"]},
                {"alias":"q","col":"prop","path":["age"],"valueType":"number"},
                {"alias":"k","col":"prop","path":["since"],"valueType":"number"},
                {"alias":"q","col":"props"},{"alias":"q","col":"id"}]}"#;
    let p = plan(&g, Dialect::Sqlite, shape).unwrap();
    let path = |k: &str| Some(vec![k.to_string()]);
    // The start alias's indexed number keeps json_extract (an index scan can hand it over);
    // every other single prop is the alias's props text, picked out while rendering.
    assert_eq!(
        p.extract_cols,
        vec![None, path("name"), path("age"), path("since"), None, None]
    );
    assert!(p.sql.contains("json_extract(q0n0.props"), "{}", p.sql);
    // The one `->` left is that expression's fallback for a JSON null or a missing key.
    assert_eq!(p.sql.matches(" -> ").count(), 1, "{}", p.sql);
    // PostgreSQL, counts and set operations keep the expressions in the SQL.
    assert!(plan(&g, Dialect::Postgres, shape)
        .unwrap()
        .extract_cols
        .iter()
        .all(|c| c.is_none()));
    let counted = shape.replacen('{', r#"{"mode":"count","#, 1);
    let p = plan(&g, Dialect::Sqlite, &counted).unwrap();
    assert!(
        p.extract_cols.is_empty() && p.sql.contains("q0n0.props -> "),
        "{}",
        p.sql
    );
    let one = r#"{"start":{"alias":"p","kind":{"kind":"Person"}},"select":[{"alias":"p","col":"prop","path":["name"]}]}"#;
    let union = format!(
        r#"{{"start":{{"alias":"p","kind":{{"kind":"Person"}}}},"select":[{{"alias":"p","col":"prop","path":["name"]}}],"setOps":[{{"op":"union","query":{one}}}]}}"#
    );
    let p = plan(&g, Dialect::Sqlite, &union).unwrap();
    assert!(
        p.extract_cols.iter().all(|c| c.is_none()),
        "{:?}",
        p.extract_cols
    );
    assert_eq!(p.sql.matches("props -> ").count(), 2, "{}", p.sql);
}
