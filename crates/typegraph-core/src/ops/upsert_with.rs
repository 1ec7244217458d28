//! `bulkUpsertById` of nodes as one call from the binding: inside one transaction the engine
//! reads the stored rows of the batch (tombstones included), hands them to the caller's
//! merge-and-validate step (zod, in TypeScript, called back once: on the same thread on SQLite,
//! through the event loop on PostgreSQL), and writes the after-images it returns. The read and
//! the writes share the transaction, so no version fence or second lookup is needed: the states
//! read are the states written over. On SQLite the write transaction excludes other writers; on
//! PostgreSQL the read locks the stored rows (`FOR UPDATE`), so a writer that got there first is
//! waited for and its committed row is the one merged over.

use super::bulk::{node_versions_from_rows, upsert_known, NodeItem};
use super::rows::{push_row, push_value, NODE_PROPS};
use super::{evolve, validity_window, Ctx};
use crate::atomic;
use crate::dialect::NODE_COLS;
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::util::now_iso;
use crate::value::{Row, Value};
use serde::Deserialize;
use std::collections::HashMap;
use std::future::Future;

/// Ids per lookup statement.
const LOOKUP_CHUNK: usize = 5000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpsertWithArgs {
    pub kind: String,
    /// The batch's ids, distinct (repeated ids are applied in rounds by the caller).
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub returning: bool,
    /// With `returning`: `false` leaves the written rows' props out (`null`), for a caller that
    /// holds the props it sent (they are stored as sent); absent or `true` renders them.
    #[serde(default = "yes")]
    pub props_back: bool,
    /// `"edge"`: an edge batch ([`super::upsert_edges_with`]); `"edgeEndpoints"`: an edge
    /// get-or-create by endpoints (`pairs` instead of `ids`); absent: nodes.
    #[serde(default)]
    pub entity: Option<String>,
    /// `"edgeEndpoints"`: the endpoint pairs whose stored edges the merge step gets.
    #[serde(default)]
    pub pairs: Vec<super::upsert_edges_with::EndpointPair>,
    /// `"nodeConstraint"`: the unique constraint whose holders the merge step gets.
    #[serde(default)]
    pub constraint: Option<String>,
    /// `"nodeConstraint"`: the items' parsed props, one per item.
    #[serde(default)]
    pub props: Vec<Box<serde_json::value::RawValue>>,
    /// Per item (aligned with `ids`, or with `props` for `"nodeConstraint"`): `false` leaves the
    /// stored row's props out of what the step gets (`null`), for an item whose props replace
    /// every field; absent or shorter: rendered. A constraint holder of another kind than
    /// `kind` always comes with its props.
    #[serde(default)]
    pub props_wanted: Vec<bool>,
    /// With `returning`: the answer is `[now, …]` with one entry per item written, `0` where the
    /// caller renders the row itself from what it holds ([`renders_itself`]), else the row.
    #[serde(default)]
    pub compact: bool,
}

fn yes() -> bool {
    true
}

/// What the caller's step returns: the items to write (a subset of the ids, each at most once;
/// an item left out is one the caller coalesced).
#[derive(Deserialize)]
struct Merged {
    items: Vec<NodeItem>,
}

/// Runs `bulkUpsertNodes` for `args` (JSON) with items from `merge`; fenced like a dispatched write.
///
/// `merge` is the caller's step: the stored rows of the ids (JSON array aligned with `ids`,
/// `null` for an id never stored; rows as `getNodes` renders them) in, the merged and validated
/// items out. An `Err` aborts the call with that error; nothing is written.
pub async fn upsert_nodes_with<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    args: &str,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    let a: UpsertWithArgs = serde_json::from_str(args).map_err(|e| {
        Error::validation(
            format!("Malformed operation arguments: {e}"),
            serde_json::json!({}),
        )
    })?;
    let edges = matches!(a.entity.as_deref(), Some("edge") | Some("edgeEndpoints"));
    if !edges {
        ctx.graph.node(&a.kind)?;
    }
    if super::recorded::wanted(ex, ctx) || super::identity::wanted(ex, ctx) {
        ex.begin().await?;
        let mut cap = super::recorded::Capture {
            inner: ex,
            touched: Default::default(),
        };
        let out = entity_run(&mut cap, ctx, &a, merge).await;
        let super::recorded::Capture { inner, touched } = cap;
        let out = super::identity::after_writes(inner, ctx, &touched, out).await;
        if !super::recorded::ticks(ctx) {
            return super::identity::finish(inner, out).await;
        }
        return super::recorded::finish(inner, ctx, touched, out).await;
    }
    entity_run(ex, ctx, &a, merge).await
}

