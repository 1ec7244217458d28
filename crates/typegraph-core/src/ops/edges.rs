//! Edge operations: create with endpoint and cardinality checks, reads, update, delete.

use super::nodes::{already_exists, push_limit};
use super::rows::{opt_str, row_json, rows_json, EDGE_PROPS};
use super::{validity_window, Ctx};
use crate::atomic;
use crate::dialect::EDGE_COLS;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::graph::Cardinality;
use crate::util::{generate_id, now_iso};
use crate::value::{Row, Value};
use serde::Deserialize;
use serde_json::{json, value::RawValue};

// Edge row layout (EDGE_COLS): id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at, deleted_at
const KIND: usize = 1;
const VALID_FROM: usize = 7;
const VALID_TO: usize = 8;
const UPDATED_AT: usize = 10;
const DELETED_AT: usize = 11;

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    pub kind: String,
    pub id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateArgs {
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
    pub from: NodeRef,
    pub to: NodeRef,
    pub props: Box<RawValue>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdArgs {
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdsArgs {
    pub kind: String,
    pub ids: Vec<String>,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindArgs {
    pub kind: String,
    #[serde(default)]
    pub from: Option<NodeRef>,
    #[serde(default)]
    pub to: Option<NodeRef>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateArgs {
    pub kind: String,
    pub id: String,
    pub props: Box<RawValue>,
    /// `updated_at` the merge was computed from (edges have no version column).
    #[serde(default)]
    pub expected_updated_at: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub clear_valid_to: bool,
    /// Upsert paths: a stated lower bound (must match the live row's unless preserved).
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub preserve_valid_from: bool,
}

impl UpdateArgs {
    fn window(&self) -> super::WindowUpdate {
        super::WindowUpdate {
            valid_from: self.valid_from.clone(),
            preserve_valid_from: self.preserve_valid_from,
            valid_to: self.valid_to.clone(),
            clear_valid_to: self.clear_valid_to,
        }
    }
}

async fn fetch<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, id: &str) -> Result<Option<Row>> {
    let sql = ex.dialect().finish(format!(
        "SELECT {EDGE_COLS} FROM {} WHERE graph_id = ? AND id = ?",
        ctx.tables.edges
    ));
    Ok(ex
        .query(&sql, &[Value::text(ctx.graph.id()), Value::text(id)])
        .await?
        .pop())
}

/// `fetch` for a read-merge-write: on PostgreSQL the row is locked until the transaction ends, so
/// the staleness check below it cannot be overtaken by another transaction's commit.
async fn fetch_for_write<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, id: &str) -> Result<Option<Row>> {
    let lock = if matches!(ex.dialect(), crate::dialect::Dialect::Postgres) {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = ex.dialect().finish(format!(
        "SELECT {EDGE_COLS} FROM {} WHERE graph_id = ? AND id = ?{lock}",
        ctx.tables.edges
    ));
    Ok(ex
        .query(&sql, &[Value::text(ctx.graph.id()), Value::text(id)])
        .await?
        .pop())
}

fn not_found(kind: &str, id: &str) -> Error {
    Error::new(
        Code::EdgeNotFound,
        format!("Edge not found: {kind}/{id}"),
        json!({ "kind": kind, "id": id }),
    )
}

pub(crate) fn identity_mismatch(kind: &str, id: &str, actual: &str, operation: &str) -> Error {
    Error::validation(
        format!(
            "Edge {id} belongs to {actual}, not to {kind} (a \"{actual}\" edge, not \"{kind}\")"
        ),
        json!({
            "entityType": "edge", "kind": kind, "id": id, "operation": operation,
            "issues": [{ "path": "kind", "message": format!("Edge {id} has kind \"{actual}\""), "code": "EDGE_IDENTITY_MISMATCH" }]
        }),
    )
}

pub async fn create<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: CreateArgs) -> Result<String> {
    let spec = ctx.graph.edge(&a.kind)?;
    check_endpoint_kinds(ctx, &a.kind, spec, &a.from, &a.to)?;
    let id = a.id.clone().unwrap_or_else(generate_id);
    super::recorded::touch_edge(ex, &a.kind, &id);
    let now = now_iso();
    let (vf, vt) = validity_window(a.valid_from.as_deref(), a.valid_to.as_deref(), &now)?;
    if spec.cardinality == Cardinality::Many {
        // Fast path: one statement, atomic on its own — the row goes in only when both
        // endpoints are live, the id is free and (fenced store) the schema version is current.
        // No row back falls through to the transactional path, which names the failure.
        if let Some(row) = insert_if_endpoints_live(ex, ctx, &a, &id, &vf, &vt, &now).await? {
            return row_json(Some(&row), EDGE_PROPS);
        }
    }
    let row = atomic!(ex, {
        check_endpoints_live(ex, ctx, &a.kind, &a.from, &a.to).await?;
        check_cardinality(
            ex,
            ctx,
            &a.kind,
            spec.cardinality,
            &a.from,
            &a.to,
            vt.is_some(),
        )
        .await?;
        if fetch(ex, ctx, &id).await?.is_some() {
            return Err(already_exists("edge", &a.kind, &id));
        }
        super::claims::claim_edges(
            ex,
            ctx,
            &a.kind,
            spec.cardinality,
            &[super::claims::EdgeClaim {
                edge_id: &id,
                from: &a.from,
                to: &a.to,
                born_ended: vt.is_some(),
                index: None,
            }],
        )
        .await?;
        let sql = ex.dialect().finish(format!(
            "INSERT INTO {} (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {EDGE_COLS}",
            ctx.tables.edges
        ));
        ex.query(
            &sql,
            &[
                Value::text(ctx.graph.id()),
                Value::text(&id),
                Value::text(&a.kind),
                Value::text(&a.from.kind),
                Value::text(&a.from.id),
                Value::text(&a.to.kind),
                Value::text(&a.to.id),
                Value::Json(Some(a.props.get().to_string())),
                Value::Ts(vf.clone()),
                Value::Ts(vt.clone()),
                Value::Ts(Some(now.clone())),
                Value::Ts(Some(now.clone())),
            ],
        )
        .await?
        .pop()
        .ok_or_else(|| Error::invariant("insert returned no row"))
    })?;
    row_json(Some(&row), EDGE_PROPS)
}

/// The single-statement insert behind `create`'s fast path; `None` when an endpoint is
/// missing or deleted, the id is taken, or the fence moved on.
async fn insert_if_endpoints_live<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &CreateArgs,
    id: &str,
    vf: &Option<String>,
    vt: &Option<String>,
    now: &str,
) -> Result<Option<Row>> {
    let d = ex.dialect();
    let guard = crate::ops::evolve::fast_path_guard(
        d,
        ctx.tables,
        ctx.graph.id(),
        ctx.graph.schema_version(),
    );
    let nodes = &ctx.tables.nodes;
    let live = format!(
        "EXISTS (SELECT 1 FROM {nodes} WHERE graph_id = ? AND kind = ? AND id = ? AND deleted_at IS NULL)"
    );
    // SQLite keeps the row as bound: it is rendered from the values, not read back (see nodes::create).
    let sqlite = d == crate::Dialect::Sqlite;
    let sql = d.finish(format!(
        "INSERT INTO {} (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE {live} AND {live}{} \
         ON CONFLICT (graph_id, id) DO NOTHING{}",
        ctx.tables.edges,
        guard.as_ref().map(|g| g.0.as_str()).unwrap_or(""),
        if sqlite {
            String::new()
        } else {
            format!(" RETURNING {EDGE_COLS}")
        }
    ));
    let mut params = vec![
        Value::text(ctx.graph.id()),
        Value::text(id),
        Value::text(&a.kind),
        Value::text(&a.from.kind),
        Value::text(&a.from.id),
        Value::text(&a.to.kind),
        Value::text(&a.to.id),
        Value::Json(Some(a.props.get().to_string())),
        Value::Ts(vf.clone()),
        Value::Ts(vt.clone()),
        Value::Ts(Some(now.to_string())),
        Value::Ts(Some(now.to_string())),
    ];
    for r in [&a.from, &a.to] {
        params.extend([
            Value::text(ctx.graph.id()),
            Value::text(&r.kind),
            Value::text(&r.id),
        ]);
    }
    if let Some((_, p)) = guard {
        params.extend(p);
    }
    if !sqlite {
        return Ok(ex.query(&sql, &params).await?.pop());
    }
    let changed = match ex.sqlite_conn() {
        Some(db) => super::kept_writes::execute(
            db,
            ctx.tables,
            super::kept_writes::Slot::EdgeInsert,
            &sql,
            &params,
        )?,
        None => ex.execute(&sql, &params).await?,
    };
    if changed != 1 {
        return Ok(None);
    }
    // The bound values after graph_id are EDGE_COLS in order up to updated_at; deleted_at is NULL.
    params.truncate(12);
    let mut row: Row = params.into_iter().skip(1).collect();
    row.push(Value::Null);
    Ok(Some(row))
}

pub(crate) async fn check_cardinality<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    card: Cardinality,
    from: &NodeRef,
    to: &NodeRef,
    born_ended: bool,
) -> Result<()> {
    let extra = match card {
        Cardinality::Many => return Ok(()),
        Cardinality::OneActive if born_ended => return Ok(()),
        Cardinality::One => "",
        Cardinality::Unique => " AND to_kind = ? AND to_id = ?",
        Cardinality::OneActive => " AND valid_to IS NULL",
    };
    let sql = ex.dialect().finish(format!(
        "SELECT COUNT(*) FROM {} WHERE graph_id = ? AND kind = ? AND from_kind = ? AND from_id = ? AND deleted_at IS NULL{extra}",
        ctx.tables.edges
    ));
    let mut p = vec![
        Value::text(ctx.graph.id()),
        Value::text(kind),
        Value::text(&from.kind),
        Value::text(&from.id),
    ];
    if card == Cardinality::Unique {
        p.extend([Value::text(&to.kind), Value::text(&to.id)]);
    }
    let n = ex
        .query(&sql, &p)
        .await?
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if n > 0 {
        let name = match card {
            Cardinality::One => "one",
            Cardinality::Unique => "unique",
            _ => "oneActive",
        };
        return Err(Error::new(
            Code::Cardinality,
            format!("Cardinality violation: \"{kind}\" from {}/{} allows \"{name}\" but {n} edge(s) already exist", from.kind, from.id),
            json!({ "edgeKind": kind, "fromKind": from.kind, "fromId": from.id, "cardinality": name, "existingCount": n }),
        ));
    }
    Ok(())
}

