//! Recorded (system) time for stores opened with `history: true`.
//!
//! Every committed write of such a store is copied into the recorded relations
//! (`recordedNodes` / `recordedEdges`) inside the write's own transaction. Rows carry an
//! integer interval `[recorded_from, recorded_to)` of revisions drawn from the per-graph clock
//! (`recordedClock`); the open interval ends at [`MAX_REVISION`]. One transaction takes one
//! revision, however many calls it makes: the first capture bumps the clock, later ones reuse
//! the revision ([`TxRevisions`], kept with the connection and undone with a rolled-back level).
//!
//! Capture is driven by the keys a write call touched ([`Touched`], filled by the write paths
//! through [`touch_node`] & co. on a [`Capture`] executor), flushed once per call as a few
//! set-based statements: rows this transaction already wrote for those keys are dropped and
//! re-derived, open rows that no longer match their live row are closed, and live rows without
//! an open row get one. So a transaction's net transition is what gets stored: create + update
//! is one `create`, create + hard delete is nothing. Touching a key that did not change writes
//! nothing.

use super::rows::{opt_str, rows_json, EDGE_PROPS, NODE_PROPS};
use super::Ctx;
use crate::dialect::{Dialect, EDGE_COLS, NODE_COLS};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::value::{Row, Value};
use serde::Deserialize;
use serde_json::json;
use std::future::Future;

/// The open interval's ceiling: JavaScript's largest safe integer, as upstream stores it.
pub const MAX_REVISION: i64 = 9_007_199_254_740_991;

/// Keys one write call touched (duplicates allowed; untouched-in-effect keys write nothing).
#[derive(Debug, Default)]
pub struct Touched {
    pub nodes: Vec<(String, String)>,
    /// Edges as (kind, id): the recorded relation is keyed by kind first.
    pub edges: Vec<(String, String)>,
    /// Nodes whose connected edges may have changed (cascading deletes).
    pub node_edges: Vec<(String, String)>,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.edges.is_empty() && self.node_edges.is_empty()
    }
}

/// Revisions the open transaction of a connection took, per graph and clock table, with the
/// transaction level that took them (a rolled-back level gives its revision back).
#[derive(Debug, Default, Clone)]
pub struct TxRevisions {
    depth: u32,
    taken: Vec<(String, String, i64, u32)>,
}

impl TxRevisions {
    pub fn on_begin(&mut self) {
        self.depth += 1;
    }
    pub fn on_commit(&mut self) {
        if self.depth <= 1 {
            self.taken.clear();
        } else {
            let d = self.depth;
            for t in &mut self.taken {
                if t.3 >= d {
                    t.3 = d - 1;
                }
            }
        }
        self.depth = self.depth.saturating_sub(1);
    }
    pub fn on_rollback(&mut self) {
        let d = self.depth;
        self.taken.retain(|t| t.3 < d);
        if d <= 1 {
            self.taken.clear();
        }
        self.depth = self.depth.saturating_sub(1);
    }
    fn get(&self, graph: &str, clock: &str) -> Option<i64> {
        self.taken
            .iter()
            .find(|t| t.0 == graph && t.1 == clock)
            .map(|t| t.2)
    }
    fn take(&mut self, graph: &str, clock: &str, revision: i64) {
        self.taken
            .push((graph.to_string(), clock.to_string(), revision, self.depth));
    }
}

pub fn touch_node<E: Executor>(ex: &mut E, kind: &str, id: &str) {
    if let Some(t) = ex.touched() {
        t.nodes.push((kind.to_string(), id.to_string()));
    }
}
pub fn touch_nodes<'a, E: Executor>(
    ex: &mut E,
    kind: &str,
    ids: impl IntoIterator<Item = &'a str>,
) {
    if let Some(t) = ex.touched() {
        t.nodes
            .extend(ids.into_iter().map(|id| (kind.to_string(), id.to_string())));
    }
}
pub fn touch_edge<E: Executor>(ex: &mut E, kind: &str, id: &str) {
    if let Some(t) = ex.touched() {
        t.edges.push((kind.to_string(), id.to_string()));
    }
}
pub fn touch_edges<'a, E: Executor>(
    ex: &mut E,
    kind: &str,
    ids: impl IntoIterator<Item = &'a str>,
) {
    if let Some(t) = ex.touched() {
        t.edges
            .extend(ids.into_iter().map(|id| (kind.to_string(), id.to_string())));
    }
}
/// The edges attached to `kind`/`id` may have changed (a cascade or a hard delete).
pub fn touch_node_edges<E: Executor>(ex: &mut E, kind: &str, id: &str) {
    if let Some(t) = ex.touched() {
        t.node_edges.push((kind.to_string(), id.to_string()));
    }
}

