//! Bulk paths: one crossing and one transaction per call, endpoint and id
//! checks in set-based statements, rows written with cached statements
//! (SQLite) or UNNEST arrays (PostgreSQL), chunked under the bind limits.

use super::edges::NodeRef;
use super::nodes::already_exists;
use super::rows::{opt_str, rows_json, NODE_PROPS};
use super::{validity_window, Ctx};
use crate::atomic;
use crate::dialect::{Dialect, NODE_COLS};
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::graph::Cardinality;
use crate::util::{now_iso, IdBatch};
use crate::value::{Row, Value};
use serde::Deserialize;
use serde_json::{json, value::RawValue};
use std::collections::{HashMap, HashSet};

/// Rows per statement on PostgreSQL (each column is one array parameter).
const PG_CHUNK: usize = 5000;
/// Ids per lookup statement.
const LOOKUP_CHUNK: usize = 5000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeItem {
    #[serde(default)]
    pub id: Option<String>,
    pub props: Box<RawValue>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// `bulkUpsertById`: the state the caller merged over — `Some(version)` of the stored row
    /// (live or tombstoned), `None` when it found none. Absent (`fenced` false): no check.
    #[serde(default)]
    pub expected_version: Option<i64>,
    #[serde(default)]
    pub fenced: bool,
    /// `bulkUpsertById`: reopen the window of a live row (or revive a tombstone open).
    #[serde(default)]
    pub clear_valid_to: bool,
    /// `bulkUpsertById`: a stated `validFrom` applies to creates and resurrections only.
    #[serde(default)]
    pub preserve_valid_from: bool,
}

