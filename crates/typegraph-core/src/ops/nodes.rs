//! Node operations: create (with resurrection), reads, update, soft and hard delete.

use super::rows::{opt_str, row_json, rows_json, NODE_PROPS};
use super::{uniques, validity_window, Ctx};
use crate::atomic;
use crate::dialect::NODE_COLS;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::graph::OnDelete;
use crate::predicate::{Compiler, Pred};
use crate::util::{generate_id, now_iso};
use crate::value::{Row, Value};
use serde::Deserialize;
use serde_json::{json, value::RawValue};

// Node row layout (NODE_COLS): kind, id, props, version, valid_from, valid_to, created_at, updated_at, deleted_at
const VERSION: usize = 3;
const VALID_FROM: usize = 4;
const VALID_TO: usize = 5;
const DELETED_AT: usize = 8;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateArgs {
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
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
    pub r#where: Option<Pred>,
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
    /// The complete, validated props after the merge.
    pub props: Box<RawValue>,
    /// The version the merge was computed from; a different stored version means a lost race.
    #[serde(default)]
    pub expected_version: Option<i64>,
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

pub(crate) fn select_one<E: Executor>(ex: &E, ctx: &Ctx<'_>) -> String {
    select_one_sql(ex.dialect(), ctx)
}

pub(crate) fn select_one_sql(dialect: crate::Dialect, ctx: &Ctx<'_>) -> String {
    dialect.finish(format!(
        "SELECT {NODE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND id = ?",
        ctx.tables.nodes
    ))
}

pub(crate) async fn fetch<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    id: &str,
) -> Result<Option<Row>> {
    let sql = select_one(ex, ctx);
    let mut rows = ex
        .query(
            &sql,
            &[
                Value::text(ctx.graph.id()),
                Value::text(kind),
                Value::text(id),
            ],
        )
        .await?;
    Ok(rows.pop())
}

/// Refuses an id already live under a kind declared `disjointWith` this one.
pub(crate) async fn check_disjoint<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    id: &str,
) -> Result<()> {
    let others = ctx.graph.disjoint_with(kind);
    if others.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; others.len()].join(", ");
    let sql = ex.dialect().finish(format!(
        "SELECT kind FROM {} WHERE graph_id = ? AND id = ? AND kind IN ({marks}) AND deleted_at IS NULL LIMIT 1",
        ctx.tables.nodes
    ));
    let mut params = vec![Value::text(ctx.graph.id()), Value::text(id)];
    params.extend(others.iter().map(|k| Value::text(*k)));
    if let Some(row) = ex.query(&sql, &params).await?.pop() {
        let other = opt_str(&row, 0).unwrap_or_default().to_string();
        return Err(Error::new(
            Code::Disjoint,
            format!(
                "Disjoint constraint violation: cannot create {kind} with ID \"{id}\" - conflicts with existing {other}"
            ),
            json!({ "nodeId": id, "attemptedKind": kind, "conflictingKind": other }),
        ));
    }
    Ok(())
}

pub(crate) fn already_exists(entity: &str, kind: &str, id: &str) -> Error {
    let (label, article) = if entity == "node" {
        ("Node", "A node")
    } else {
        ("Edge", "An edge")
    };
    Error::validation(
        format!("{label} already exists: {kind}/{id}"),
        json!({
            "entityType": entity, "kind": kind, "operation": "create", "id": id,
            "issues": [{ "path": "id", "message": format!("{article} with this ID already exists"), "code": "ENTITY_ALREADY_EXISTS" }]
        }),
    )
}

pub(crate) fn not_found(kind: &str, id: &str) -> Error {
    Error::new(
        Code::NodeNotFound,
        format!("Node not found: {kind}/{id}"),
        json!({ "kind": kind, "id": id }),
    )
}