/// An executor that collects the keys the write paths touch.
pub struct Capture<'e, E: Executor> {
    pub inner: &'e mut E,
    pub touched: Touched,
}

impl<E: Executor> Executor for Capture<'_, E> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> impl Future<Output = Result<u64>> + Send {
        self.inner.execute(sql, params)
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.inner.query(sql, params)
    }
    fn query_in_written_order(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.inner.query_in_written_order(sql, params)
    }
    fn query_compiled(
        &mut self,
        sql: &str,
        params: &[Value],
        ordered: bool,
        anchored: bool,
    ) -> impl Future<Output = Result<Vec<Row>>> + Send {
        self.inner.query_compiled(sql, params, ordered, anchored)
    }
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<()>> + Send {
        self.inner.batch(sql)
    }
    fn begin(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.inner.begin()
    }
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.inner.commit()
    }
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send {
        self.inner.rollback()
    }
    fn copy_in(&mut self, sql: &str, data: &[u8]) -> impl Future<Output = Result<u64>> + Send {
        self.inner.copy_in(sql, data)
    }
    fn sqlite_conn(&mut self) -> Option<&mut crate::exec::sqlite::SqliteConn> {
        self.inner.sqlite_conn()
    }
    fn touched(&mut self) -> Option<&mut Touched> {
        Some(&mut self.touched)
    }
    fn recorded_tx(&mut self) -> Option<&mut TxRevisions> {
        self.inner.recorded_tx()
    }
}

/// Whether calls of this store are captured: a history store not already inside a capture.
pub fn wanted<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> bool {
    ticks(ctx) && ex.touched().is_none()
}

/// Whether this store's writes advance the recorded clock: `history` (with recorded rows) or
/// `revisionTracking` (the clock alone).
pub fn ticks(ctx: &Ctx<'_>) -> bool {
    ctx.graph.spec.history || ctx.graph.spec.revision_tracking
}

/// Closes a captured call: flushes what it touched (on success) and ends the transaction (or
/// savepoint) the caller opened around it.
pub async fn finish<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    touched: Touched,
    out: Result<String>,
) -> Result<String> {
    let out = match out {
        Ok(s) => flush(ex, ctx, touched)
            .await
            .map(|_| s)
            .map_err(|e| missing_relations(ctx, e)),
        Err(e) => Err(e),
    };
    match out {
        Ok(s) => {
            ex.commit().await?;
            Ok(s)
        }
        Err(e) => {
            let _ = ex.rollback().await;
            Err(e)
        }
    }
}

/// A recorded relation the database lacks (a store opened with `history: true` over tables
/// created without them) is a configuration problem, named as such.
fn missing_relations(ctx: &Ctx<'_>, e: Error) -> Error {
    if e.code != crate::error::Code::DatabaseOperation {
        return e;
    }
    let text = format!("{} {}", e.message, e.cause.as_deref().unwrap_or(""));
    let missing = text.contains("no such table") || text.contains("does not exist");
    let ours = [
        &ctx.tables.recorded_nodes,
        &ctx.tables.recorded_edges,
        &ctx.tables.recorded_clock,
    ]
    .iter()
    .any(|t| text.contains(t.trim_matches('"')));
    if missing && ours {
        return Error::config(
            "history: true requires the recorded-time relations to exist (recordedNodes, recordedEdges, recordedClock); create them with createStoreWithSchema or your migrations",
            "RECORDED_RELATIONS_MISSING",
        );
    }
    e
}

fn open_ceiling() -> String {
    MAX_REVISION.to_string()
}