pub async fn get<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: IdArgs) -> Result<String> {
    // An empty kind reads the edge of that id whatever its kind (`backend.getEdge(graphId, id)`).
    if !a.kind.is_empty() {
        ctx.graph.edge(&a.kind)?;
    }
    let now = now_iso();
    let row = fetch(ex, ctx, &a.id)
        .await?
        .filter(|r| a.kind.is_empty() || opt_str(r, KIND) == Some(a.kind.as_str()));
    let row = match row {
        Some(r)
            if a.temporal().admits(
                opt_str(&r, DELETED_AT),
                opt_str(&r, VALID_FROM),
                opt_str(&r, VALID_TO),
                &now,
            )? =>
        {
            Some(r)
        }
        _ => None,
    };
    row_json(row.as_ref(), EDGE_PROPS)
}

pub async fn get_many<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: IdsArgs) -> Result<String> {
    ctx.graph.edge(&a.kind)?;
    let now = now_iso();
    let (filter, tparams) = a.temporal().filter_keyed(ex.dialect(), &now)?;
    let sql = ex.dialect().finish(format!(
        "SELECT {EDGE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND {} AND {filter}",
        ctx.tables.edges,
        ex.dialect().in_list("id")
    ));
    let mut p = vec![
        Value::text(ctx.graph.id()),
        Value::text(&a.kind),
        Value::TextList(a.ids.clone()),
    ];
    p.extend(tparams);
    let rows = ex.query(&sql, &p).await?;
    let by_id: std::collections::HashMap<&str, &Row> = rows
        .iter()
        .filter_map(|r| opt_str(r, 0).map(|id| (id, r)))
        .collect();
    let mut out = String::from("[");
    for (i, id) in a.ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&row_json(by_id.get(id.as_str()).copied(), EDGE_PROPS)?);
    }
    out.push(']');
    Ok(out)
}