pub async fn create<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: CreateArgs) -> Result<String> {
    let spec = ctx.graph.node(&a.kind)?;
    let id = a.id.clone().unwrap_or_else(generate_id);
    super::recorded::touch_node(ex, &a.kind, &id);
    let now = now_iso();
    let (vf, vt) = validity_window(a.valid_from.as_deref(), a.valid_to.as_deref(), &now)?;
    let search = crate::search::has_fields(ctx, &a.kind);
    let disjoint = !ctx.graph.disjoint_with(&a.kind).is_empty();
    if spec.unique.is_empty() && !search && !disjoint {
        // Fast path: one statement, atomic on its own. A conflict (live id or tombstone)
        // falls through to the transactional path below, which decides between refusing and resurrecting.
        // A fenced store guards the statement on the active schema version; no row back
        // then also covers "schema moved on", which the fenced transactional path reports.
        let d = ex.dialect();
        let guard = crate::ops::evolve::fast_path_guard(
            d,
            ctx.tables,
            ctx.graph.id(),
            ctx.graph.schema_version(),
        );
        // SQLite stores the row exactly as bound (props text verbatim), so the row is rendered
        // from the values instead of read back (RETURNING costs the statement a result pass);
        // PostgreSQL normalizes props (jsonb) and returns the row.
        let sqlite = d == crate::Dialect::Sqlite;
        let sql = d.finish(format!(
            "INSERT INTO {} (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) \
             {} ON CONFLICT (graph_id, kind, id) DO NOTHING{}",
            ctx.tables.nodes,
            match &guard {
                None => "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)".to_string(),
                Some((g, _)) => format!("SELECT ?, ?, ?, ?, 1, ?, ?, ?, ? WHERE 1 = 1{g}"),
            },
            if sqlite {
                String::new()
            } else {
                format!(" RETURNING {NODE_COLS}")
            }
        ));
        let mut params = vec![
            Value::text(ctx.graph.id()),
            Value::text(&a.kind),
            Value::text(&id),
            Value::Json(Some(a.props.get().to_string())),
            Value::Ts(vf.clone()),
            Value::Ts(vt.clone()),
            Value::Ts(Some(now.clone())),
            Value::Ts(Some(now.clone())),
        ];
        if let Some((_, p)) = guard {
            params.extend(p);
        }
        if sqlite {
            let changed = match ex.sqlite_conn() {
                Some(db) => super::kept_writes::execute(
                    db,
                    ctx.tables,
                    super::kept_writes::Slot::NodeInsert,
                    &sql,
                    &params,
                )?,
                None => ex.execute(&sql, &params).await?,
            };
            if changed == 1 {
                // NODE_COLS from the bound values: kind, id, props, version 1, window, stamps, deleted_at NULL.
                params.truncate(8);
                let mut it = params.into_iter().skip(1);
                let mut row: Row = it.by_ref().take(3).collect();
                row.push(Value::Int(1));
                row.extend(it);
                row.push(Value::Null);
                return row_json(Some(&row), NODE_PROPS);
            }
        } else if let Some(row) = ex.query(&sql, &params).await?.pop() {
            return row_json(Some(&row), NODE_PROPS);
        }
    }
    let row = atomic!(ex, {
        let existing = fetch(ex, ctx, &a.kind, &id).await?;
        let props = a.props.get();
        check_disjoint(ex, ctx, &a.kind, &id).await?;
        let row = match existing {
            Some(r) if opt_str(&r, DELETED_AT).is_none() => {
                return Err(already_exists("node", &a.kind, &id))
            }
            Some(_) => {
                // A tombstone under this id comes back to life with a fresh window.
                let sql = ex.dialect().finish(format!(
                    "UPDATE {} SET props = ?, version = version + 1, valid_from = ?, valid_to = ?, updated_at = ?, deleted_at = NULL \
                     WHERE graph_id = ? AND kind = ? AND id = ? RETURNING {NODE_COLS}",
                    ctx.tables.nodes
                ));
                ex.query(
                    &sql,
                    &[
                        Value::Json(Some(props.to_string())),
                        Value::Ts(vf.clone()),
                        Value::Ts(vt.clone()),
                        Value::Ts(Some(now.clone())),
                        Value::text(ctx.graph.id()),
                        Value::text(&a.kind),
                        Value::text(&id),
                    ],
                )
                .await?
                .pop()
            }
            None => {
                let sql = ex.dialect().finish(format!(
                    "INSERT INTO {} (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING {NODE_COLS}",
                    ctx.tables.nodes
                ));
                ex.query(
                    &sql,
                    &[
                        Value::text(ctx.graph.id()),
                        Value::text(&a.kind),
                        Value::text(&id),
                        Value::Json(Some(props.to_string())),
                        Value::Ts(vf.clone()),
                        Value::Ts(vt.clone()),
                        Value::Ts(Some(now.clone())),
                        Value::Ts(Some(now.clone())),
                    ],
                )
                .await?
                .pop()
            }
        };
        uniques::claim(ex, ctx, &a.kind, &id, props).await?;
        if search {
            crate::search::sync_nodes(ex, ctx, &a.kind, &[(&id, props)], true).await?;
        }
        row.ok_or_else(|| Error::invariant("insert returned no row"))
    })?;
    row_json(Some(&row), NODE_PROPS)
}