/// The revision this transaction writes at: taken once per transaction from the clock.
async fn revision<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<i64> {
    let g = ctx.graph.id();
    let clock = ctx.tables.recorded_clock.clone();
    if let Some(r) = ex.recorded_tx().and_then(|t| t.get(g, &clock)) {
        return Ok(r);
    }
    if ex.dialect() == Dialect::Postgres {
        // The clock row is taken inside the transaction: a repeatable-read or serializable
        // snapshot could allocate from a stale clock.
        let rows = ex
            .query("SELECT current_setting('transaction_isolation')", &[])
            .await?;
        let level = rows.first().and_then(|r| opt_str(r, 0)).unwrap_or("");
        if level != "read committed" && level != "read uncommitted" {
            return Err(Error::new(
                crate::error::Code::Configuration,
                "Recorded-time capture on PostgreSQL requires read_committed isolation.",
                json!({ "isolationLevel": level.replace(' ', "_") }),
            ));
        }
    }
    let later = match ex.dialect() {
        Dialect::Sqlite => format!(
            "CASE WHEN excluded.recorded_at > {clock}.recorded_at THEN excluded.recorded_at ELSE {clock}.recorded_at END"
        ),
        Dialect::Postgres => format!("GREATEST(excluded.recorded_at, {clock}.recorded_at)"),
    };
    let sql = ex.dialect().finish(format!(
        "INSERT INTO {clock} (graph_id, revision, recorded_at) VALUES (?, 1, ?) \
         ON CONFLICT (graph_id) DO UPDATE SET revision = {clock}.revision + 1, recorded_at = {later} \
         RETURNING revision"
    ));
    let rows = ex
        .query(
            &sql,
            &[Value::text(g), Value::Ts(Some(crate::util::now_iso()))],
        )
        .await?;
    let rev = rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .ok_or_else(|| Error::invariant("the recorded clock returned no revision"))?;
    if rev >= MAX_REVISION {
        return Err(Error::invariant("the recorded clock is exhausted"));
    }
    if let Some(t) = ex.recorded_tx() {
        t.take(g, &clock, rev);
    }
    Ok(rev)
}

/// A relation of `(kind, id)` keys bound as parameters.
fn key_pairs(d: Dialect, keys: &[(String, String)]) -> (String, Vec<Value>) {
    match d {
        Dialect::Sqlite => (
            "(SELECT json_extract(value, '$[0]') AS kind, json_extract(value, '$[1]') AS id FROM json_each(?))".into(),
            vec![Value::text(serde_json::to_string(keys).unwrap_or_else(|_| "[]".into()))],
        ),
        Dialect::Postgres => (
            "(SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[])) AS k(kind, id))".into(),
            vec![
                Value::TextList(keys.iter().map(|k| k.0.clone()).collect()),
                Value::TextList(keys.iter().map(|k| k.1.clone()).collect()),
            ],
        ),
    }
}

fn history_id(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "lower(hex(randomblob(16)))",
        Dialect::Postgres => "gen_random_uuid()::text",
    }
}

fn same(d: Dialect, a: &str, b: &str) -> String {
    match d {
        Dialect::Sqlite => format!("{a} IS {b}"),
        Dialect::Postgres => format!("{a} IS NOT DISTINCT FROM {b}"),
    }
}

fn meta_lit(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "'{}'",
        Dialect::Postgres => "'{}'::jsonb",
    }
}

