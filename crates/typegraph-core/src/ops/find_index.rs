//! `bulkFindByIndex`: many probes against one declared node index in one statement.
//!
//! The binding resolves and checks the index declaration and hands over its key fields
//! (JSON pointers with their value types), its partial `where` and the distinct probe tuples.
//! The key expressions are written exactly as the index DDL writes them, so the planner can
//! probe the physical index. Probe tuples travel as one parameter per null pattern (a JSON
//! array read with `json_each` on SQLite, `unnest` of text arrays on PostgreSQL): the
//! statement's size and bind count do not grow with the number of probes.

use super::rows::push_row;
use super::Ctx;
use crate::dialect::{Dialect, NODE_COLS};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::value::Value;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindByIndexArgs {
    pub kind: String,
    /// The index name (for error details only).
    #[serde(default)]
    pub index: String,
    /// Key fields as JSON pointers, in index order.
    pub fields: Vec<String>,
    /// The declared value type of each key field (`null` when unknown).
    #[serde(default)]
    pub field_value_types: Vec<Option<String>>,
    /// The index's partial `where` expression, as declared.
    #[serde(default)]
    pub r#where: Option<Json>,
    /// Distinct probe tuples; `null` marks a field that must be NULL in the stored row.
    pub probes: Vec<Vec<Json>>,
    #[serde(default)]
    pub limit_per_input: Option<i64>,
}

/// One array per probe tuple, each holding the live matching nodes ordered by id.
pub async fn find_by_index<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: FindByIndexArgs,
) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    if a.probes.is_empty() {
        return Ok("[]".into());
    }
    let (sql, params) = compile(ex.dialect(), &ctx.tables.nodes, ctx.graph.id(), &a)?;
    let rows = ex.query(&sql, &params).await?;
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); a.probes.len()];

    // Rows come ordered by (group, id): each group's rows are contiguous.
    let mut json_rows: Vec<String> = Vec::with_capacity(rows.len());
    for r in &rows {
        let g = match r.first() {
            Some(Value::Int(i)) => *i as usize,
            Some(Value::Real(f)) => *f as usize,
            Some(Value::Text(s)) => s.parse().unwrap_or(usize::MAX),
            _ => usize::MAX,
        };
        let Some(bucket) = out.get_mut(g) else {
            return Err(Error::invariant(
                "bulkFindByIndex: probe group out of range",
            ));
        };
        let mut s = String::with_capacity(192);
        push_row(&mut s, &r[1..].to_vec(), 2)?;
        bucket.push(json_rows.len());
        json_rows.push(s);
    }
    let mut text = String::with_capacity(
        json_rows.iter().map(|s| s.len() + 1).sum::<usize>() + out.len() * 3 + 2,
    );
    text.push('[');
    for (i, bucket) in out.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push('[');
        for (j, &r) in bucket.iter().enumerate() {
            if j > 0 {
                text.push(',');
            }
            text.push_str(&json_rows[r]);
        }
        text.push(']');
    }
    text.push(']');
    Ok(text)
}