fn find_sql<E: Executor>(
    _ex: &E,
    ctx: &Ctx<'_>,
    a: &FindArgs,
    select: &str,
) -> Result<(String, Vec<Value>)> {
    ctx.graph.edge(&a.kind)?;
    let now = now_iso();
    let (filter, tparams) = a.temporal().filter("", &now)?;
    let mut sql = format!(
        "SELECT {select} FROM {} WHERE graph_id = ? AND kind = ? AND {filter}",
        ctx.tables.edges
    );
    let mut p = vec![Value::text(ctx.graph.id()), Value::text(&a.kind)];
    p.extend(tparams);
    if let Some(f) = &a.from {
        sql.push_str(" AND from_kind = ? AND from_id = ?");
        p.extend([Value::text(&f.kind), Value::text(&f.id)]);
    }
    if let Some(t) = &a.to {
        sql.push_str(" AND to_kind = ? AND to_id = ?");
        p.extend([Value::text(&t.kind), Value::text(&t.id)]);
    }
    Ok((sql, p))
}

pub async fn find<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: FindArgs) -> Result<String> {
    let (mut sql, mut p) = find_sql(ex, ctx, &a, EDGE_COLS)?;
    sql.push_str(" ORDER BY created_at DESC, id DESC");
    push_limit(&mut sql, &mut p, a.limit, a.offset);
    let rows = ex.query(&ex.dialect().finish(sql), &p).await?;
    rows_json(&rows, EDGE_PROPS)
}