impl NodeItem {
    fn window(&self) -> super::WindowUpdate {
        super::WindowUpdate {
            valid_from: self.valid_from.clone(),
            preserve_valid_from: self.preserve_valid_from,
            valid_to: self.valid_to.clone(),
            clear_valid_to: self.clear_valid_to,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", try_from = "BulkNodesWire")]
pub struct BulkNodesArgs {
    pub kind: String,
    pub items: Vec<NodeItem>,
    #[serde(default)]
    pub returning: bool,
}

/// A node batch as it crosses the boundary: `items` (one object per item), or the same fields
/// as columns (`ids`, `props`, optional `validFrom`/`validTo`), which serialise and parse in a
/// fraction of the time for large batches.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkNodesWire {
    kind: String,
    #[serde(default)]
    items: Option<Vec<NodeItem>>,
    #[serde(default)]
    ids: Option<Vec<Option<String>>>,
    #[serde(default)]
    props: Option<Vec<Box<RawValue>>>,
    #[serde(default)]
    valid_from: Option<Vec<Option<String>>>,
    #[serde(default)]
    valid_to: Option<Vec<Option<String>>>,
    #[serde(default)]
    returning: bool,
}

/// Length check of one optional column against the batch.
fn column<T>(
    name: &str,
    col: Option<Vec<T>>,
    n: usize,
) -> std::result::Result<Vec<Option<T>>, String> {
    match col {
        None => Ok((0..n).map(|_| None).collect()),
        Some(v) if v.len() == n => Ok(v.into_iter().map(Some).collect()),
        Some(v) => Err(format!(
            "column {name} has {} entries for {n} items",
            v.len()
        )),
    }
}

impl TryFrom<BulkNodesWire> for BulkNodesArgs {
    type Error = String;
    fn try_from(w: BulkNodesWire) -> std::result::Result<Self, String> {
        let items = match (w.items, w.props) {
            (Some(items), None) => items,
            (None, Some(props)) => {
                let n = props.len();
                let ids = column("ids", w.ids, n)?;
                let vf = column("validFrom", w.valid_from, n)?;
                let vt = column("validTo", w.valid_to, n)?;
                props
                    .into_iter()
                    .zip(ids)
                    .zip(vf.into_iter().zip(vt))
                    .map(|((props, id), (vf, vt))| NodeItem {
                        id: id.flatten(),
                        props,
                        valid_from: vf.flatten(),
                        valid_to: vt.flatten(),
                        expected_version: None,
                        fenced: false,
                        clear_valid_to: false,
                        preserve_valid_from: false,
                    })
                    .collect()
            }
            _ => return Err("a node batch needs either items or props columns".into()),
        };
        Ok(BulkNodesArgs {
            kind: w.kind,
            items,
            returning: w.returning,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeItem {
    #[serde(default)]
    pub id: Option<String>,
    pub from: NodeRef,
    pub to: NodeRef,
    pub props: Box<RawValue>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub clear_valid_to: bool,
    #[serde(default)]
    pub preserve_valid_from: bool,
}

impl EdgeItem {
    fn window(&self) -> super::WindowUpdate {
        super::WindowUpdate {
            valid_from: self.valid_from.clone(),
            preserve_valid_from: self.preserve_valid_from,
            valid_to: self.valid_to.clone(),
            clear_valid_to: self.clear_valid_to,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", try_from = "BulkEdgesWire")]
pub struct BulkEdgesArgs {
    pub kind: String,
    pub items: Vec<EdgeItem>,
    #[serde(default)]
    pub returning: bool,
}

/// An edge batch as it crosses the boundary: `items`, or columns (`ids`, `fromKind`, `fromId`,
/// `toKind`, `toId`, `props`, optional `validFrom`/`validTo`) — see [`BulkNodesWire`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkEdgesWire {
    kind: String,
    #[serde(default)]
    items: Option<Vec<EdgeItem>>,
    #[serde(default)]
    ids: Option<Vec<Option<String>>>,
    #[serde(default)]
    from_kind: Option<Vec<String>>,
    #[serde(default)]
    from_id: Option<Vec<String>>,
    #[serde(default)]
    to_kind: Option<Vec<String>>,
    #[serde(default)]
    to_id: Option<Vec<String>>,
    #[serde(default)]
    props: Option<Vec<Box<RawValue>>>,
    #[serde(default)]
    valid_from: Option<Vec<Option<String>>>,
    #[serde(default)]
    valid_to: Option<Vec<Option<String>>>,
    #[serde(default)]
    returning: bool,
}

impl TryFrom<BulkEdgesWire> for BulkEdgesArgs {
    type Error = String;
    fn try_from(w: BulkEdgesWire) -> std::result::Result<Self, String> {
        let items = match (w.items, w.props) {
            (Some(items), None) => items,
            (None, Some(props)) => {
                let n = props.len();
                let need = |name: &str, col: Option<Vec<String>>| match col {
                    Some(v) if v.len() == n => Ok(v),
                    _ => Err(format!(
                        "column {name} is missing or does not have {n} entries"
                    )),
                };
                let (fk, fi) = (need("fromKind", w.from_kind)?, need("fromId", w.from_id)?);
                let (tk, ti) = (need("toKind", w.to_kind)?, need("toId", w.to_id)?);
                let ids = column("ids", w.ids, n)?;
                let vf = column("validFrom", w.valid_from, n)?;
                let vt = column("validTo", w.valid_to, n)?;
                let mut items = Vec::with_capacity(n);
                let mut cols = (
                    fk.into_iter(),
                    fi.into_iter(),
                    tk.into_iter(),
                    ti.into_iter(),
                );
                for (((props, id), vf), vt) in props.into_iter().zip(ids).zip(vf).zip(vt) {
                    let (Some(fk), Some(fi), Some(tk), Some(ti)) =
                        (cols.0.next(), cols.1.next(), cols.2.next(), cols.3.next())
                    else {
                        unreachable!("column lengths were checked")
                    };
                    items.push(EdgeItem {
                        id: id.flatten(),
                        from: NodeRef { kind: fk, id: fi },
                        to: NodeRef { kind: tk, id: ti },
                        props,
                        valid_from: vf.flatten(),
                        valid_to: vt.flatten(),
                        clear_valid_to: false,
                        preserve_valid_from: false,
                    });
                }
                items
            }
            _ => return Err("an edge batch needs either items or props columns".into()),
        };
        Ok(BulkEdgesArgs {
            kind: w.kind,
            items,
            returning: w.returning,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkIdsArgs {
    pub kind: String,
    pub ids: Vec<String>,
}

/// One SQLite result row as the executor reads it (text, numbers, NULL).
fn read_row(r: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Row> {
    use rusqlite::types::ValueRef;
    let mut row = Vec::with_capacity(n);
    for i in 0..n {
        row.push(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            ValueRef::Real(v) => Value::Real(v),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                Value::Text(String::from_utf8_lossy(t).into_owned())
            }
        });
    }
    Ok(row)
}

fn update_err(e: rusqlite::Error) -> Error {
    Error::database("update", e.to_string())
}

fn insert_err(e: rusqlite::Error) -> Error {
    Error::database("insert", e.to_string())
}

/// A row refused because its primary key is taken (the statement wrote nothing).
fn is_primary_key_conflict(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

fn with_index(mut e: Error, index: usize) -> Error {
    if let serde_json::Value::Object(m) = &mut e.details {
        m.insert("index".into(), json!(index));
    }
    e.message = format!("{} (item {index})", e.message);
    e
}

/// The ids of a `bulkUpsertById` batch, every item must name one.
fn required_ids<'a>(ids: impl Iterator<Item = &'a Option<String>>) -> Result<Vec<String>> {
    ids.enumerate()
        .map(|(i, id)| {
            id.clone().ok_or_else(|| {
                with_index(
                    Error::validation("bulkUpsertById items need an id", json!({})),
                    i,
                )
            })
        })
        .collect()
}

struct NodeInsert {
    id: String,
    props: String,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

/// Inserts `rows`; with `returning`, hands back the written rows (NODE_COLS) instead of
/// leaving the caller to read them again.
async fn insert_nodes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    rows: &[NodeInsert],
    now: &str,
    returning: bool,
    item_at: impl Fn(usize) -> usize,
) -> Result<Vec<Row>> {
    let g = ctx.graph.id();
    let mut out = Vec::new();
    let tail = if returning {
        format!(" RETURNING {NODE_COLS}")
    } else {
        String::new()
    };
    match ex.dialect() {
        Dialect::Sqlite => {
            // One cached single-row statement, parameters bound in place (no per-row copies).
            // A multi-row VALUES statement inside a transaction keeps a statement journal
            // (it may fail half-way), which costs more than it saves in statement steps.
            let sql = format!(
                "INSERT INTO {} (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?7){tail}",
                ctx.tables.nodes
            );
            let db = ex
                .sqlite_conn()
                .ok_or_else(|| Error::invariant("sqlite executor"))?;
            let mut st = db.conn.prepare_cached(&sql).map_err(insert_err)?;
            let n = st.column_count();
            for (j, r) in rows.iter().enumerate() {
                let params =
                    rusqlite::params![g, kind, r.id, r.props, r.valid_from, r.valid_to, now];
                let failed = |e: rusqlite::Error| {
                    if is_primary_key_conflict(&e) {
                        with_index(already_exists("node", kind, &r.id), item_at(j))
                    } else {
                        insert_err(e)
                    }
                };
                if returning {
                    out.push(
                        st.query_row(params, |row| read_row(row, n))
                            .map_err(failed)?,
                    );
                } else {
                    st.execute(params).map_err(failed)?;
                }
            }
        }
        Dialect::Postgres if !returning && rows.len() >= super::copy::MIN_ROWS => {
            // Ids were checked before (a race that takes one fails the COPY with the
            // primary key's violation, as it fails the insert below).
            let sql = format!(
                "COPY {} (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) FROM STDIN",
                ctx.tables.nodes
            );
            let mut buf = String::new();
            for chunk in rows.chunks(PG_CHUNK) {
                buf.clear();
                for r in chunk {
                    for v in [g, kind, r.id.as_str(), r.props.as_str()] {
                        super::copy::field(&mut buf, v);
                        buf.push('\t');
                    }
                    buf.push_str("1\t");
                    super::copy::opt_field(&mut buf, r.valid_from.as_deref());
                    buf.push('\t');
                    super::copy::opt_field(&mut buf, r.valid_to.as_deref());
                    buf.push('\t');
                    buf.push_str(now);
                    buf.push('\t');
                    buf.push_str(now);
                    buf.push('\n');
                }
                ex.copy_in(&sql, buf.as_bytes()).await?;
            }
        }
        Dialect::Postgres => {
            let sql = format!(
                "INSERT INTO {} (graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at) \
                 SELECT $1, $2, t.id, t.props::jsonb, 1, t.vf::timestamptz, t.vt::timestamptz, $6::timestamptz, $6::timestamptz \
                 FROM UNNEST($3::text[], $4::text[], $5::text[], $7::text[]) AS t(id, props, vf, vt){tail}",
                ctx.tables.nodes
            );
            for chunk in rows.chunks(PG_CHUNK) {
                let params = [
                    Value::text(g),
                    Value::text(kind),
                    Value::TextList(chunk.iter().map(|r| r.id.clone()).collect()),
                    Value::TextList(chunk.iter().map(|r| r.props.clone()).collect()),
                    Value::NullableTextList(chunk.iter().map(|r| r.valid_from.clone()).collect()),
                    Value::Text(now.to_string()),
                    Value::NullableTextList(chunk.iter().map(|r| r.valid_to.clone()).collect()),
                ];
                if returning {
                    out.extend(ex.query(&sql, &params).await?);
                } else {
                    ex.execute(&sql, &params).await?;
                }
            }
        }
    }
    Ok(out)
}

/// `bulkCreate` / `bulkInsert`: all rows or none; any id already present fails the call.
pub async fn create_nodes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BulkNodesArgs,
) -> Result<String> {
    let spec = ctx.graph.node(&a.kind)?;
    let now = now_iso();
    let mut rows = Vec::with_capacity(a.items.len());
    let mut seen = HashSet::with_capacity(a.items.len());
    let mut ids = IdBatch::new();
    for (i, it) in a.items.iter().enumerate() {
        let (vf, vt) = validity_window(it.valid_from.as_deref(), it.valid_to.as_deref(), &now)
            .map_err(|e| with_index(e, i))?;
        let id = match &it.id {
            Some(id) => id.clone(),
            None => ids.next_id(),
        };
        if !seen.insert(id.clone()) {
            return Err(with_index(already_exists("node", &a.kind, &id), i));
        }
        rows.push(NodeInsert {
            id,
            props: it.props.get().to_string(),
            valid_from: vf,
            valid_to: vt,
        });
    }
    super::recorded::touch_nodes(ex, &a.kind, rows.iter().map(|r| r.id.as_str()));
    let explicit: Vec<String> = a
        .items
        .iter()
        .zip(&rows)
        .filter(|(it, _)| it.id.is_some())
        .map(|(_, r)| r.id.clone())
        .collect();
    // A create on a tombstoned id brings the node back with a fresh window (as a single
    // create does). The SQLite insert that reports taken ids itself is retried with the
    // lookup when it reports one, so tombstones are found without a read up front.
    let mut force_lookup = false;
    let written = loop {
        let attempt = atomic!(ex, {
            // Explicit ids already stored (live or not): looked up first where other checks come
            // before the insert (unique claims, disjointness) or on PostgreSQL; otherwise the SQLite
            // insert reports them itself (a primary-key conflict, mapped to the item).
            let precheck = force_lookup
                || ex.dialect() == Dialect::Postgres
                || !spec.unique.is_empty()
                || !ctx.graph.disjoint_with(&a.kind).is_empty();
            if !explicit.is_empty() && precheck {
                let existing = node_versions(ex, ctx, &a.kind, &explicit).await?;
                if let Some((i, r)) = rows
                    .iter()
                    .enumerate()
                    .find(|(_, r)| existing.get(&r.id).is_some_and(|s| !s.0))
                {
                    return Err(with_index(already_exists("node", &a.kind, &r.id), i));
                }
                if existing.values().any(|s| s.0) {
                    // Tombstones among the ids: the batch is written as an upsert whose only
                    // stored rows are those tombstones (resurrected; every other item created).
                    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                    return upsert_known(
                        ex,
                        ctx,
                        &a.kind,
                        &a.items,
                        &ids,
                        &existing,
                        None,
                        &now,
                        a.returning,
                    )
                    .await;
                }
            }
            if !explicit.is_empty() {
                if !ctx.graph.disjoint_with(&a.kind).is_empty() {
                    for (i, r) in rows.iter().enumerate() {
                        super::nodes::check_disjoint(ex, ctx, &a.kind, &r.id)
                            .await
                            .map_err(|e| with_index(e, i))?;
                    }
                }
            }
            if !spec.unique.is_empty() {
                let claimants: Vec<_> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| super::uniques_batch::Claimant {
                        index: i,
                        id: &r.id,
                        props: &r.props,
                        held: None,
                    })
                    .collect();
                super::uniques_batch::claim_all(ex, ctx, &a.kind, &claimants, &now).await?;
            }
            let written = insert_nodes(ex, ctx, &a.kind, &rows, &now, a.returning, |i| i).await?;
            let synced: Vec<(&str, &str)> = rows
                .iter()
                .map(|r| (r.id.as_str(), r.props.as_str()))
                .collect();
            crate::search::sync_nodes(ex, ctx, &a.kind, &synced, true).await?;
            Ok::<Vec<Row>, Error>(written)
        });
        match attempt {
            Err(e) if !force_lookup && !explicit.is_empty() && is_taken_id(&e) => {
                force_lookup = true
            }
            other => break other?,
        }
    };
    if !a.returning {
        return Ok("null".into());
    }
    ordered_json(written, rows.iter().map(|r| r.id.as_str()))
}

/// An "already exists" refusal of a create (the id is taken, live or tombstoned).
fn is_taken_id(e: &Error) -> bool {
    e.details.get("operation").and_then(|v| v.as_str()) == Some("create")
        && e.details.pointer("/issues/0/code").and_then(|v| v.as_str())
            == Some("ENTITY_ALREADY_EXISTS")
}

/// Rows written with RETURNING, put back in the caller's order (statement order is not promised).
pub(crate) fn ordered_json<'a>(
    written: Vec<Row>,
    ids: impl Iterator<Item = &'a str>,
) -> Result<String> {
    let mut by_id: HashMap<String, Row> = HashMap::with_capacity(written.len());
    for r in written {
        if let Some(id) = opt_str(&r, 1) {
            by_id.insert(id.to_string(), r);
        }
    }
    let ordered: Vec<Row> = ids.filter_map(|id| by_id.remove(id)).collect();
    rows_json(&ordered, NODE_PROPS)
}

/// `bulkUpsertById`: props arrive merged and validated; creates run before updates,
/// tombstones are resurrected, repeated ids were folded by the caller.
pub async fn upsert_nodes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BulkNodesArgs,
) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    let now = now_iso();
    let ids = required_ids(a.items.iter().map(|it| &it.id))?;
    super::recorded::touch_nodes(ex, &a.kind, ids.iter().map(|s| s.as_str()));
    let returning = a.returning;
    let written = atomic!(ex, {
        // One light read classifies the batch (id, tombstone, version): no props.
        let existing = node_versions(ex, ctx, &a.kind, &ids).await?;
        for (i, it) in a.items.iter().enumerate() {
            let state = existing.get(&ids[i]).copied();
            if it.fenced && state.map(|s| s.1) != it.expected_version {
                // The caller merged over another state of this row: it merges again.
                return Err(with_index(
                    Error::new(
                        Code::StaleVersion,
                        format!(
                            "Node {}/{} changed while the upsert was being prepared",
                            a.kind, ids[i]
                        ),
                        json!({ "kind": a.kind, "id": ids[i], "retry": true }),
                    ),
                    i,
                ));
            }
        }
        upsert_known(
            ex, ctx, &a.kind, &a.items, &ids, &existing, None, &now, returning,
        )
        .await
    })?;
    if !returning {
        return Ok("null".into());
    }
    ordered_json(written, ids.iter().map(String::as_str))
}

/// The writes of a `bulkUpsertById` batch whose stored state (`existing`: id → (tombstoned?,
/// version)) was read inside the caller's transaction: creates, set-based updates of live
/// rows, window moves and resurrections one by one, unique claims and search mirrors.
/// Errors name the item's index in `items`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn upsert_known<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    items: &[NodeItem],
    ids: &[String],
    existing: &HashMap<String, (bool, i64)>,
    stored: Option<&HashMap<String, Row>>,
    now: &str,
    returning: bool,
) -> Result<Vec<Row>> {
    let spec = ctx.graph.node(kind)?;
    let now = now.to_string();
    let a = KindItems { kind, items };
    {
        let mut creates = Vec::new();
        let mut live = Vec::new();
        let mut windowed = Vec::new();
        let mut tombs = Vec::new();
        for (i, it) in a.items.iter().enumerate() {
            let state = existing.get(&ids[i]).copied();
            match state {
                None => {
                    let (vf, vt) =
                        validity_window(it.valid_from.as_deref(), it.valid_to.as_deref(), &now)
                            .map_err(|e| with_index(e, i))?;
                    creates.push((
                        i,
                        NodeInsert {
                            id: ids[i].clone(),
                            props: it.props.get().to_string(),
                            valid_from: vf,
                            valid_to: vt,
                        },
                    ));
                }
                Some((true, _)) => tombs.push(i),
                // A live row whose window moves is updated on its own (rare), after the set.
                Some((false, _))
                    if super::window_stated(&it.valid_from, &it.valid_to, it.clear_valid_to) =>
                {
                    windowed.push(i)
                }
                Some((false, _)) => live.push(i),
            }
        }
        live.sort_unstable_by(|x, y| ids[*x].cmp(&ids[*y]));
        if !ctx.graph.disjoint_with(a.kind).is_empty() {
            // New ids and resurrected tombstones both bring the id to life under this kind.
            let arriving = creates
                .iter()
                .map(|(i, r)| (*i, r.id.as_str()))
                .chain(tombs.iter().map(|&i| (i, ids[i].as_str())));
            for (i, id) in arriving {
                super::nodes::check_disjoint(ex, ctx, a.kind, id)
                    .await
                    .map_err(|e| with_index(e, i))?;
            }
        }
        if !spec.unique.is_empty() {
            let claimants: Vec<_> = creates
                .iter()
                .map(|(i, r)| super::uniques_batch::Claimant {
                    index: *i,
                    id: &r.id,
                    props: &r.props,
                    held: None,
                })
                .collect();
            super::uniques_batch::claim_all(ex, ctx, a.kind, &claimants, &now).await?;
        }
        let created_at: Vec<usize> = creates.iter().map(|(i, _)| *i).collect();
        let inserts: Vec<NodeInsert> = creates.into_iter().map(|(_, r)| r).collect();
        let mut written = insert_nodes(ex, ctx, a.kind, &inserts, &now, returning, |j| {
            created_at[j]
        })
        .await?;
        let synced: Vec<(&str, &str)> = inserts
            .iter()
            .map(|r| (r.id.as_str(), r.props.as_str()))
            .collect();
        crate::search::sync_nodes(ex, ctx, a.kind, &synced, true).await?;
        // Live rows: set-based updates, a chunk per statement.
        let live_rows: Vec<(&str, &str)> = live
            .iter()
            .map(|&i| (ids[i].as_str(), a.items[i].props.get()))
            .collect();
        let n =
            update_live_nodes(ex, ctx, a.kind, &live_rows, &now, returning, &mut written).await?;
        if n != live_rows.len() as u64 {
            return Err(Error::new(
                Code::StaleVersion,
                format!("Nodes of {} changed while the upsert was running", a.kind),
                json!({ "kind": a.kind, "retry": true }),
            ));
        }
        let windowed_sql = ex.dialect().finish(format!(
            "UPDATE {} SET props = ?, updated_at = ?, version = version + 1, valid_to = ? \
             WHERE graph_id = ? AND kind = ? AND id = ? AND deleted_at IS NULL RETURNING {NODE_COLS}",
            ctx.tables.nodes
        ));
        for &i in &windowed {
            let it = &a.items[i];
            let stored = super::nodes::fetch(ex, ctx, a.kind, &ids[i])
                .await?
                .ok_or_else(|| with_index(super::nodes::not_found(a.kind, &ids[i]), i))?;
            let vt = it
                .window()
                .live_valid_to(opt_str(&stored, 4), opt_str(&stored, 5), &now)
                .map_err(|e| with_index(e, i))?;
            let got = ex
                .query(
                    &windowed_sql,
                    &[
                        Value::Json(Some(it.props.get().to_string())),
                        Value::Ts(Some(now.clone())),
                        Value::Ts(vt),
                        Value::text(ctx.graph.id()),
                        Value::text(a.kind),
                        Value::text(&ids[i]),
                    ],
                )
                .await?;
            if got.is_empty() {
                return Err(Error::new(
                    Code::StaleVersion,
                    format!("Nodes of {} changed while the upsert was running", a.kind),
                    json!({ "kind": a.kind, "retry": true }),
                ));
            }
            written.extend(got);
        }
        // Tombstones (rare): resurrected one by one with a fresh validity window.
        let resurrect_sql = ex.dialect().finish(format!(
            "UPDATE {} SET props = ?, updated_at = ?, version = version + 1, deleted_at = NULL, valid_from = ?, valid_to = ? WHERE graph_id = ? AND kind = ? AND id = ? RETURNING {NODE_COLS}",
            ctx.tables.nodes
        ));
        for &i in &tombs {
            let it = &a.items[i];
            let (vf, vt) = validity_window(it.valid_from.as_deref(), it.valid_to.as_deref(), &now)
                .map_err(|e| with_index(e, i))?;
            written.extend(
                ex.query(
                    &resurrect_sql,
                    &[
                        Value::Json(Some(it.props.get().to_string())),
                        Value::Ts(Some(now.clone())),
                        Value::Ts(vf),
                        Value::Ts(vt),
                        Value::text(ctx.graph.id()),
                        Value::text(a.kind),
                        Value::text(&ids[i]),
                    ],
                )
                .await?,
            );
        }
        if !spec.unique.is_empty() {
            // A live node's stored props (when the caller read them): keys it keeps are not
            // claimed again (it holds them).
            let held = |i: usize| match stored?.get(&ids[i])?.get(2)? {
                Value::Json(Some(p)) | Value::Text(p) => Some(p.as_str()),
                _ => None,
            };
            let claimants: Vec<_> = live
                .iter()
                .chain(&windowed)
                .map(|&i| (i, held(i)))
                .chain(tombs.iter().map(|&i| (i, None)))
                .map(|(i, held)| super::uniques_batch::Claimant {
                    index: i,
                    id: &ids[i],
                    props: a.items[i].props.get(),
                    held,
                })
                .collect();
            super::uniques_batch::claim_all(ex, ctx, a.kind, &claimants, &now).await?;
        }
        let revived: Vec<(&str, &str)> = tombs
            .iter()
            .map(|&i| (ids[i].as_str(), a.items[i].props.get()))
            .collect();
        crate::search::sync_nodes(ex, ctx, a.kind, &revived, true).await?;
        crate::search::sync_nodes(ex, ctx, a.kind, &live_rows, false).await?;
        let moved: Vec<(&str, &str)> = windowed
            .iter()
            .map(|&i| (ids[i].as_str(), a.items[i].props.get()))
            .collect();
        crate::search::sync_nodes(ex, ctx, a.kind, &moved, false).await?;
        Ok::<Vec<Row>, Error>(written)
    }
}

/// The kind and items of [`upsert_known`], named as the batch arguments they came from.
struct KindItems<'a> {
    kind: &'a str,
    items: &'a [NodeItem],
}

/// The states of stored node rows (NODE_COLS): id → (tombstoned?, version).
pub(crate) fn node_versions_from_rows<'r>(
    rows: impl Iterator<Item = &'r Row>,
) -> HashMap<String, (bool, i64)> {
    rows.filter_map(|r| {
        let id = opt_str(r, 1)?;
        let v = r.get(3).and_then(Value::as_i64).unwrap_or(0);
        Some((id.to_string(), (opt_str(r, 8).is_some(), v)))
    })
    .collect()
}

/// Which of `ids` exist under `kind`: id → (tombstoned?, version).
pub(crate) async fn node_versions<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    ids: &[String],
) -> Result<HashMap<String, (bool, i64)>> {
    let mut out = HashMap::with_capacity(ids.len());
    // Probed in key order (neighbouring keys share B-tree pages).
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let sql = ex.dialect().finish(format!(
            "SELECT id, deleted_at, version FROM {} WHERE graph_id = ? AND kind = ? AND {}",
            ctx.tables.nodes,
            ex.dialect().in_list("id")
        ));
        let rows = ex
            .query(
                &sql,
                &[
                    Value::text(ctx.graph.id()),
                    Value::text(kind),
                    Value::TextList(chunk.to_vec()),
                ],
            )
            .await?;
        for r in rows {
            if let Some(id) = opt_str(&r, 0) {
                let v = r.get(2).and_then(Value::as_i64).unwrap_or(0);
                out.insert(id.to_string(), (opt_str(&r, 1).is_some(), v));
            }
        }
    }
    Ok(out)
}

/// Merged props into live rows, set-based: SQLite joins a VALUES list (64 rows a statement),
/// PostgreSQL an UNNEST of two arrays. Returns how many rows were updated; with `returning`
/// the rows are appended to `out`.
async fn update_live_nodes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    rows: &[(&str, &str)],
    now: &str,
    returning: bool,
    out: &mut Vec<Row>,
) -> Result<u64> {
    let g = ctx.graph.id();
    let t = &ctx.tables.nodes;
    let tail = if returning {
        format!(" RETURNING {}", qualified(NODE_COLS, t))
    } else {
        String::new()
    };
    let mut n = 0u64;
    match ex.dialect() {
        Dialect::Sqlite => {
            // One cached single-row statement per row (no statement journal, parameters bound
            // in place); rows were sorted by id by the caller.
            let sql = format!(
                "UPDATE {t} SET props = ?1, updated_at = ?2, version = version + 1 \
                 WHERE graph_id = ?3 AND kind = ?4 AND id = ?5 AND deleted_at IS NULL{}",
                if returning {
                    format!(" RETURNING {NODE_COLS}")
                } else {
                    String::new()
                }
            );
            let db = ex
                .sqlite_conn()
                .ok_or_else(|| Error::invariant("sqlite executor"))?;
            let mut st = db.conn.prepare_cached(&sql).map_err(update_err)?;
            let cols = st.column_count();
            for (id, props) in rows {
                let params = rusqlite::params![props, now, g, kind, id];
                if returning {
                    let mut got = st.query(params).map_err(update_err)?;
                    while let Some(row) = got.next().map_err(update_err)? {
                        out.push(read_row(row, cols).map_err(update_err)?);
                        n += 1;
                    }
                } else {
                    n += st.execute(params).map_err(update_err)? as u64;
                }
            }
        }
        Dialect::Postgres => {
            let sql = format!(
                "UPDATE {t} SET props = v.props::jsonb, updated_at = $3::timestamptz, version = {t}.version + 1 \
                 FROM UNNEST($4::text[], $5::text[]) AS v(id, props) \
                 WHERE {t}.graph_id = $1 AND {t}.kind = $2 AND {t}.id = v.id AND {t}.deleted_at IS NULL{tail}"
            );
            for chunk in rows.chunks(PG_CHUNK) {
                let params = [
                    Value::text(g),
                    Value::text(kind),
                    Value::Text(now.to_string()),
                    Value::TextList(chunk.iter().map(|r| r.0.to_string()).collect()),
                    Value::TextList(chunk.iter().map(|r| r.1.to_string()).collect()),
                ];
                if returning {
                    let got = ex.query(&sql, &params).await?;
                    n += got.len() as u64;
                    out.extend(got);
                } else {
                    n += ex.execute(&sql, &params).await?;
                }
            }
        }
    }
    Ok(n)
}