/// The statement and its parameters (placeholders already in the dialect's form).
pub fn compile(
    d: Dialect,
    nodes: &str,
    graph_id: &str,
    a: &FindByIndexArgs,
) -> Result<(String, Vec<Value>)> {
    if a.fields.is_empty() {
        return Err(Error::new(crate::error::Code::Configuration,
            format!(
                "bulkFindByIndex requires an index with at least one prop-based field on index \"{}\" (node kind \"{}\")",
                a.index, a.kind
            ),
            json!({ "indexName": a.index, "kind": a.kind }),
        ));
    }
    if let Some(l) = a.limit_per_input {
        if l <= 0 {
            return Err(Error::validation(
                "bulkFindByIndex limitPerInput must be a positive integer",
                json!({ "kind": a.kind, "issues": [{ "path": "limitPerInput", "message": format!("Expected a positive integer, received {l}"), "code": "invalid_value" }] }),
            ));
        }
    }
    let types: Vec<Option<&str>> = (0..a.fields.len())
        .map(|i| a.field_value_types.get(i).and_then(|t| t.as_deref()))
        .collect();
    if types.contains(&Some("date")) {
        return Err(Error::new(crate::error::Code::Configuration,
            format!(
                "bulkFindByIndex does not support date-typed key fields on index \"{}\" (node kind \"{}\")",
                a.index, a.kind
            ),
            json!({ "indexName": a.index, "kind": a.kind }),
        ));
    }
    let keys: Vec<String> = a
        .fields
        .iter()
        .zip(&types)
        .map(|(p, t)| key_expr(d, &parse_pointer(p), *t))
        .collect();

    // Probe tuples grouped by which fields they leave NULL: one arm per pattern.
    let mut patterns: BTreeMap<Vec<bool>, Vec<usize>> = BTreeMap::new();
    for (g, probe) in a.probes.iter().enumerate() {
        if probe.len() != a.fields.len() {
            return Err(Error::validation(
                format!(
                    "Index probe {g} has {} values for {} key fields",
                    probe.len(),
                    a.fields.len()
                ),
                json!({ "kind": a.kind }),
            ));
        }
        for v in probe {
            if matches!(v, Json::Array(_) | Json::Object(_)) {
                return Err(Error::validation(
                    format!(
                        "Index probe values on node kind \"{}\" must be scalars",
                        a.kind
                    ),
                    json!({ "kind": a.kind }),
                ));
            }
        }
        let present: Vec<bool> = probe.iter().map(|v| !v.is_null()).collect();
        patterns.entry(present).or_default().push(g);
    }

    let mut params: Vec<Value> = Vec::new();
    let where_sql = match &a.r#where {
        Some(w) if !w.is_null() => Some(where_sql(d, w)?),
        _ => None,
    };
    let mut arms = Vec::new();
    for (present, groups) in &patterns {
        let mut conds = vec![
            "graph_id = ?".to_string(),
            "kind = ?".to_string(),
            "deleted_at IS NULL".to_string(),
        ];
        let mut from = String::new();
        match d {
            Dialect::Sqlite => {
                // [[group, v0, v1, …], …] read back with json_extract (native JSON types).
                let mut cols = vec!["json_extract(value, '$[0]') AS tg_probe_g".to_string()];
                let mut rows = Vec::with_capacity(groups.len());
                for &g in groups {
                    let mut r = vec![json!(g)];
                    r.extend(
                        a.probes[g]
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| present[*i])
                            .map(|(_, v)| sqlite_probe(v)),
                    );
                    rows.push(Json::Array(r));
                }
                let mut slot = 1;
                for (i, k) in keys.iter().enumerate() {
                    if present[i] {
                        cols.push(format!("json_extract(value, '$[{slot}]') AS tg_probe_v{i}"));
                        conds.push(format!("{k} = tg_probe.tg_probe_v{i}"));
                        slot += 1;
                    } else {
                        conds.push(format!("{k} IS NULL"));
                    }
                }
                from.push_str(&format!(
                    "(SELECT {} FROM json_each(?)) AS tg_probe CROSS JOIN {}",
                    cols.join(", "),
                    nodes
                ));
                params.push(Value::Text(Json::Array(rows).to_string()));
            }
            Dialect::Postgres => {
                let mut arrays = vec!["?::text[]::bigint[]".to_string()];
                let mut names = vec!["tg_probe_g".to_string()];
                params.push(Value::TextList(
                    groups.iter().map(|g| g.to_string()).collect(),
                ));
                for (i, k) in keys.iter().enumerate() {
                    if present[i] {
                        arrays.push(format!("?::text[]::{}[]", pg_type(types[i])));
                        names.push(format!("tg_probe_v{i}"));
                        params.push(Value::TextList(
                            groups
                                .iter()
                                .map(|&g| pg_probe(&a.probes[g][i], types[i]))
                                .collect(),
                        ));
                        conds.push(format!("{k} = tg_probe.tg_probe_v{i}"));
                    } else {
                        conds.push(format!("{k} IS NULL"));
                    }
                }
                from.push_str(&format!(
                    "unnest({}) AS tg_probe({}) CROSS JOIN {}",
                    arrays.join(", "),
                    names.join(", "),
                    nodes
                ));
            }
        }
        params.push(Value::text(graph_id));
        params.push(Value::text(&a.kind));
        if let Some(w) = &where_sql {
            conds.push(w.clone());
        }
        arms.push(format!(
            "SELECT tg_probe.tg_probe_g AS tg_probe_g, {NODE_COLS} FROM {from} WHERE {}",
            conds.join(" AND ")
        ));
    }
    let union = arms.join(" UNION ALL ");
    let sql = match a.limit_per_input {
        Some(l) => {
            params.push(Value::Int(l));
            format!(
                "SELECT tg_probe_g, {NODE_COLS} FROM (SELECT tg_m.*, ROW_NUMBER() OVER (PARTITION BY tg_probe_g ORDER BY id) AS tg_rank FROM ({union}) AS tg_m) AS tg_r \
                 WHERE tg_rank <= ? ORDER BY tg_probe_g, id"
            )
        }
        None => {
            format!("SELECT tg_probe_g, {NODE_COLS} FROM ({union}) AS tg_m ORDER BY tg_probe_g, id")
        }
    };
    Ok((d.finish(sql), params))
}