pub async fn count<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: FindArgs) -> Result<String> {
    let (sql, p) = find_sql(ex, ctx, &a, "COUNT(*)")?;
    let rows = ex.query(&ex.dialect().finish(sql), &p).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .to_string())
}

pub async fn update<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: UpdateArgs) -> Result<String> {
    let spec = ctx.graph.edge(&a.kind)?;
    super::recorded::touch_edge(ex, &a.kind, &a.id);
    let now = now_iso();
    let row = atomic!(ex, {
        let existing = match fetch_for_write(ex, ctx, &a.id).await? {
            Some(r) if opt_str(&r, DELETED_AT).is_none() => r,
            _ => return Err(not_found(&a.kind, &a.id)),
        };
        let actual = opt_str(&existing, KIND).unwrap_or_default();
        if actual != a.kind {
            return Err(identity_mismatch(&a.kind, &a.id, actual, "update"));
        }
        if let Some(expected) = &a.expected_updated_at {
            if opt_str(&existing, UPDATED_AT) != Some(expected.as_str()) {
                return Err(Error::new(
                    Code::StaleVersion,
                    "Edge changed while the update was being prepared",
                    json!({ "kind": a.kind, "id": a.id, "retry": true }),
                ));
            }
        }
        let valid_to = a.window().live_valid_to(
            opt_str(&existing, VALID_FROM),
            opt_str(&existing, VALID_TO),
            &now,
        )?;
        // Reopening an ended `oneActive` edge makes it join the active population again:
        // it must pass the same probe and claim the same fence as a new active edge.
        if spec.cardinality == Cardinality::OneActive
            && valid_to.is_none()
            && opt_str(&existing, VALID_TO).is_some()
        {
            let from = NodeRef {
                kind: opt_str(&existing, 2).unwrap_or_default().into(),
                id: opt_str(&existing, 3).unwrap_or_default().into(),
            };
            let to = NodeRef {
                kind: opt_str(&existing, 4).unwrap_or_default().into(),
                id: opt_str(&existing, 5).unwrap_or_default().into(),
            };
            check_cardinality(ex, ctx, &a.kind, spec.cardinality, &from, &to, false).await?;
            super::claims::claim_edges(
                ex,
                ctx,
                &a.kind,
                spec.cardinality,
                &[super::claims::EdgeClaim {
                    edge_id: &a.id,
                    from: &from,
                    to: &to,
                    born_ended: false,
                    index: None,
                }],
            )
            .await?;
        }
        let sql = ex.dialect().finish(format!(
            "UPDATE {} SET props = ?, updated_at = ?, valid_to = ? WHERE graph_id = ? AND id = ? AND deleted_at IS NULL RETURNING {EDGE_COLS}",
            ctx.tables.edges
        ));
        ex.query(
            &sql,
            &[
                Value::Json(Some(a.props.get().to_string())),
                Value::Ts(Some(now.clone())),
                Value::Ts(valid_to),
                Value::text(ctx.graph.id()),
                Value::text(&a.id),
            ],
        )
        .await?
        .pop()
        .ok_or_else(|| not_found(&a.kind, &a.id))
    })?;
    row_json(Some(&row), EDGE_PROPS)
}