/// `a, b, c` → `t.a, t.b, t.c` (RETURNING of an UPDATE ... FROM names the target's columns).
fn qualified(cols: &str, t: &str) -> String {
    cols.split(',')
        .map(|c| format!("{t}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `bulkDelete` (soft) of nodes: missing ids are ignored; onDelete applies per node.
pub async fn delete_nodes<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BulkIdsArgs,
) -> Result<String> {
    ctx.graph.node(&a.kind)?;
    atomic!(ex, {
        for id in &a.ids {
            super::nodes::delete(
                ex,
                ctx,
                super::nodes::IdArgs {
                    kind: a.kind.clone(),
                    id: id.clone(),
                    temporal_mode: None,
                    as_of: None,
                },
                false,
            )
            .await?;
        }
        Ok::<(), Error>(())
    })?;
    Ok("null".into())
}

/// A bulk edge create of several rows refused for a taken id: reported as the batch's
/// refusal (the failing item by `index`), not as one stored row; one row reports its id.
fn taken_in_batch(kind: &str, id: &str, rows: usize) -> Error {
    let mut e = already_exists("edge", kind, id);
    if rows > 1 {
        if let serde_json::Value::Object(m) = &mut e.details {
            m.remove("id");
        }
        e.message =
            format!("Edge already exists: one of the {rows} {kind} ids of this batch is taken");
    }
    e
}

/// The endpoints among `by_kind` (kind → distinct ids) that are missing or soft-deleted. Each
/// chunk is first counted (no rows cross back when every endpoint is live, the usual case);
/// only a chunk whose count falls short is read to name the endpoints it lacks.
async fn dead_endpoints<'a, E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    by_kind: &HashMap<&'a str, HashSet<&'a str>>,
) -> Result<HashSet<(&'a str, &'a str)>> {
    let mut dead = HashSet::new();
    // Liveness is read, not filtered: a `deleted_at` term lets SQLite prefer a
    // (graph_id, kind, deleted_at) index scan over primary-key probes.
    let count_sql = ex.dialect().finish(format!(
        "SELECT count(*) - count(deleted_at) FROM {} WHERE graph_id = ? AND kind = ? AND {}",
        ctx.tables.nodes,
        ex.dialect().in_list("id")
    ));
    let rows_sql = ex.dialect().finish(format!(
        "SELECT id, deleted_at FROM {} WHERE graph_id = ? AND kind = ? AND {}",
        ctx.tables.nodes,
        ex.dialect().in_list("id")
    ));
    for (kind, ids) in by_kind {
        // Probed in key order: neighbouring keys share B-tree pages (about half the cost of random order).
        let mut ids: Vec<&str> = ids.iter().copied().collect();
        ids.sort_unstable();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let params = [
                Value::text(ctx.graph.id()),
                Value::text(*kind),
                Value::TextList(chunk.iter().map(|s| s.to_string()).collect()),
            ];
            let live = ex
                .query(&count_sql, &params)
                .await?
                .first()
                .and_then(|r| r.first())
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if live as usize == chunk.len() {
                continue;
            }
            let found: HashSet<String> = ex
                .query(&rows_sql, &params)
                .await?
                .iter()
                .filter(|r| opt_str(r, 1).is_none())
                .filter_map(|r| opt_str(r, 0).map(str::to_string))
                .collect();
            dead.extend(
                chunk
                    .iter()
                    .filter(|id| !found.contains(**id))
                    .map(|id| (*kind, *id)),
            );
        }
    }
    Ok(dead)
}