pub async fn get<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: IdArgs) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    let now = now_iso();
    if let Some(db) = ex.sqlite_conn() {
        // SQLite: the row is checked and rendered while borrowed from the statement.
        let temporal = a.temporal();
        let mut out = None;
        // Kept under a key of this graph's table names (the edge read uses another).
        let key = (ctx.tables as *const crate::Tables as usize).wrapping_add(1);
        db.for_each_row_kept_texts(
            key,
            &ctx.tables.node_point_sqlite,
            &[ctx.graph.id(), &a.kind, &a.id],
            |n, r| {
                if temporal.admits(
                    super::rows::sqlite_opt_str(r, DELETED_AT)?,
                    super::rows::sqlite_opt_str(r, VALID_FROM)?,
                    super::rows::sqlite_opt_str(r, VALID_TO)?,
                    &now,
                )? {
                    let mut s = String::with_capacity(512);
                    super::rows::push_sqlite_row(&mut s, n, r, NODE_PROPS)?;
                    out = Some(s);
                }
                Ok(())
            },
        )?;
        return Ok(out.unwrap_or_else(|| "null".into()));
    }
    let row = fetch(ex, ctx, &a.kind, &a.id).await?;
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
    row_json(row.as_ref(), NODE_PROPS)
}

pub async fn get_many<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: IdsArgs) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    let now = now_iso();
    let (filter, mut params) = a.temporal().filter_keyed(ex.dialect(), &now)?;
    let sql = ex.dialect().finish(format!(
        "SELECT {NODE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND {} AND {filter}",
        ctx.tables.nodes,
        ex.dialect().in_list("id")
    ));
    let mut all = vec![
        Value::text(ctx.graph.id()),
        Value::text(&a.kind),
        Value::TextList(a.ids.clone()),
    ];
    all.append(&mut params);
    let rows = ex.query(&sql, &all).await?;
    let by_id: std::collections::HashMap<&str, &Row> = rows
        .iter()
        .filter_map(|r| opt_str(r, 1).map(|id| (id, r)))
        .collect();
    let mut out = String::from("[");
    for (i, id) in a.ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&row_json(by_id.get(id.as_str()).copied(), NODE_PROPS)?);
    }
    out.push(']');
    Ok(out)
}

pub async fn find<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: FindArgs) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    let now = now_iso();
    let (filter, tparams) = a.temporal().filter("", &now)?;
    let mut params = vec![Value::text(ctx.graph.id()), Value::text(&a.kind)];
    params.extend(tparams);
    let mut sql = format!(
        "SELECT {NODE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND {filter}",
        ctx.tables.nodes
    );
    if let Some(w) = &a.r#where {
        let mut c = Compiler::new(ex.dialect(), "");
        sql.push_str(" AND ");
        sql.push_str(&c.compile(w)?);
        params.extend(c.params);
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC");
    push_limit(&mut sql, &mut params, a.limit, a.offset);
    let rows = ex.query(&ex.dialect().finish(sql), &params).await?;
    rows_json(&rows, NODE_PROPS)
}