/// A probe value as the SQLite key expression reads it (`json_extract` of the same JSON).
fn sqlite_probe(v: &Json) -> Json {
    v.clone()
}

/// PostgreSQL element type of a key field's probe array (the key expression's type).
fn pg_type(t: Option<&str>) -> &'static str {
    match t {
        Some("number") => "numeric",
        Some("boolean") => "boolean",
        Some("array" | "object" | "embedding") => "jsonb",
        _ => "text",
    }
}

/// A probe value as text for its PostgreSQL array element type.
fn pg_probe(v: &Json, t: Option<&str>) -> String {
    match (pg_type(t), v) {
        ("jsonb", v) => v.to_string(),
        (_, Json::String(s)) => s.clone(),
        (_, Json::Bool(b)) => b.to_string(),
        (_, Json::Number(n)) => n.to_string(),
        (_, other) => other.to_string(),
    }
}

/// RFC 6901 pointer → path segments.
fn parse_pointer(p: &str) -> Vec<String> {
    if p.is_empty() {
        return Vec::new();
    }
    p.trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The key expression of one index field, as the index DDL writes it.
fn key_expr(d: Dialect, segs: &[String], t: Option<&str>) -> String {
    match d {
        Dialect::Sqlite => {
            let mut path = String::from("$");
            for s in segs {
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                    path.push_str(&format!("[{s}]"));
                } else {
                    path.push('.');
                    path.push_str(&serde_json::to_string(s).unwrap_or_default());
                }
            }
            format!("json_extract(\"props\", {})", sql_string(&path))
        }
        Dialect::Postgres => {
            let lit = |s: &str| {
                if s.contains('\\') {
                    format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
                } else {
                    sql_string(s)
                }
            };
            let path = if segs.is_empty() {
                "ARRAY[]::text[]".to_string()
            } else {
                format!(
                    "ARRAY[{}]",
                    segs.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ")
                )
            };
            match t {
                Some("array" | "object" | "embedding") => format!("\"props\" #> {path}"),
                Some("number") => format!("(\"props\" #>> {path})::numeric"),
                Some("boolean") => format!("(\"props\" #>> {path})::boolean"),
                Some("date") => format!("(\"props\" #>> {path})::timestamptz"),
                _ => format!("\"props\" #>> {path}"),
            }
        }
    }
}

const SYSTEM_COLUMNS: &[&str] = &[
    "graph_id",
    "kind",
    "id",
    "from_kind",
    "from_id",
    "to_kind",
    "to_id",
    "deleted_at",
    "valid_from",
    "valid_to",
    "created_at",
    "updated_at",
    "version",
];

fn bad_where(msg: impl Into<String>) -> Error {
    Error::new(crate::error::Code::Configuration, msg, json!({}))
}