/// `bulkCreate` / `bulkInsert` of edges with set-based endpoint checks.
pub async fn create_edges<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BulkEdgesArgs,
) -> Result<String> {
    create_edges_at(ex, ctx, a, &now_iso()).await
}

/// [`create_edges`] with the rows stamped `now` (an upsert stamps its creates and updates alike).
pub(crate) async fn create_edges_at<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BulkEdgesArgs,
    now: &str,
) -> Result<String> {
    // PostgreSQL streams larger batches by COPY. A taken id fails the COPY as a whole (nothing
    // is written, the call rolled back); the batch then runs again by the insert that names
    // the first taken id, so the error is the one that path reports.
    let copy = ex.dialect() == Dialect::Postgres && a.items.len() >= super::copy::MIN_ROWS;
    if copy {
        match create_edges_by(ex, ctx, &a, true, now).await {
            Err(e) if crate::exec::postgres::is_copy_conflict(&e) => {}
            out => return out,
        }
    }
    create_edges_by(ex, ctx, &a, false, now).await
}

/// [`create_edges`], the rows written by COPY (`copy`) or by an insert of arrays.
async fn create_edges_by<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &BulkEdgesArgs,
    copy: bool,
    now: &str,
) -> Result<String> {
    let spec = ctx.graph.edge(&a.kind)?;
    let now = now.to_string();
    for (i, it) in a.items.iter().enumerate() {
        super::edges::check_endpoint_kinds(ctx, &a.kind, spec, &it.from, &it.to)
            .map_err(|e| with_index(e, i))?;
    }
    let mut rows = Vec::with_capacity(a.items.len());
    let mut seen = HashSet::with_capacity(a.items.len());
    let mut ids = IdBatch::new();
    for (i, it) in a.items.iter().enumerate() {
        let (vf, vt) = validity_window(it.valid_from.as_deref(), it.valid_to.as_deref(), &now)
            .map_err(|e| with_index(e, i))?;
        let id = match &it.id {
            Some(id) => id.clone(),
            None => ids.next_id(),
        };
        if !seen.insert(id.clone()) {
            return Err(with_index(already_exists("edge", &a.kind, &id), i));
        }
        rows.push((id, vf, vt));
    }
    super::recorded::touch_edges(ex, &a.kind, rows.iter().map(|r| r.0.as_str()));
    atomic!(ex, {
        // Endpoints: distinct (kind, id) pairs, one lookup per kind and chunk.
        let mut by_kind: HashMap<&str, HashSet<&str>> = HashMap::new();
        for it in &a.items {
            by_kind
                .entry(it.from.kind.as_str())
                .or_default()
                .insert(it.from.id.as_str());
            by_kind
                .entry(it.to.kind.as_str())
                .or_default()
                .insert(it.to.id.as_str());
        }
        let dead = dead_endpoints(ex, ctx, &by_kind).await?;
        if !dead.is_empty() {
            for (i, it) in a.items.iter().enumerate() {
                for (end, r) in [("from", &it.from), ("to", &it.to)] {
                    if dead.contains(&(r.kind.as_str(), r.id.as_str())) {
                        return Err(with_index(
                            Error::new(
                                Code::EndpointNotFound,
                                format!(
                                    "Endpoint node not found for edge \"{}\": {}/{} ({end})",
                                    a.kind, r.kind, r.id
                                ),
                                json!({ "edgeKind": a.kind, "endpoint": end, "nodeKind": r.kind, "nodeId": r.id }),
                            ),
                            i,
                        ));
                    }
                }
            }
        }
        if spec.cardinality != Cardinality::Many {
            // Within the batch, and against what is stored.
            let mut taken: HashSet<(String, String, String, String)> = HashSet::new();
            for (i, it) in a.items.iter().enumerate() {
                let key = match spec.cardinality {
                    Cardinality::Unique => (
                        it.from.kind.clone(),
                        it.from.id.clone(),
                        it.to.kind.clone(),
                        it.to.id.clone(),
                    ),
                    Cardinality::OneActive if rows[i].2.is_some() => continue,
                    _ => (
                        it.from.kind.clone(),
                        it.from.id.clone(),
                        String::new(),
                        String::new(),
                    ),
                };
                if !taken.insert(key) {
                    return Err(with_index(
                        Error::new(
                            Code::Cardinality,
                            format!(
                                "Cardinality violation: \"{}\" from {}/{} repeated in one batch",
                                a.kind, it.from.kind, it.from.id
                            ),
                            json!({ "edgeKind": a.kind, "fromKind": it.from.kind, "fromId": it.from.id, "existingCount": 1 }),
                        ),
                        i,
                    ));
                }
                super::edges::check_cardinality(
                    ex,
                    ctx,
                    &a.kind,
                    spec.cardinality,
                    &it.from,
                    &it.to,
                    rows[i].2.is_some(),
                )
                .await
                .map_err(|e| with_index(e, i))?;
            }
            let claims: Vec<super::claims::EdgeClaim<'_>> = a
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| super::claims::EdgeClaim {
                    edge_id: &rows[i].0,
                    from: &it.from,
                    to: &it.to,
                    born_ended: rows[i].2.is_some(),
                    index: Some(i),
                })
                .collect();
            super::claims::claim_edges(ex, ctx, &a.kind, spec.cardinality, &claims).await?;
        }
        // Explicit ids already stored are reported by the insert itself: on SQLite as a
        // primary-key conflict (mapped to the item), on PostgreSQL as the first input row the
        // conflict-skipping insert did not write (the call then fails and rolls back whole).
        let g = ctx.graph.id();
        match ex.dialect() {
            Dialect::Sqlite => {
                // One cached single-row statement, parameters bound in place (see insert_nodes).
                let sql = format!(
                    "INSERT INTO {} (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                    ctx.tables.edges
                );
                let db = ex
                    .sqlite_conn()
                    .ok_or_else(|| Error::invariant("sqlite executor"))?;
                let mut st = db.conn.prepare_cached(&sql).map_err(insert_err)?;
                for (i, (it, r)) in a.items.iter().zip(&rows).enumerate() {
                    st.execute(rusqlite::params![
                        g,
                        r.0,
                        a.kind,
                        it.from.kind,
                        it.from.id,
                        it.to.kind,
                        it.to.id,
                        it.props.get(),
                        r.1,
                        r.2,
                        now
                    ])
                    .map_err(|e| {
                        if is_primary_key_conflict(&e) {
                            with_index(taken_in_batch(&a.kind, &r.0, rows.len()), i)
                        } else {
                            insert_err(e)
                        }
                    })?;
                }
            }
            Dialect::Postgres if copy => {
                let sql = format!(
                    "COPY {} (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) FROM STDIN",
                    ctx.tables.edges
                );
                let mut buf = String::new();
                let idx: Vec<usize> = (0..rows.len()).collect();
                for chunk in idx.chunks(PG_CHUNK) {
                    buf.clear();
                    for &i in chunk {
                        let (it, r) = (&a.items[i], &rows[i]);
                        for v in [
                            g,
                            r.0.as_str(),
                            a.kind.as_str(),
                            it.from.kind.as_str(),
                            it.from.id.as_str(),
                            it.to.kind.as_str(),
                            it.to.id.as_str(),
                            it.props.get(),
                        ] {
                            super::copy::field(&mut buf, v);
                            buf.push('\t');
                        }
                        super::copy::opt_field(&mut buf, r.1.as_deref());
                        buf.push('\t');
                        super::copy::opt_field(&mut buf, r.2.as_deref());
                        buf.push('\t');
                        buf.push_str(&now);
                        buf.push('\t');
                        buf.push_str(&now);
                        buf.push('\n');
                    }
                    ex.copy_in(&sql, buf.as_bytes()).await?;
                }
            }
            Dialect::Postgres => {
                // The insert runs to completion whatever the outer query reads (a data-modifying
                // CTE); the outer query names the first input id it skipped, if any.
                let sql = format!(
                    "WITH ins AS (INSERT INTO {} (graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at) \
                     SELECT $1, t.id, $2, t.fk, t.fi, t.tk, t.ti, t.props::jsonb, t.vf::timestamptz, t.vt::timestamptz, $3::timestamptz, $3::timestamptz \
                     FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[]) AS t(id, fk, fi, tk, ti, props, vf, vt) \
                     ON CONFLICT (graph_id, id) DO NOTHING RETURNING id) \
                     SELECT u.id FROM UNNEST($4::text[]) WITH ORDINALITY AS u(id, n) WHERE u.id NOT IN (SELECT id FROM ins) ORDER BY u.n LIMIT 1",
                    ctx.tables.edges
                );
                let idx: Vec<usize> = (0..rows.len()).collect();
                for chunk in idx.chunks(PG_CHUNK) {
                    let col = |f: &dyn Fn(usize) -> String| {
                        Value::TextList(chunk.iter().map(|&i| f(i)).collect())
                    };
                    let skipped = ex
                        .query(
                            &sql,
                            &[
                                Value::text(g),
                                Value::text(&a.kind),
                                Value::Text(now.clone()),
                                col(&|i| rows[i].0.clone()),
                                col(&|i| a.items[i].from.kind.clone()),
                                col(&|i| a.items[i].from.id.clone()),
                                col(&|i| a.items[i].to.kind.clone()),
                                col(&|i| a.items[i].to.id.clone()),
                                col(&|i| a.items[i].props.get().to_string()),
                                Value::NullableTextList(
                                    chunk.iter().map(|&i| rows[i].1.clone()).collect(),
                                ),
                                Value::NullableTextList(
                                    chunk.iter().map(|&i| rows[i].2.clone()).collect(),
                                ),
                            ],
                        )
                        .await?;
                    if let Some(id) = skipped.first().and_then(|r| opt_str(r, 0)) {
                        let i = chunk
                            .iter()
                            .copied()
                            .find(|&i| rows[i].0 == id)
                            .unwrap_or(chunk[0]);
                        return Err(with_index(taken_in_batch(&a.kind, id, rows.len()), i));
                    }
                }
            }
        }
        Ok::<(), Error>(())
    })?;
    if !a.returning {
        return Ok("null".into());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    super::edges::get_many(
        ex,
        ctx,
        super::edges::IdsArgs {
            kind: a.kind.clone(),
            ids,
            temporal_mode: Some("includeTombstones".into()),
            as_of: None,
        },
    )
    .await
}