pub async fn delete<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: IdArgs,
    hard: bool,
) -> Result<String> {
    // An empty kind (the backend port's `deleteEdge` without one): the edge of that id, whatever its kind.
    let any_kind = a.kind.is_empty();
    if !any_kind {
        ctx.graph.edge(&a.kind)?;
        super::recorded::touch_edge(ex, &a.kind, &a.id);
    }
    let now = now_iso();
    atomic!(ex, {
        let Some(existing) = fetch(ex, ctx, &a.id).await? else {
            return Ok(());
        };
        let actual = opt_str(&existing, KIND).unwrap_or_default();
        if any_kind {
            super::recorded::touch_edge(ex, actual, &a.id);
        } else if actual != a.kind {
            return Err(identity_mismatch(
                &a.kind,
                &a.id,
                actual,
                if hard { "hardDelete" } else { "delete" },
            ));
        }
        let key = [Value::text(ctx.graph.id()), Value::text(&a.id)];
        if hard {
            let sql = ex.dialect().finish(format!(
                "DELETE FROM {} WHERE graph_id = ? AND edge_id = ?",
                ctx.tables.edge_claims
            ));
            ex.execute(&sql, &key).await?;
            let sql = ex.dialect().finish(format!(
                "DELETE FROM {} WHERE graph_id = ? AND id = ?",
                ctx.tables.edges
            ));
            ex.execute(&sql, &key).await?;
        } else {
            let sql = ex.dialect().finish(format!(
                "UPDATE {} SET deleted_at = ? WHERE graph_id = ? AND id = ? AND deleted_at IS NULL",
                ctx.tables.edges
            ));
            ex.execute(
                &sql,
                &[Value::Ts(Some(now.clone())), key[0].clone(), key[1].clone()],
            )
            .await?;
        }
        Ok(())
    })?;
    Ok("null".into())
}

/// Removes the cardinality claims of every edge touching a node (before those edges are hard-deleted).
pub async fn drop_claims_touching<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    id: &str,
) -> Result<()> {
    let sql = ex.dialect().finish(format!(
        "DELETE FROM {} WHERE graph_id = ? AND edge_id IN (SELECT id FROM {} WHERE graph_id = ? AND ((from_kind = ? AND from_id = ?) OR (to_kind = ? AND to_id = ?)))",
        ctx.tables.edge_claims, ctx.tables.edges
    ));
    let g = ctx.graph.id();
    ex.execute(
        &sql,
        &[
            Value::text(g),
            Value::text(g),
            Value::text(kind),
            Value::text(id),
            Value::text(kind),
            Value::text(id),
        ],
    )
    .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BetweenArgs {
    pub kind: String,
    pub from: NodeRef,
    pub to: NodeRef,
    /// Include soft-deleted edges (for resurrection).
    #[serde(default)]
    pub include_deleted: bool,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
}

/// Every edge of a kind between two endpoints, oldest first (live ones, plus tombstones on request).
pub async fn find_between<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BetweenArgs,
) -> Result<String> {
    ctx.graph.edge(&a.kind)?;
    let now = now_iso();
    let (filter, tparams) = if a.include_deleted {
        ("1=1".to_string(), vec![])
    } else {
        a.temporal().filter("", &now)?
    };
    let sql = ex.dialect().finish(format!(
        "SELECT {EDGE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND from_kind = ? AND from_id = ? AND to_kind = ? AND to_id = ? AND {filter} \
         ORDER BY created_at, id",
        ctx.tables.edges
    ));
    let mut p = vec![
        Value::text(ctx.graph.id()),
        Value::text(&a.kind),
        Value::text(&a.from.kind),
        Value::text(&a.from.id),
        Value::text(&a.to.kind),
        Value::text(&a.to.id),
    ];
    p.extend(tparams);
    let rows = ex.query(&sql, &p).await?;
    rows_json(&rows, EDGE_PROPS)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResurrectArgs {
    pub kind: String,
    pub id: String,
    pub props: Box<RawValue>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub clear_valid_to: bool,
}

/// Brings a soft-deleted edge back with new props. Without a stated window its stored
/// `valid_from` / `valid_to` are retained; a stated `validFrom` asserts the complete window.
pub async fn resurrect<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: ResurrectArgs) -> Result<String> {
    let spec = ctx.graph.edge(&a.kind)?;
    super::recorded::touch_edge(ex, &a.kind, &a.id);
    let now = now_iso();
    let row = atomic!(ex, {
        let existing = fetch(ex, ctx, &a.id)
            .await?
            .ok_or_else(|| not_found(&a.kind, &a.id))?;
        let actual = opt_str(&existing, KIND).unwrap_or_default();
        if actual != a.kind {
            return Err(identity_mismatch(&a.kind, &a.id, actual, "update"));
        }
        let from = NodeRef {
            kind: opt_str(&existing, 2).unwrap_or_default().into(),
            id: opt_str(&existing, 3).unwrap_or_default().into(),
        };
        let to = NodeRef {
            kind: opt_str(&existing, 4).unwrap_or_default().into(),
            id: opt_str(&existing, 5).unwrap_or_default().into(),
        };
        let window = super::WindowUpdate {
            valid_from: a.valid_from.clone(),
            preserve_valid_from: false,
            valid_to: a.valid_to.clone(),
            clear_valid_to: a.clear_valid_to,
        };
        let (vf, vt) = window.revived_window(
            opt_str(&existing, VALID_FROM),
            opt_str(&existing, VALID_TO),
            &now,
        )?;
        if opt_str(&existing, DELETED_AT).is_some() {
            check_endpoints_live(ex, ctx, &a.kind, &from, &to).await?;
            check_cardinality(ex, ctx, &a.kind, spec.cardinality, &from, &to, vt.is_some()).await?;
            super::claims::claim_edges(
                ex,
                ctx,
                &a.kind,
                spec.cardinality,
                &[super::claims::EdgeClaim {
                    edge_id: &a.id,
                    from: &from,
                    to: &to,
                    born_ended: vt.is_some(),
                    index: None,
                }],
            )
            .await?;
        }
        let sql = ex.dialect().finish(format!(
            "UPDATE {} SET props = ?, updated_at = ?, deleted_at = NULL, valid_from = ?, valid_to = ? WHERE graph_id = ? AND id = ? RETURNING {EDGE_COLS}",
            ctx.tables.edges
        ));
        ex.query(
            &sql,
            &[
                Value::Json(Some(a.props.get().to_string())),
                Value::Ts(Some(now.clone())),
                Value::Ts(vf),
                Value::Ts(vt),
                Value::text(ctx.graph.id()),
                Value::text(&a.id),
            ],
        )
        .await?
        .pop()
        .ok_or_else(|| not_found(&a.kind, &a.id))
    })?;
    row_json(Some(&row), EDGE_PROPS)
}