/// The call for its entity: node upserts (fenced here), edge upserts and edge get-or-create.
async fn entity_run<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    match a.entity.as_deref() {
        Some("edge") => super::upsert_edges_with::upsert_edges_with(ex, ctx, a, merge).await,
        Some("edgeEndpoints") => {
            super::upsert_edges_with::get_or_create_edges_with(ex, ctx, a, merge).await
        }
        _ => fenced_run(ex, ctx, a, merge).await,
    }
}

async fn fenced_run<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    match ctx.graph.schema_version() {
        Some(v) => {
            let mut fenced = evolve::Fenced::new(ex, ctx.tables, ctx.graph.id(), v);
            run(&mut fenced, ctx, a, merge).await
        }
        None => run(ex, ctx, a, merge).await,
    }
}

async fn run<E, M, F>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: &UpsertWithArgs,
    merge: &mut M,
) -> Result<String>
where
    E: Executor,
    M: FnMut(String) -> F,
    F: Future<Output = Result<String>>,
{
    if a.entity.as_deref() == Some("nodeConstraint") {
        return super::constraint_with::run(ex, ctx, a, merge).await;
    }
    let now = now_iso();
    atomic!(ex, {
        let stored = stored_rows(ex, ctx, &a.kind, &a.ids).await?;
        let mut text = String::with_capacity(a.ids.len() * 200 + 2);
        text.push('[');
        for (i, id) in a.ids.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            match stored.get(id.as_str()) {
                Some(r) if a.props_wanted.get(i) == Some(&false) => push_bare_row(&mut text, r),
                Some(r) => push_row(&mut text, r, NODE_PROPS)?,
                None => text.push_str("null"),
            }
        }
        text.push(']');
        let reply = merge(text).await?;
        let merged: Merged = serde_json::from_str(&reply).map_err(|e| {
            Error::validation(
                format!("Malformed merge result: {e}"),
                serde_json::json!({}),
            )
        })?;
        // Only ids that were read may be written (each once): their states are known.
        let mut ids = Vec::with_capacity(merged.items.len());
        let mut seen = std::collections::HashSet::with_capacity(merged.items.len());
        let asked: std::collections::HashSet<&str> = a.ids.iter().map(String::as_str).collect();
        for it in &merged.items {
            let id = it.id.clone().unwrap_or_default();
            if !asked.contains(id.as_str()) || !seen.insert(id.clone()) {
                return Err(Error::invariant(
                    "merge result names an id it was not given",
                ));
            }
            ids.push(id);
        }
        // Only the ids the merge step writes are captured: a coalesced item changes nothing.
        super::recorded::touch_nodes(ex, &a.kind, ids.iter().map(|s| s.as_str()));
        let existing = node_versions_from_rows(stored.values());
        // No RETURNING (it costs each statement a statement journal and a result table): the
        // rows written are rendered from the stored rows and the bound values; window moves
        // and resurrections (read back by their own statements) come back as rows.
        let moved = upsert_known(
            ex,
            ctx,
            &a.kind,
            &merged.items,
            &ids,
            &existing,
            Some(&stored),
            &now,
            false,
        )
        .await?;
        if !a.returning {
            return Ok::<_, Error>("null".to_string());
        }
        let mut moved: HashMap<String, Row> = moved
            .into_iter()
            .filter_map(|r| Some((r.get(1)?.as_str()?.to_string(), r)))
            .collect();
        let mut text = String::with_capacity(merged.items.len() * 200 + 2);
        text.push('[');
        if a.compact {
            push_value(&mut text, &Value::Ts(Some(now.clone())));
        }
        for (j, it) in merged.items.iter().enumerate() {
            if j > 0 || a.compact {
                text.push(',');
            }
            if a.compact && renders_itself(it, &ids[j], &moved, &stored) {
                text.push('0');
                continue;
            }
            let row = written_row(
                &a.kind,
                it,
                &ids[j],
                &mut moved,
                &stored,
                &now,
                a.props_back,
            )?;
            push_row(&mut text, &row, NODE_PROPS)?;
        }
        text.push(']');
        Ok::<_, Error>(text)
    })
}