/// `bulkDelete` (soft) of edges; missing ids are ignored.
pub async fn delete_edges<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BulkIdsArgs,
) -> Result<String> {
    ctx.graph.edge(&a.kind)?;
    let now = now_iso();
    super::recorded::touch_edges(ex, &a.kind, a.ids.iter().map(|s| s.as_str()));
    atomic!(ex, {
        for chunk in a.ids.chunks(LOOKUP_CHUNK) {
            // An id held by an edge of another kind is refused, and the whole batch with it.
            let sql = ex.dialect().finish(format!(
                "SELECT id, kind FROM {} WHERE graph_id = ? AND {} AND kind <> ?",
                ctx.tables.edges,
                ex.dialect().in_list("id")
            ));
            if let Some(r) = ex
                .query(
                    &sql,
                    &[
                        Value::text(ctx.graph.id()),
                        Value::TextList(chunk.to_vec()),
                        Value::text(&a.kind),
                    ],
                )
                .await?
                .first()
            {
                let id = opt_str(r, 0).unwrap_or_default();
                let actual = opt_str(r, 1).unwrap_or_default();
                return Err(super::edges::identity_mismatch(
                    &a.kind, id, actual, "delete",
                ));
            }
        }
        for chunk in a.ids.chunks(LOOKUP_CHUNK) {
            let sql = ex.dialect().finish(format!(
                "UPDATE {} SET deleted_at = ? WHERE graph_id = ? AND {} = ? AND {} IS NULL AND {}",
                ctx.tables.edges,
                ex.dialect().not_for_index("kind"),
                ex.dialect().not_for_index("deleted_at"),
                ex.dialect().in_list("id")
            ));
            ex.execute(
                &sql,
                &[
                    Value::Ts(Some(now.clone())),
                    Value::text(ctx.graph.id()),
                    Value::text(&a.kind),
                    Value::TextList(chunk.to_vec()),
                ],
            )
            .await?;
        }
        Ok::<(), Error>(())
    })?;
    Ok("null".into())
}