/// The index's partial `where`, written as its DDL writes it (literals inline, from the definition).
fn where_sql(d: Dialect, e: &Json) -> Result<String> {
    let ty = e.get("__type").and_then(Json::as_str).unwrap_or_default();
    let list = |k: &str| -> Result<Vec<String>> {
        e.get(k)
            .and_then(Json::as_array)
            .ok_or_else(|| bad_where(format!("Malformed index WHERE expression \"{ty}\"")))?
            .iter()
            .map(|p| where_sql(d, p))
            .collect()
    };
    match ty {
        "index_where_and" => Ok(format!("({})", list("predicates")?.join(" AND "))),
        "index_where_or" => Ok(format!("({})", list("predicates")?.join(" OR "))),
        "index_where_not" => {
            let p = e
                .get("predicate")
                .ok_or_else(|| bad_where("Malformed index WHERE expression \"index_where_not\""))?;
            Ok(format!("(NOT {})", where_sql(d, p)?))
        }
        "index_where_null_check" => {
            let o = operand_sql(d, e.get("operand").unwrap_or(&Json::Null))?;
            let op = if e.get("op").and_then(Json::as_str) == Some("isNull") {
                "IS NULL"
            } else {
                "IS NOT NULL"
            };
            Ok(format!("{o} {op}"))
        }
        "index_where_comparison" => {
            let left = operand_sql(d, e.get("left").unwrap_or(&Json::Null))?;
            let op = e.get("op").and_then(Json::as_str).unwrap_or_default();
            match e.get("right") {
                Some(Json::Array(items)) => {
                    let sql_op = match op {
                        "in" => "IN",
                        "notIn" => "NOT IN",
                        _ => return Err(bad_where(format!("Operator \"{op}\" does not support list comparison in index WHERE clause"))),
                    };
                    let vals = items
                        .iter()
                        .map(|l| literal_sql(d, l))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(format!("{left} {sql_op} ({})", vals.join(", ")))
                }
                Some(l) => {
                    let sql_op = match op {
                        "eq" => "=",
                        "neq" => "<>",
                        "gt" => ">",
                        "gte" => ">=",
                        "lt" => "<",
                        "lte" => "<=",
                        _ => {
                            return Err(bad_where(format!(
                            "Operator \"{op}\" is not valid with one value in index WHERE clause"
                        )))
                        }
                    };
                    Ok(format!("{left} {sql_op} {}", literal_sql(d, l)?))
                }
                None => Err(bad_where("Malformed index WHERE comparison")),
            }
        }
        other => Err(bad_where(format!(
            "Unknown index WHERE expression \"{other}\""
        ))),
    }
}

fn operand_sql(d: Dialect, o: &Json) -> Result<String> {
    let vt = o.get("valueType").and_then(Json::as_str);
    match o.get("__type").and_then(Json::as_str) {
        Some("index_operand_system") => {
            let c = o.get("column").and_then(Json::as_str).unwrap_or_default();
            if !SYSTEM_COLUMNS.contains(&c) {
                return Err(bad_where(format!(
                    "Unknown system column \"{c}\" in index WHERE clause"
                )));
            }
            Ok(crate::dialect::quote_ident(c))
        }
        Some("index_operand_prop") => {
            let f = o.get("field").and_then(Json::as_str).unwrap_or_default();
            Ok(key_expr(d, &[f.to_string()], vt))
        }
        _ => Err(bad_where("Malformed index WHERE operand")),
    }
}