/// A stored node row as [`push_row`] writes it, its props `null`.
pub(super) fn push_bare_row(out: &mut String, row: &Row) {
    out.push('[');
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if i == NODE_PROPS {
            out.push_str("null");
        } else {
            push_value(out, v);
        }
    }
    out.push(']');
}

/// Whether a `compact` answer leaves the row written for `it` (id `id`) to the caller, which
/// holds what it is made of: a live row updated in place (the row read with the next version,
/// updated at `now`) or a create without a stated window (version 1, valid from `now`, created
/// and updated at `now`). Window moves and resurrections (`moved`) are answered as rows.
pub(super) fn renders_itself(
    it: &NodeItem,
    id: &str,
    moved: &HashMap<String, Row>,
    stored: &HashMap<String, Row>,
) -> bool {
    if moved.contains_key(id) {
        return false;
    }
    match stored.get(id) {
        Some(r) => r.get(8).is_none_or(Value::is_null),
        None => it.valid_from.is_none() && it.valid_to.is_none(),
    }
}

/// The stored rows (any state) of `ids` under `kind`, by id.
pub(super) async fn stored_rows<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    ids: &[String],
) -> Result<HashMap<String, Row>> {
    let mut out = HashMap::with_capacity(ids.len());
    // Probed in key order (neighbouring keys share B-tree pages).
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    // PostgreSQL: the rows read stay locked until the writes commit (SQLite's write
    // transaction already excludes every other writer).
    // Locked in id order, so batches racing over the same rows queue instead of deadlocking.
    let lock = match ex.dialect() {
        crate::dialect::Dialect::Postgres => " ORDER BY id FOR UPDATE",
        crate::dialect::Dialect::Sqlite => "",
    };
    let sql = ex.dialect().finish(format!(
        "SELECT {NODE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND {}{lock}",
        ctx.tables.nodes,
        ex.dialect().in_list("id")
    ));
    for chunk in sorted.chunks(LOOKUP_CHUNK) {
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
            if let Some(id) = r.get(1).and_then(Value::as_str) {
                out.insert(id.to_string(), r);
            }
        }
    }
    Ok(out)
}

/// The row an upsert wrote for `it` (id `id`), rendered from the row read (`stored`), the rows
/// read back for window moves and resurrections (`moved`, taken out) and the values bound;
/// props `null` unless `props_back`.
pub(super) fn written_row(
    kind: &str,
    it: &NodeItem,
    id: &str,
    moved: &mut HashMap<String, Row>,
    stored: &HashMap<String, Row>,
    now: &str,
    props_back: bool,
) -> Result<Row> {
    let props = if props_back {
        Value::Json(Some(it.props.get().to_string()))
    } else {
        Value::Null
    };
    Ok(if let Some(mut r) = moved.remove(id) {
        if !props_back {
            r[2] = Value::Null;
        }
        r
    } else if let Some(r) = stored.get(id) {
        // A live row updated in place: new props, next version, stamped now (the
        // stored props are not copied: they are replaced).
        let mut r: Row = r
            .iter()
            .enumerate()
            .map(|(k, v)| if k == 2 { Value::Null } else { v.clone() })
            .collect();
        let v = r.get(3).and_then(Value::as_i64).unwrap_or(0);
        r[2] = props;
        r[3] = Value::Int(v + 1);
        r[7] = Value::Ts(Some(now.to_string()));
        r
    } else {
        let (vf, vt) = validity_window(it.valid_from.as_deref(), it.valid_to.as_deref(), now)?;
        vec![
            Value::text(kind),
            Value::text(id),
            props,
            Value::Int(1),
            Value::Ts(vf),
            Value::Ts(vt),
            Value::Ts(Some(now.to_string())),
            Value::Ts(Some(now.to_string())),
            Value::Null,
        ]
    })
}