/// `bulkUpsertById` for edges: props arrive merged and validated. Missing ids are
/// created (endpoint checks in batch), live ones updated, tombstones resurrected
/// keeping their `valid_from`; endpoints of an existing id must match.
pub async fn upsert_edges<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: BulkEdgesArgs,
) -> Result<String> {
    ctx.graph.edge(&a.kind)?;
    let now = now_iso();
    let ids = required_ids(a.items.iter().map(|it| &it.id))?;
    super::recorded::touch_edges(ex, &a.kind, ids.iter().map(|s| s.as_str()));
    let returning = a.returning;
    let kind = a.kind.clone();
    atomic!(ex, {
        let existing = stored_edges(ex, ctx, &ids, false).await?;
        upsert_edges_known(ex, ctx, &kind, &a.items, &ids, &existing, &now).await?;
        Ok::<(), Error>(())
    })?;
    if !returning {
        return Ok("null".into());
    }
    super::edges::get_many(
        ex,
        ctx,
        super::edges::IdsArgs {
            kind,
            ids,
            temporal_mode: Some("includeTombstones".into()),
            as_of: None,
        },
    )
    .await
}

/// The stored edge rows (any kind, any state) of `ids`, by id. With `lock` (PostgreSQL) the
/// rows are read `FOR UPDATE` in id order, so they stay as read until the transaction ends and
/// batches racing over the same rows queue instead of deadlocking.
pub(crate) async fn stored_edges<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    ids: &[String],
    lock: bool,
) -> Result<HashMap<String, Row>> {
    let mut existing: HashMap<String, Row> = HashMap::with_capacity(ids.len());
    let lock = if lock && ex.dialect() == Dialect::Postgres {
        " ORDER BY id FOR UPDATE"
    } else {
        ""
    };
    let sql = ex.dialect().finish(format!(
        "SELECT {} FROM {} WHERE graph_id = ? AND {}{lock}",
        crate::dialect::EDGE_COLS,
        ctx.tables.edges,
        ex.dialect().in_list("id")
    ));
    // Probed in key order (neighbouring keys share B-tree pages).
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    for chunk in sorted.chunks(LOOKUP_CHUNK) {
        for r in ex
            .query(
                &sql,
                &[Value::text(ctx.graph.id()), Value::TextList(chunk.to_vec())],
            )
            .await?
        {
            if let Some(id) = opt_str(&r, 0) {
                existing.insert(id.to_string(), r);
            }
        }
    }
    Ok(existing)
}

