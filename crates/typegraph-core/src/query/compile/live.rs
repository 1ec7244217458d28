//! Aggregates over one node kind answered from a declared index (SQLite).
//!
//! A grouped count such as `groupBy(p, "city")` + `count(p)` over a kind with a declared
//! index on `city` could be read from the index alone, but the current-read filter
//! (`deleted_at`, `valid_from`, `valid_to`) lives only in the table row, so every matching
//! row costs a table lookup. Here the filter is turned around: the rows that are *not*
//! visible at the read instant are collected once, through the system indexes on
//! `(graph_id, deleted_at)` and `(graph_id, valid_from, valid_to)` (both read index-only),
//! and the aggregate skips their rowids. The answer is the same row set: a row is visible
//! exactly when it is in none of the three sets (deleted; valid from after the instant;
//! valid until at or before it).

use super::*;

/// How many rows of the kind the check counts at most: a kind with at least this many rows
/// always takes the rowid form.
pub const LIVE_KIND_CAP: i64 = 2048;
/// The rowid form pays for a scan of the graph's entries in `valid_idx` (the "ended" set has
/// no seekable bound); the per-row form pays one table-row lookup per row of the kind, about
/// this many times an index entry.
pub const LIVE_ROW_COST: i64 = 16;
/// How many executions reuse a guard's decision while this connection writes nothing (the
/// counts are taken again after that, for writes other connections made meanwhile). Either
/// form gives the same rows, so a decision that has gone stale costs time, never an answer.
pub const LIVE_REUSE: u32 = 64;

/// A guard's last decision and when it was taken.
#[derive(Clone, Copy, Debug)]
pub struct LiveMemo {
    /// Whether the rowid form pays.
    pub rowid: bool,
    /// The connection's total change count when the decision was taken.
    pub changes: u64,
    /// Executions that reused it since.
    pub uses: u32,
}

/// Picks between the rowid and the per-row visibility forms of an aggregate at execution:
/// the rowid form unless the kind is small and the graph many times larger (a small kind in
/// a large graph, where collecting the hidden rows of the whole graph costs more than
/// reading the kind's rows). The counts are bounded: at most [`LIVE_KIND_CAP`] entries of
/// the kind and `LIVE_ROW_COST` × that of the graph, never more than the per-row form reads.
#[derive(Clone, Debug)]
pub struct LiveGuard {
    /// `SELECT count(*)` of the kind's rows, up to the cap (parameters: graph id, kind).
    pub kind_sql: String,
    /// `SELECT count(*)` of the graph's rows up to a bound (parameters: graph id, limit).
    pub graph_sql: String,
    pub graph_id: String,
    pub kind: String,
    /// The same query with visibility read per row.
    pub plain: std::sync::Arc<Plan>,
    /// The last decision, reused until this connection writes or [`LIVE_REUSE`] runs pass
    /// (the two counts cost about as much as a small aggregate itself).
    pub memo: std::sync::Arc<std::sync::Mutex<Option<LiveMemo>>>,
}

impl LiveGuard {
    /// The memoized decision when it still holds at `changes`, counting this use.
    pub fn reuse(&self, changes: u64) -> Option<bool> {
        let mut m = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        match m.as_mut() {
            Some(d) if d.changes == changes && d.uses < LIVE_REUSE => {
                d.uses += 1;
                Some(d.rowid)
            }
            _ => None,
        }
    }

    pub fn remember(&self, rowid: bool, changes: u64) {
        *self.memo.lock().unwrap_or_else(|p| p.into_inner()) = Some(LiveMemo {
            rowid,
            changes,
            uses: 0,
        });
    }
}