/// `LIMIT`/`OFFSET` as upstream's collections apply them: an offset without a limit is ignored.
pub(crate) fn push_limit(
    sql: &mut String,
    params: &mut Vec<Value>,
    limit: Option<i64>,
    offset: Option<i64>,
) {
    if let Some(l) = limit {
        sql.push_str(" LIMIT ?");
        params.push(Value::Int(l.max(0)));
        if let Some(o) = offset {
            sql.push_str(" OFFSET ?");
            params.push(Value::Int(o.max(0)));
        }
    }
}

pub async fn count<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: FindArgs) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    let now = now_iso();
    let (filter, tparams) = a.temporal().filter("", &now)?;
    let mut params = vec![Value::text(ctx.graph.id()), Value::text(&a.kind)];
    params.extend(tparams);
    let sql = ex.dialect().finish(format!(
        "SELECT COUNT(*) FROM {} WHERE graph_id = ? AND kind = ? AND {filter}",
        ctx.tables.nodes
    ));
    let rows = ex.query(&sql, &params).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .to_string())
}

pub async fn update<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: UpdateArgs) -> Result<String> {
    let row = update_over(ex, ctx, a, None).await?;
    row_json(Some(&row), NODE_PROPS)
}

/// [`update`] by a caller that read the row it merged over (`current`, NODE_COLS, the version
/// `a.expected_version` names): on SQLite the fast path's row is then rendered from `current`
/// and the bound values instead of read back by RETURNING (SQLite stores props as bound).
/// Answers the written row (NODE_COLS).
pub(crate) async fn update_over<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: UpdateArgs,
    current: Option<&Row>,
) -> Result<Row> {
    let spec = ctx.graph.node(&a.kind)?;
    super::recorded::touch_node(ex, &a.kind, &a.id);
    let now = now_iso();
    let search = crate::search::has_fields(ctx, &a.kind);
    if spec.unique.is_empty()
        && !super::window_stated(&a.valid_from, &a.valid_to, a.clear_valid_to)
        && !search
    {
        // Fast path: one conditional statement; no row back means missing, deleted or stale,
        // which the transactional path below tells apart.
        let d = ex.dialect();
        let guard = crate::ops::evolve::fast_path_guard(
            d,
            ctx.tables,
            ctx.graph.id(),
            ctx.graph.schema_version(),
        );
        // The version fence pins the row written over to `current`: everything but props,
        // version and updated_at is as read.
        let known = current.filter(|r| {
            d == crate::Dialect::Sqlite
                && a.expected_version.is_some()
                && r.get(VERSION).and_then(Value::as_i64) == a.expected_version
                && r.len() == 9
        });
        let sql = d.finish(format!(
            "UPDATE {} SET props = ?, updated_at = ?, version = version + 1 \
             WHERE graph_id = ? AND kind = ? AND id = ? AND deleted_at IS NULL{}{}{}",
            ctx.tables.nodes,
            if a.expected_version.is_some() {
                " AND version = ?"
            } else {
                ""
            },
            guard.as_ref().map(|g| g.0.as_str()).unwrap_or(""),
            if known.is_some() {
                // The columns rendered from `current` are fenced too (a row hard-deleted and
                // created again under the id restarts at version 1).
                " AND valid_from IS ? AND valid_to IS ? AND created_at = ?".to_string()
            } else {
                format!(" RETURNING {NODE_COLS}")
            }
        ));
        let mut params = vec![
            Value::Json(Some(a.props.get().to_string())),
            Value::Ts(Some(now.clone())),
            Value::text(ctx.graph.id()),
            Value::text(&a.kind),
            Value::text(&a.id),
        ];
        params.extend(a.expected_version.map(Value::Int));
        if let Some((_, p)) = guard {
            params.extend(p);
        }
        if let Some(cur) = known {
            params.extend([cur[4].clone(), cur[5].clone(), cur[6].clone()]);
            let changed = match ex.sqlite_conn() {
                Some(db) => super::kept_writes::execute(
                    db,
                    ctx.tables,
                    super::kept_writes::Slot::NodeUpdate,
                    &sql,
                    &params,
                )?,
                None => ex.execute(&sql, &params).await?,
            };
            if changed == 1 {
                let mut row: Row = cur
                    .iter()
                    .enumerate()
                    .map(|(k, v)| if k == 2 { Value::Null } else { v.clone() })
                    .collect();
                row[2] = params.swap_remove(0);
                row[VERSION] = Value::Int(a.expected_version.unwrap_or(0) + 1);
                row[7] = Value::Ts(Some(now));
                return Ok(row);
            }
        } else if let Some(row) = ex.query(&sql, &params).await?.pop() {
            return Ok(row);
        }
    }
    let row = atomic!(ex, {
        let existing = fetch(ex, ctx, &a.kind, &a.id).await?;
        let existing = match existing {
            Some(r) if opt_str(&r, DELETED_AT).is_none() => r,
            _ => return Err(not_found(&a.kind, &a.id)),
        };
        if let Some(v) = a.expected_version {
            if existing.get(VERSION).and_then(Value::as_i64) != Some(v) {
                return Err(Error::new(
                    Code::StaleVersion,
                    "Node changed while the update was being prepared",
                    json!({ "kind": a.kind, "id": a.id, "retry": true }),
                ));
            }
        }
        let valid_to = a.window().live_valid_to(
            opt_str(&existing, VALID_FROM),
            opt_str(&existing, VALID_TO),
            &now,
        )?;
        // The read above takes no lock: on PostgreSQL another transaction may commit a new version
        // of the row while this statement waits for its lock, so the write is fenced on the version
        // the merge was made over (PostgreSQL re-checks the condition on the row it then locks).
        let sql = ex.dialect().finish(format!(
            "UPDATE {} SET props = ?, updated_at = ?, version = version + 1, valid_to = ? \
             WHERE graph_id = ? AND kind = ? AND id = ? AND deleted_at IS NULL{} RETURNING {NODE_COLS}",
            ctx.tables.nodes,
            if a.expected_version.is_some() { " AND version = ?" } else { "" }
        ));
        let mut params = vec![
            Value::Json(Some(a.props.get().to_string())),
            Value::Ts(Some(now.clone())),
            Value::Ts(valid_to),
            Value::text(ctx.graph.id()),
            Value::text(&a.kind),
            Value::text(&a.id),
        ];
        params.extend(a.expected_version.map(Value::Int));
        let row = match ex.query(&sql, &params).await?.pop() {
            Some(row) => row,
            None if a.expected_version.is_some() => {
                return Err(Error::new(
                    Code::StaleVersion,
                    "Node changed while the update was being prepared",
                    json!({ "kind": a.kind, "id": a.id, "retry": true }),
                ))
            }
            None => return Err(not_found(&a.kind, &a.id)),
        };
        uniques::claim(ex, ctx, &a.kind, &a.id, a.props.get()).await?;
        if search {
            crate::search::sync_nodes(ex, ctx, &a.kind, &[(&a.id, a.props.get())], false).await?;
        }
        Ok(row)
    })?;
    Ok(row)
}