/// What [`upsert_edges_known`] did with one item.
pub(crate) enum EdgeOutcome {
    /// Inserted with this validity window.
    Created(Option<String>, Option<String>),
    /// A stored row updated in place; `Some` when its window was written (a move or a
    /// resurrection, which also clears `deleted_at`).
    Updated(Option<(Option<String>, Option<String>)>),
}

/// The writes of an edge `bulkUpsertById` whose stored rows (`existing`, any kind, by id, as
/// [`stored_edges`] reads them) are known: creates first, then updates of stored ids (identity
/// checked, tombstones resurrected, windows moved), then cardinality claims. Runs inside the
/// caller's transaction; an error names its item by `index` (positions in `items`).
pub(crate) async fn upsert_edges_known<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    items: &[EdgeItem],
    ids: &[String],
    existing: &HashMap<String, Row>,
    now: &str,
) -> Result<Vec<EdgeOutcome>> {
    let spec = ctx.graph.edge(kind)?;
    let now = now.to_string();
    let mut outcomes: Vec<Option<EdgeOutcome>> = (0..items.len()).map(|_| None).collect();
    let sql_window = ex.dialect().finish(format!(
        "UPDATE {} SET props = ?, updated_at = ?, deleted_at = NULL, valid_from = ?, valid_to = ? WHERE graph_id = ? AND id = ?",
        ctx.tables.edges
    ));
    let mut live: Vec<usize> = Vec::new();
    let mut moves: Vec<(usize, Option<String>, Option<String>)> = Vec::new();
    let mut revived: Vec<(usize, bool)> = Vec::new();
    let creates: Vec<usize> = (0..items.len())
        .filter(|&i| !existing.contains_key(&ids[i]))
        .collect();
    // Creates go first (as upstream): a batch states rows, not an order to reach them in,
    // so a create never counts on what an update of the same batch frees.
    if !creates.is_empty() {
        let batch: Vec<EdgeItem> = creates
            .iter()
            .map(|&i| {
                let it = &items[i];
                EdgeItem {
                    id: Some(ids[i].clone()),
                    from: it.from.clone(),
                    to: it.to.clone(),
                    props: it.props.clone(),
                    valid_from: it.valid_from.clone(),
                    valid_to: it.valid_to.clone(),
                    clear_valid_to: it.clear_valid_to,
                    preserve_valid_from: it.preserve_valid_from,
                }
            })
            .collect();
        for &i in &creates {
            let it = &items[i];
            let (vf, vt) = validity_window(it.valid_from.as_deref(), it.valid_to.as_deref(), &now)
                .map_err(|e| with_index(e, i))?;
            outcomes[i] = Some(EdgeOutcome::Created(vf, vt));
        }
        create_edges_at(
            ex,
            ctx,
            BulkEdgesArgs {
                kind: kind.to_string(),
                items: batch,
                returning: false,
            },
            &now,
        )
        .await
        .map_err(|mut e| {
            // Map the sub-batch index back to the caller's.
            if let Some(j) = e.details.get("index").and_then(|v| v.as_u64()) {
                let orig = creates.get(j as usize).copied().unwrap_or(0);
                e.details["index"] = json!(orig);
                e.message = e
                    .message
                    .replace(&format!("(item {j})"), &format!("(item {orig})"));
            }
            e
        })?;
    }
    for (i, it) in items.iter().enumerate() {
        let Some(r) = existing.get(&ids[i]) else {
            continue;
        };
        let same = opt_str(r, 1) == Some(kind)
            && opt_str(r, 2) == Some(it.from.kind.as_str())
            && opt_str(r, 3) == Some(it.from.id.as_str())
            && opt_str(r, 4) == Some(it.to.kind.as_str())
            && opt_str(r, 5) == Some(it.to.id.as_str());
        if !same {
            return Err(with_index(
                Error::validation(
                    format!("Edge {} exists with a different kind or endpoints", ids[i]),
                    json!({ "entityType": "edge", "kind": kind, "id": ids[i], "operation": "update",
                            "issues": [{ "path": "kind", "message": "kind and endpoints of an existing edge are immutable", "code": "EDGE_IDENTITY_MISMATCH" }] }),
                ),
                i,
            ));
        }
        let tomb = opt_str(r, 11).is_some();
        let (stored_from, stored_to) = (opt_str(r, 7), opt_str(r, 8));
        let window = it.window();
        let moved = if tomb {
            Some(
                window
                    .revived_window(stored_from, stored_to, &now)
                    .map_err(|e| with_index(e, i))?,
            )
        } else if window.is_set() {
            let vt = window
                .live_valid_to(stored_from, stored_to, &now)
                .map_err(|e| with_index(e, i))?;
            Some((stored_from.map(String::from), vt))
        } else {
            None
        };
        let ended = moved
            .as_ref()
            .map(|w| w.1.is_some())
            .unwrap_or(stored_to.is_some());
        if !tomb && spec.cardinality == Cardinality::OneActive && !ended && stored_to.is_some() {
            // Reopening an ended oneActive edge: it joins the active population.
            super::edges::check_cardinality(
                ex,
                ctx,
                kind,
                spec.cardinality,
                &it.from,
                &it.to,
                false,
            )
            .await
            .map_err(|e| with_index(e, i))?;
            revived.push((i, false));
        }
        if tomb {
            super::edges::check_endpoints_live(ex, ctx, kind, &it.from, &it.to)
                .await
                .map_err(|e| with_index(e, i))?;
            super::edges::check_cardinality(
                ex,
                ctx,
                kind,
                spec.cardinality,
                &it.from,
                &it.to,
                ended,
            )
            .await
            .map_err(|e| with_index(e, i))?;
            revived.push((i, ended));
        }
        match &moved {
            Some((vf, vt)) => moves.push((i, vf.clone(), vt.clone())),
            None => live.push(i),
        }
        outcomes[i] = Some(EdgeOutcome::Updated(moved));
    }
    // Live rows whose window stays: set-based on PostgreSQL (UNNEST of ids and props, a chunk
    // per statement), one cached single-row statement per row on SQLite (in id order).
    live.sort_unstable_by(|x, y| ids[*x].cmp(&ids[*y]));
    let g = ctx.graph.id();
    match ex.dialect() {
        Dialect::Sqlite => {
            let sql = format!(
                "UPDATE {} SET props = ?1, updated_at = ?2 WHERE graph_id = ?3 AND id = ?4",
                ctx.tables.edges
            );
            let db = ex
                .sqlite_conn()
                .ok_or_else(|| Error::invariant("sqlite executor"))?;
            let mut st = db.conn.prepare_cached(&sql).map_err(update_err)?;
            for &i in &live {
                st.execute(rusqlite::params![items[i].props.get(), now, g, ids[i]])
                    .map_err(update_err)?;
            }
        }
        Dialect::Postgres => {
            let t = &ctx.tables.edges;
            let sql = format!(
                "UPDATE {t} SET props = v.props::jsonb, updated_at = $2::timestamptz \
                 FROM UNNEST($3::text[], $4::text[]) AS v(id, props) \
                 WHERE {t}.graph_id = $1 AND {t}.id = v.id"
            );
            for chunk in live.chunks(PG_CHUNK) {
                ex.execute(
                    &sql,
                    &[
                        Value::text(g),
                        Value::Text(now.clone()),
                        Value::TextList(chunk.iter().map(|&i| ids[i].clone()).collect()),
                        Value::TextList(
                            chunk
                                .iter()
                                .map(|&i| items[i].props.get().to_string())
                                .collect(),
                        ),
                    ],
                )
                .await?;
            }
        }
    }
    for (i, vf, vt) in moves {
        ex.execute(
            &sql_window,
            &[
                Value::Json(Some(items[i].props.get().to_string())),
                Value::Ts(Some(now.clone())),
                Value::Ts(vf),
                Value::Ts(vt),
                Value::text(g),
                Value::text(&ids[i]),
            ],
        )
        .await?;
    }
    let claims: Vec<super::claims::EdgeClaim<'_>> = revived
        .iter()
        .map(|&(i, ended)| super::claims::EdgeClaim {
            edge_id: &ids[i],
            from: &items[i].from,
            to: &items[i].to,
            born_ended: ended,
            index: Some(i),
        })
        .collect();
    super::claims::claim_edges(ex, ctx, kind, spec.cardinality, &claims).await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(EdgeOutcome::Updated(None)))
        .collect())
}