impl<'a> Compiler<'a> {
    /// Whether the outermost select `q` is an aggregate over the start alias alone whose
    /// every field comes from one declared index of its kind (so the rowid form of the
    /// visibility filter lets SQLite skip the table rows).
    pub(super) fn rowid_visibility(&self, q: &Query) -> bool {
        if self.dialect != Dialect::Sqlite
            || self.depth != 0
            || self.search.is_some()
            || !q.hops.is_empty()
            || !q.wheres.is_empty()
            || q.keyset.is_some()
            || q.start.kind.include_sub_classes
            || q.select.is_empty()
        {
            return false;
        }
        let aggregate = q.select.iter().any(|s| s.agg.is_some()) || !q.group_by.is_empty();
        if !aggregate {
            return false;
        }
        match q.temporal.as_ref().and_then(|t| t.mode.as_deref()) {
            None | Some("current") | Some("asOf") | Some("includeEnded") => {}
            _ => return false,
        }
        let Ok(spec) = self.graph.node(&q.start.kind.kind) else {
            return false;
        };
        let start = &q.start.alias;
        // The prop paths the query reads; `None` when it reads anything else of the row.
        let mut paths: Vec<&[String]> = Vec::new();
        for s in &q.select {
            if &s.alias != start {
                return false;
            }
            match s.agg.as_deref() {
                Some("count") if s.col != "prop" || s.path.is_empty() => {}
                Some("count" | "sum" | "avg" | "min" | "max")
                    if s.col == "prop" && !s.path.is_empty() =>
                {
                    paths.push(&s.path)
                }
                Some(_) => return false,
                None if s.col == "prop"
                    && !s.path.is_empty()
                    && matches!(s.value_type.as_deref(), Some("string" | "number" | "date")) =>
                {
                    paths.push(&s.path)
                }
                None => return false,
            }
        }
        for g in &q.group_by {
            if &g.alias != start || g.field.system.is_some() || g.field.path.is_empty() {
                return false;
            }
            paths.push(&g.field.path);
        }
        spec.index_paths
            .iter()
            .any(|ix| paths.iter().all(|p| ix.iter().any(|c| c.as_slice() == *p)))
    }

    /// The guard of a plan whose top-level select took the rowid form (start kind `kind`).
    pub(super) fn live_guard(&self, q: &Query, kind: String) -> Result<LiveGuard> {
        let mut plain = Compiler::new(self.graph, self.tables, self.dialect);
        plain.plain_live = true;
        let nodes = &self.tables.nodes;
        Ok(LiveGuard {
            kind_sql: format!(
                "SELECT count(*) FROM (SELECT 1 FROM {nodes} WHERE graph_id = ?1 AND kind = ?2 LIMIT {LIVE_KIND_CAP})"
            ),
            graph_sql: format!(
                "SELECT count(*) FROM (SELECT 1 FROM {nodes} WHERE graph_id = ?1 LIMIT ?2)"
            ),
            graph_id: self.graph.id().to_string(),
            kind,
            plain: std::sync::Arc::new(plain.plan(q)?),
            memo: Default::default(),
        })
    }

    /// The rowid form of `temporal_filter` for the node alias `t`:
    /// ` AND (NOT EXISTS (hidden) OR t.rowid NOT IN (hidden))`, where `hidden` is the rows
    /// not visible at the read instant. SQLite runs the EXISTS once per statement, so
    /// while no row is hidden the scan pays a register test per row, not a probe.
    pub(super) fn rowid_visibility_filter(&self, q: &Query, t: &str, sql: &mut Sql) -> Result<()> {
        sql.push(" AND (NOT EXISTS (");
        self.hidden_rowids(q, sql)?;
        sql.push(&format!(") OR {t}.rowid NOT IN ("));
        self.hidden_rowids(q, sql)?;
        sql.push("))");
        Ok(())
    }

    /// The rowids of the graph's nodes hidden from the query's temporal mode: deleted,
    /// and (unless `includeEnded`) valid only after the instant or ended at/before it.
    fn hidden_rowids(&self, q: &Query, sql: &mut Sql) -> Result<()> {
        let (mode, as_of) = match &q.temporal {
            Some(tm) => (tm.mode.as_deref().unwrap_or("current"), tm.as_of),
            None => ("current", None),
        };
        let instant = || match (mode, as_of) {
            ("asOf", Some(s)) => Ok(Src::Arg(s.index, Conv::Instant)),
            ("asOf", None) => Err(Error::validation(
                "temporal(\"asOf\") requires an asOf instant",
                json!({}),
            )),
            _ => Ok(Src::Now),
        };
        let nodes = &self.tables.nodes;
        sql.push(&format!("SELECT tg_d.rowid FROM {nodes} tg_d WHERE "));
        self.graph_filter("tg_d", sql);
        sql.push(" AND tg_d.deleted_at IS NOT NULL");
        if mode != "includeEnded" {
            sql.push(&format!(
                " UNION ALL SELECT tg_f.rowid FROM {nodes} tg_f WHERE "
            ));
            self.graph_filter("tg_f", sql);
            sql.push(" AND tg_f.valid_from > ");
            sql.param(instant()?);
            sql.push(&format!(
                " UNION ALL SELECT tg_t.rowid FROM {nodes} tg_t WHERE "
            ));
            self.graph_filter("tg_t", sql);
            sql.push(" AND tg_t.valid_to <= ");
            sql.param(instant()?);
        }
        Ok(())
    }
}