/// Writes the recorded rows for what one call touched.
pub async fn flush<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, mut t: Touched) -> Result<()> {
    if t.is_empty() {
        return Ok(());
    }
    let d = ex.dialect();
    let g = ctx.graph.id();
    let max = open_ceiling();
    if !t.node_edges.is_empty() {
        t.node_edges.sort();
        t.node_edges.dedup();
        // Edges attached to those nodes, live or open in the recorded relation: driven from the
        // keys through the (graph_id, from_kind, from_id, …) / (…, to_kind, to_id, …) indexes.
        let (k, kp) = key_pairs(d, &t.node_edges);
        let mut branches = Vec::new();
        let mut p = Vec::new();
        for (tbl, open) in [
            (&ctx.tables.edges, String::new()),
            (
                &ctx.tables.recorded_edges,
                format!(" AND e.recorded_to = {max}"),
            ),
        ] {
            for end in ["from", "to"] {
                branches.push(format!(
                    "SELECT e.kind, e.id FROM {k} k CROSS JOIN {tbl} e WHERE e.graph_id = ? AND e.{end}_kind = k.kind AND e.{end}_id = k.id{open}"
                ));
                p.extend(kp.iter().cloned());
                p.push(Value::text(g));
            }
        }
        let sql = d.finish(branches.join(" UNION "));
        for r in ex.query(&sql, &p).await? {
            if let (Some(kind), Some(id)) = (opt_str(&r, 0), opt_str(&r, 1)) {
                t.edges.push((kind.to_string(), id.to_string()));
            }
        }
    }
    t.nodes.sort();
    t.nodes.dedup();
    t.edges.sort();
    t.edges.dedup();
    if t.nodes.is_empty() && t.edges.is_empty() {
        return Ok(());
    }
    let rev = revision(ex, ctx).await?;
    if !ctx.graph.spec.history {
        // Revision tracking alone: the clock advanced, no recorded rows.
        return Ok(());
    }
    if !t.nodes.is_empty() {
        flush_entity(
            ex,
            ctx,
            rev,
            Entity {
                live: &ctx.tables.nodes,
                rec: &ctx.tables.recorded_nodes,
                cols: "graph_id, kind, id, props, version, valid_from, valid_to, created_at, updated_at, deleted_at",
                extra_same: "n.version = o.version",
                keys: &t.nodes,
            },
        )
        .await?;
    }
    if !t.edges.is_empty() {
        flush_entity(
            ex,
            ctx,
            rev,
            Entity {
                live: &ctx.tables.edges,
                rec: &ctx.tables.recorded_edges,
                cols: "graph_id, id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at, deleted_at",
                extra_same: "n.from_id = o.from_id AND n.to_id = o.to_id",
                keys: &t.edges,
            },
        )
        .await?;
    }
    Ok(())
}

struct Entity<'a> {
    live: &'a str,
    rec: &'a str,
    cols: &'a str,
    extra_same: &'a str,
    keys: &'a [(String, String)],
}