/// Soft (`hard = false`) or hard delete, applying the kind's `onDelete` to connected edges.
pub async fn delete<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: IdArgs,
    hard: bool,
) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    super::recorded::touch_node(ex, &a.kind, &a.id);
    super::recorded::touch_node_edges(ex, &a.kind, &a.id);
    let now = now_iso();
    let g = ctx.graph.id();
    atomic!(ex, {
        let existing = fetch(ex, ctx, &a.kind, &a.id).await?;
        let Some(existing) = existing else {
            return Ok(());
        };
        let live = opt_str(&existing, DELETED_AT).is_none();
        if !live && !hard {
            return Ok(());
        }
        let edges = &ctx.tables.edges;
        let endpoint = "((from_kind = ? AND from_id = ?) OR (to_kind = ? AND to_id = ?))";
        let ep = |v: &mut Vec<Value>| {
            v.extend([
                Value::text(&a.kind),
                Value::text(&a.id),
                Value::text(&a.kind),
                Value::text(&a.id),
            ]);
        };
        match ctx.graph.on_delete(&a.kind) {
            OnDelete::Restrict => {
                let sql = ex.dialect().finish(format!(
                    "SELECT kind, COUNT(*) FROM {edges} WHERE graph_id = ? AND deleted_at IS NULL AND {endpoint} GROUP BY kind ORDER BY kind"
                ));
                let mut p = vec![Value::text(g)];
                ep(&mut p);
                let rows = ex.query(&sql, &p).await?;
                if !rows.is_empty() {
                    let total: i64 = rows
                        .iter()
                        .filter_map(|r| r.get(1).and_then(Value::as_i64))
                        .sum();
                    let kinds: Vec<&str> = rows.iter().filter_map(|r| opt_str(r, 0)).collect();
                    return Err(Error::new(
                        Code::RestrictedDelete,
                        format!(
                            "Cannot delete {}/{}: it has {total} connected edge(s) ({})",
                            a.kind,
                            a.id,
                            kinds.join(", ")
                        ),
                        json!({ "nodeKind": a.kind, "nodeId": a.id, "edgeCount": total, "edgeKinds": kinds }),
                    ));
                }
                if hard {
                    // Tombstoned edges still reference the node; they go with it.
                    super::edges::drop_claims_touching(ex, ctx, &a.kind, &a.id).await?;
                    let sql = ex.dialect().finish(format!(
                        "DELETE FROM {edges} WHERE graph_id = ? AND {endpoint}"
                    ));
                    let mut p = vec![Value::text(g)];
                    ep(&mut p);
                    ex.execute(&sql, &p).await?;
                }
            }
            OnDelete::Cascade | OnDelete::Disconnect => {
                let mut p = vec![];
                let sql = if hard {
                    super::edges::drop_claims_touching(ex, ctx, &a.kind, &a.id).await?;
                    p.push(Value::text(g));
                    format!("DELETE FROM {edges} WHERE graph_id = ? AND {endpoint}")
                } else {
                    p.push(Value::Ts(Some(now.clone())));
                    p.push(Value::text(g));
                    format!("UPDATE {edges} SET deleted_at = ? WHERE graph_id = ? AND deleted_at IS NULL AND {endpoint}")
                };
                ep(&mut p);
                ex.execute(&ex.dialect().finish(sql), &p).await?;
            }
        }
        let key = [Value::text(g), Value::text(&a.kind), Value::text(&a.id)];
        if hard || live {
            crate::search::remove_nodes(ex, ctx, &a.kind, std::slice::from_ref(&a.id)).await?;
        }
        if hard {
            let sql = ex.dialect().finish(format!(
                "DELETE FROM {} WHERE graph_id = ? AND kind = ? AND id = ?",
                ctx.tables.nodes
            ));
            ex.execute(&sql, &key).await?;
            let sql = ex.dialect().finish(format!(
                "DELETE FROM {} WHERE graph_id = ? AND concrete_kind = ? AND node_id = ?",
                ctx.tables.uniques
            ));
            ex.execute(&sql, &key).await?;
        } else {
            // A soft delete stamps deleted_at only: version and updated_at stay as they were.
            let sql = ex.dialect().finish(format!(
                "UPDATE {} SET deleted_at = ? WHERE graph_id = ? AND kind = ? AND id = ? AND deleted_at IS NULL",
                ctx.tables.nodes
            ));
            let mut p = vec![Value::Ts(Some(now.clone()))];
            p.extend(key.iter().cloned());
            ex.execute(&sql, &p).await?;
            uniques::release(ex, ctx, &a.kind, &a.id, &now).await?;
        }
        Ok(())
    })?;
    Ok("null".into())
}