/// The endpoint kinds are allowed by the edge's registration (subclasses included): `EndpointError`.
pub(crate) fn check_endpoint_kinds(
    ctx: &Ctx<'_>,
    kind: &str,
    spec: &crate::graph::EdgeSpec,
    from: &NodeRef,
    to: &NodeRef,
) -> Result<()> {
    for (end, r, allowed) in [("from", from, &spec.from), ("to", to, &spec.to)] {
        if !ctx.graph.endpoint_allowed(allowed, &r.kind) {
            let expected: Vec<String> = allowed
                .clone()
                .unwrap_or_else(|| ctx.graph.spec.nodes.keys().cloned().collect());
            return Err(Error::new(
                Code::Endpoint,
                format!(
                    "Invalid {end} endpoint for edge \"{kind}\": got \"{}\", expected {}",
                    r.kind,
                    expected.join(" | ")
                ),
                json!({ "edgeKind": kind, "endpoint": end, "actualKind": r.kind, "expectedKinds": expected }),
            ));
        }
    }
    Ok(())
}

/// Both endpoints exist and are not soft-deleted.
pub(crate) async fn check_endpoints_live<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    from: &NodeRef,
    to: &NodeRef,
) -> Result<()> {
    let sql = ex.dialect().finish(format!(
        "SELECT kind, id, deleted_at FROM {} WHERE graph_id = ? AND ((kind = ? AND id = ?) OR (kind = ? AND id = ?))",
        ctx.tables.nodes
    ));
    let found = ex
        .query(
            &sql,
            &[
                Value::text(ctx.graph.id()),
                Value::text(&from.kind),
                Value::text(&from.id),
                Value::text(&to.kind),
                Value::text(&to.id),
            ],
        )
        .await?;
    for (end, r) in [("from", from), ("to", to)] {
        let hit = found.iter().any(|row| {
            opt_str(row, 0) == Some(r.kind.as_str())
                && opt_str(row, 1) == Some(r.id.as_str())
                && opt_str(row, 2).is_none()
        });
        if !hit {
            return Err(Error::new(
                Code::EndpointNotFound,
                format!(
                    "Endpoint node not found for edge \"{kind}\": {}/{} ({end})",
                    r.kind, r.id
                ),
                json!({ "edgeKind": kind, "endpoint": end, "nodeKind": r.kind, "nodeId": r.id }),
            ));
        }
    }
    Ok(())
}