fn literal_sql(d: Dialect, l: &Json) -> Result<String> {
    let v = l.get("value").unwrap_or(&Json::Null);
    match l.get("valueType").and_then(Json::as_str) {
        Some("number") => {
            let n = match v {
                Json::Number(n) => n.as_f64(),
                Json::String(s) => s.parse::<f64>().ok(),
                _ => None,
            }
            .filter(|n| n.is_finite())
            .ok_or_else(|| {
                bad_where(format!(
                    "Invalid numeric literal in index WHERE clause: {v}"
                ))
            })?;
            if n.fract() == 0.0 && n.abs() < 1e15 {
                Ok(format!("{}", n as i64))
            } else {
                Ok(format!("{n}"))
            }
        }
        Some("boolean") => {
            let b = matches!(v, Json::Bool(true)) || v.as_str() == Some("true");
            Ok(match (d, b) {
                (Dialect::Postgres, true) => "TRUE".into(),
                (Dialect::Postgres, false) => "FALSE".into(),
                (Dialect::Sqlite, true) => "1".into(),
                (Dialect::Sqlite, false) => "0".into(),
            })
        }
        _ => Ok(sql_string(&match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::run_ready;
    use crate::exec::sqlite::{SqliteConn, SqliteExec};

    fn args(
        fields: &[&str],
        types: &[&str],
        r#where: Option<Json>,
        probes: Json,
    ) -> FindByIndexArgs {
        serde_json::from_value(json!({
            "kind": "Person",
            "index": "i",
            "fields": fields,
            "fieldValueTypes": types,
            "where": r#where,
            "probes": probes,
        }))
        .unwrap()
    }

    /// The key expressions are the index's own: SQLite probes the expression index
    /// (plain and partial) instead of scanning the kind.
    #[test]
    fn sqlite_probes_use_the_declared_expression_index() {
        let mut db = SqliteConn::open(":memory:").unwrap();
        let mut ex = SqliteExec { db: &mut db };
        let tables = crate::dialect::Tables::default();
        run_ready(crate::ops::schema::bootstrap(&mut ex, &tables)).unwrap();
        // As lib/indexes.ts generates them.
        run_ready(ex.batch(
            "CREATE INDEX IF NOT EXISTS \"by_tenant_name\" ON \"typegraph_nodes\" (\"graph_id\", \"kind\", (json_extract(\"props\", '$.\"tenant\"')), (json_extract(\"props\", '$.\"name\"')));\
             CREATE INDEX IF NOT EXISTS \"active_by_name\" ON \"typegraph_nodes\" (\"graph_id\", \"kind\", (json_extract(\"props\", '$.\"name\"'))) WHERE json_extract(\"props\", '$.\"active\"') = 1;",
        ))
        .unwrap();
        let plan = |ex: &mut SqliteExec<'_>, a: &FindByIndexArgs| -> String {
            let (sql, params) = compile(Dialect::Sqlite, &tables.nodes, "g", a).unwrap();
            let rows = run_ready(ex.query(&format!("EXPLAIN QUERY PLAN {sql}"), &params)).unwrap();
            rows.iter()
                .filter_map(|r| r.last().and_then(Value::as_str).map(String::from))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let pair = args(
            &["/tenant", "/name"],
            &["string", "string"],
            None,
            json!([["t1", "Ana"], [null, "Bo"]]),
        );
        let p = plan(&mut ex, &pair);
        assert!(p.contains("USING INDEX by_tenant_name"), "{p}");
        let active = args(
            &["/name"],
            &["string"],
            Some(json!({ "__type": "index_where_comparison", "op": "eq",
                "left": { "__type": "index_operand_prop", "field": "active", "valueType": "boolean" },
                "right": { "__type": "index_where_literal", "value": true, "valueType": "boolean" } })),
            json!([["Ana"]]),
        );
        let p = plan(&mut ex, &active);
        assert!(p.contains("USING INDEX active_by_name"), "{p}");
    }

    #[test]
    fn key_and_where_sql_follow_the_index_ddl() {
        let segs = parse_pointer("/info/a~1b");
        assert_eq!(segs, vec!["info".to_string(), "a/b".to_string()]);
        assert_eq!(
            key_expr(Dialect::Postgres, &segs, Some("number")),
            "(\"props\" #>> ARRAY['info', 'a/b'])::numeric"
        );
        assert_eq!(
            key_expr(Dialect::Sqlite, &parse_pointer("/tags/0"), None),
            "json_extract(\"props\", '$.\"tags\"[0]')"
        );
        let w = json!({ "__type": "index_where_and", "predicates": [
            { "__type": "index_where_null_check", "op": "isNull", "operand": { "__type": "index_operand_system", "column": "deleted_at" } },
            { "__type": "index_where_comparison", "op": "in",
              "left": { "__type": "index_operand_prop", "field": "tier", "valueType": "string" },
              "right": [{ "__type": "index_where_literal", "value": "o'k", "valueType": "string" }] }
        ]});
        assert_eq!(
            where_sql(Dialect::Postgres, &w).unwrap(),
            "(\"deleted_at\" IS NULL AND \"props\" #>> ARRAY['tier'] IN ('o''k'))"
        );
        let bad = json!({ "__type": "index_where_null_check", "op": "isNull", "operand": { "__type": "index_operand_system", "column": "props; DROP" } });
        assert!(where_sql(Dialect::Sqlite, &bad).is_err());
    }
}