/// Every statement starts from the touched keys (a handful; `CROSS JOIN` keeps them outermost on
/// SQLite, whose planner otherwise scans the open rows) and reaches the recorded relation
/// through its `(graph_id, kind, id, recorded_from, recorded_to)` index and the live table
/// through its key, so a capture costs the same however much history the graph holds.
async fn flush_entity<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    rev: i64,
    e: Entity<'_>,
) -> Result<()> {
    let d = ex.dialect();
    let g = Value::text(ctx.graph.id());
    let max = open_ceiling();
    let Entity {
        live,
        rec,
        cols,
        extra_same,
        keys,
    } = e;
    let (k, kp) = key_pairs(d, keys);
    // The recorded rows of the keys matching `filter` (on alias r), by history id.
    let rows_of = |filter: &str| {
        format!(
            "history_id IN (SELECT r.history_id FROM {k} k CROSS JOIN {rec} r WHERE r.graph_id = ? AND r.kind = k.kind AND r.id = k.id AND {filter})"
        )
    };
    // Rows this transaction already wrote for these keys are re-derived below.
    let sql = d.finish(format!(
        "DELETE FROM {rec} WHERE {}",
        rows_of(&format!("r.recorded_from = ? AND r.recorded_to = {max}"))
    ));
    let mut p = kp.clone();
    p.push(g.clone());
    p.push(Value::Int(rev));
    ex.execute(&sql, &p).await?;
    // Open rows whose live row changed or went away end at this revision.
    let unchanged = [
        same(d, "n.props", "o.props"),
        same(d, "n.valid_from", "o.valid_from"),
        same(d, "n.valid_to", "o.valid_to"),
        same(d, "n.deleted_at", "o.deleted_at"),
        same(d, "n.updated_at", "o.updated_at"),
        extra_same.to_string(),
    ]
    .join(" AND ");
    let sql = d.finish(format!(
        "UPDATE {rec} SET recorded_to = ? WHERE {} AND NOT EXISTS (SELECT 1 FROM {rec} o JOIN {live} n \
         ON n.graph_id = o.graph_id AND n.kind = o.kind AND n.id = o.id \
         WHERE o.history_id = {rec}.history_id AND {unchanged})",
        rows_of(&format!("r.recorded_to = {max}"))
    ));
    let mut p = vec![Value::Int(rev)];
    p.extend(kp.iter().cloned());
    p.push(g.clone());
    ex.execute(&sql, &p).await?;
    // Live rows without an open row start one; the op is the transaction's net transition.
    let selected = cols
        .split(", ")
        .map(|c| format!("n.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = d.finish(format!(
        "INSERT INTO {rec} (history_id, {cols}, recorded_from, recorded_to, op, schema_version, tx_id, meta) \
         SELECT {hid}, {selected}, ?, {max}, \
         CASE WHEN n.deleted_at IS NOT NULL THEN 'delete' WHEN p.graph_id IS NULL OR p.deleted_at IS NOT NULL THEN 'create' ELSE 'update' END, \
         NULL, NULL, {meta} \
         FROM {k} k CROSS JOIN {live} n \
         LEFT JOIN {rec} p ON p.graph_id = n.graph_id AND p.kind = n.kind AND p.id = n.id AND p.recorded_to = ? \
         WHERE n.graph_id = ? AND n.kind = k.kind AND n.id = k.id AND NOT EXISTS (SELECT 1 FROM {rec} o WHERE o.graph_id = n.graph_id AND o.kind = n.kind AND o.id = n.id AND o.recorded_to = {max})",
        hid = history_id(d),
        meta = meta_lit(d),
    ));
    let mut p = vec![Value::Int(rev)];
    p.extend(kp);
    p.push(Value::Int(rev));
    p.push(g);
    ex.execute(&sql, &p).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads

/// `recordedNow`: the clock's high-water mark, `{ revision, recordedAt }` or `null`.
pub async fn now<E: Executor>(ex: &mut E, ctx: &Ctx<'_>) -> Result<String> {
    let sql = ex.dialect().finish(format!(
        "SELECT revision, recorded_at FROM {} WHERE graph_id = ?",
        ctx.tables.recorded_clock
    ));
    let rows = ex
        .query(&sql, &[Value::text(ctx.graph.id())])
        .await
        .map_err(|e| missing_relations(ctx, e))?;
    let Some(r) = rows.first() else {
        return Ok("null".into());
    };
    let rev = r.first().and_then(Value::as_i64).ok_or_else(|| {
        Error::config(
            "The recorded clock holds an invalid revision",
            "RECORDED_CLOCK_INVALID",
        )
    })?;
    let at = opt_str(r, 1)
        .and_then(crate::util::canonical_instant)
        .ok_or_else(|| {
            Error::config(
                "The recorded clock holds an invalid wall time",
                "RECORDED_CLOCK_INVALID",
            )
        })?;
    // `taken`: the open transaction of this connection wrote at this revision (receipts).
    let clock = ctx.tables.recorded_clock.clone();
    let taken = ex.recorded_tx().and_then(|t| t.get(ctx.graph.id(), &clock)) == Some(rev);
    Ok(json!({ "revision": rev, "recordedAt": at, "taken": taken }).to_string())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadArgs {
    /// `node` or `edge`.
    pub entity: String,
    pub kind: String,
    #[serde(default)]
    pub ids: Option<Vec<String>>,
    pub revision: i64,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
    /// Scan: ids after this one, at most `limit` rows, in id order.
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Rows of one kind as recorded at a revision: by id (`ids`, answered in the order asked, `null`
/// where absent) or a page in id order (`limit`, `after`).
pub async fn read<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: ReadArgs) -> Result<String> {
    let d = ex.dialect();
    let edge = a.entity == "edge";
    if edge {
        ctx.graph.edge(&a.kind)?;
    } else {
        ctx.graph.node(&a.kind)?;
    }
    if a.revision < 1 || a.revision >= MAX_REVISION {
        return Err(Error::validation(
            "Invalid recorded revision",
            json!({ "revision": a.revision }),
        ));
    }
    let temporal = super::Temporal {
        temporal_mode: a.temporal_mode.clone(),
        as_of: a.as_of.clone(),
    };
    let (filter, tparams) = temporal.filter("", &crate::util::now_iso())?;
    let (cols, table, props) = if edge {
        (EDGE_COLS, &ctx.tables.recorded_edges, EDGE_PROPS)
    } else {
        (NODE_COLS, &ctx.tables.recorded_nodes, NODE_PROPS)
    };
    let mut sql = format!(
        "SELECT {cols} FROM {table} WHERE graph_id = ? AND kind = ? AND recorded_from <= ? AND recorded_to > ? AND {filter}"
    );
    let mut p = vec![
        Value::text(ctx.graph.id()),
        Value::text(&a.kind),
        Value::Int(a.revision),
        Value::Int(a.revision),
    ];
    p.extend(tparams);
    let id_col = if edge { 0 } else { 1 };
    if let Some(ids) = &a.ids {
        sql.push_str(&format!(" AND {}", d.in_list("id")));
        p.push(Value::TextList(ids.clone()));
        let rows = ex
            .query(&d.finish(sql), &p)
            .await
            .map_err(|e| missing_relations(ctx, e))?;
        let mut by_id: std::collections::HashMap<&str, &Row> = Default::default();
        for r in &rows {
            if let Some(id) = opt_str(r, id_col) {
                if by_id.insert(id, r).is_some() {
                    return Err(overlap(&a.kind, id));
                }
            }
        }
        let mut out = String::from("[");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&super::rows::row_json(
                by_id.get(id.as_str()).copied(),
                props,
            )?);
        }
        out.push(']');
        return Ok(out);
    }
    if let Some(after) = &a.after {
        sql.push_str(" AND id > ?");
        p.push(Value::text(after));
    }
    let limit = a.limit.unwrap_or(1000).clamp(1, 1000);
    sql.push_str(&format!(" ORDER BY id LIMIT {}", limit + 1));
    let rows = ex
        .query(&d.finish(sql), &p)
        .await
        .map_err(|e| missing_relations(ctx, e))?;
    for w in rows.windows(2) {
        if opt_str(&w[0], id_col) == opt_str(&w[1], id_col) {
            return Err(overlap(&a.kind, opt_str(&w[0], id_col).unwrap_or("")));
        }
    }
    let more = rows.len() as i64 > limit;
    let page = &rows[..rows.len().min(limit as usize)];
    Ok(format!(
        "{{\"rows\":{},\"more\":{}}}",
        rows_json(page, props)?,
        more
    ))
}

fn overlap(kind: &str, id: &str) -> Error {
    Error::config(
        format!("Recorded relation invariant violation: more than one recorded row of {kind}/{id} matches the read (overlapping recorded intervals)"),
        "RECORDED_RELATION_INVARIANT_VIOLATION",
    )
}

#[cfg(test)]
mod tests {
    use super::TxRevisions;

    #[test]
    fn a_transaction_keeps_its_revision_until_it_ends() {
        let mut t = TxRevisions::default();
        t.on_begin(); // the caller's transaction
        t.on_begin(); // a captured call's savepoint
        t.take("g", "clock", 7);
        t.on_commit(); // savepoint released: the revision belongs to the transaction
        assert_eq!(t.get("g", "clock"), Some(7));
        assert_eq!(t.get("other", "clock"), None);
        t.on_begin();
        assert_eq!(t.get("g", "clock"), Some(7));
        t.on_rollback(); // a later savepoint rolled back: what the transaction took stays
        assert_eq!(t.get("g", "clock"), Some(7));
        t.on_commit();
        assert_eq!(t.get("g", "clock"), None);
    }

    #[test]
    fn a_rolled_back_level_gives_its_revision_back() {
        let mut t = TxRevisions::default();
        t.on_begin();
        t.on_begin();
        t.take("g", "clock", 3);
        t.on_rollback();
        assert_eq!(t.get("g", "clock"), None);
        t.on_begin();
        t.take("g", "clock", 3);
        t.on_commit();
        t.on_rollback(); // the whole transaction
        assert_eq!(t.get("g", "clock"), None);
    }
}
