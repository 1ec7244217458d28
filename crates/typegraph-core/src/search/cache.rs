//! Engine-side exact vector search on SQLite: each (graph, kind, field) vector
//! table is held in memory as one contiguous `f32` matrix, loaded lazily from
//! its `vec0` table and kept in step with this connection's writes.
//!
//! Writes made inside a transaction are journaled with their nesting depth and
//! applied when the outermost transaction commits (dropped on rollback), so the
//! matrix only ever reflects committed data. A slot with uncommitted writes is
//! searched through SQL instead. Commits by other connections are detected with
//! `PRAGMA data_version` and drop every loaded slot.

use super::hnsw::{Hnsw, Rows};
use super::Metric;
use std::collections::{BinaryHeap, HashMap};

/// One loaded vector table.
pub struct Slot {
    pub dims: usize,
    pub metric: Metric,
    /// Row → node id; rows of deleted ids stay (as `dead`) while an ANN graph indexes them.
    pub ids: Vec<String>,
    pub pos: HashMap<String, usize>,
    /// Row-major, `dims` floats per row; unit-normalised for cosine.
    pub data: Vec<f32>,
    /// Rows whose id was deleted or re-written to another row.
    pub dead: Vec<bool>,
    pub dead_count: usize,
    /// The approximate index over the rows (HNSW), when the field asks for one.
    pub ann: Option<Hnsw>,
    /// `(m, ef_construction)` the ANN graph is (re)built with.
    pub ann_params: Option<(usize, usize)>,
    /// The rows quantised to int8 (`dims` per row) for the exact search's first pass:
    /// a quarter of the memory traffic, with a proven error bound per row.
    q8: Vec<i8>,
    /// Per row: quantisation step `s` (value = s · q), ‖dequantised row‖₁, ‖row‖².
    qmeta: Vec<[f32; 3]>,
}

/// A float distance at a graph node costs about this many int8 row passes of the exact scan.
const WALK_COST: f64 = 3.0;

pub enum Op {
    Upsert(String, Vec<f32>),
    Delete(String),
}

#[derive(Default)]
pub struct SqliteSearch {
    pub slots: HashMap<String, Slot>,
    /// (transaction depth, table, op) not yet committed.
    journal: Vec<(u32, String, Op)>,
    pub data_version: Option<i64>,
    /// Slots with an ANN graph set aside when another connection committed: reconciled
    /// with the table on next load instead of rebuilding the graph (see [`Slot::adopt`]).
    pub stale: HashMap<String, Slot>,
}

/// An ANN graph and the rows it was built over, to be reconciled with a fresh read of the
/// table: `ids[r]` is row `r`'s node id (`None` for a retired row), `hashes[r]` a hash of
/// its (normalised) vector, `data` the rows themselves when known.
pub struct AnnBase {
    pub ids: Vec<Option<String>>,
    pub hashes: Vec<u64>,
    pub data: Option<Vec<f32>>,
    pub ann: Hnsw,
}

/// A 64-bit hash of a row's bits (a change of any bit changes it with near certainty).
pub fn row_hash(v: &[f32]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (v.len() as u64);
    for x in v {
        h = (h ^ x.to_bits() as u64).wrapping_mul(0x0100_0000_01b3);
        h ^= h >> 29;
    }
    h
}

impl SqliteSearch {
    /// Drops every loaded slot (reloaded on next search).
    pub fn invalidate(&mut self) {
        self.slots.clear();
        self.stale.clear();
        self.journal.clear();
        self.data_version = None;
    }

    /// Whether `table` has writes not yet committed on this connection.
    pub fn dirty(&self, table: &str) -> bool {
        self.journal.iter().any(|(_, t, _)| t == table)
    }

    /// Records a write made at transaction `depth` (0 = autocommit, applied now).
    pub fn record(&mut self, depth: u32, table: &str, op: Op) {
        if depth == 0 {
            self.apply(table, op);
        } else {
            // Data only matters for loaded slots; others just need the dirty mark.
            let op = if self.slots.contains_key(table) {
                op
            } else {
                match op {
                    Op::Upsert(id, _) => Op::Delete(id),
                    d => d,
                }
            };
            self.journal.push((depth, table.to_string(), op));
        }
    }

    /// Called after a successful COMMIT / RELEASE at `depth` (before it is decremented).
    pub fn on_commit(&mut self, depth: u32) {
        if self.journal.is_empty() {
            return;
        }
        if depth <= 1 {
            for (_, table, op) in std::mem::take(&mut self.journal) {
                self.apply(&table, op);
            }
        } else {
            for e in &mut self.journal {
                if e.0 >= depth {
                    e.0 = depth - 1;
                }
            }
        }
    }

    /// Called after a ROLLBACK at `depth` (before it is decremented).
    pub fn on_rollback(&mut self, depth: u32, ok: bool) {
        if !ok {
            self.invalidate();
            return;
        }
        self.journal.retain(|(d, _, _)| *d < depth);
    }

    fn apply(&mut self, table: &str, op: Op) {
        let Some(slot) = self.slots.get_mut(table) else {
            return;
        };
        match op {
            Op::Upsert(id, mut v) => {
                if v.len() != slot.dims {
                    self.slots.remove(table);
                    return;
                }
                if slot.metric == Metric::Cosine {
                    normalize(&mut v);
                }
                slot.upsert(id, &v);
            }
            Op::Delete(id) => slot.delete(&id),
        }
    }
}

impl Slot {
    pub fn new(dims: usize, metric: Metric) -> Slot {
        Slot {
            dims,
            metric,
            ids: Vec::new(),
            pos: HashMap::new(),
            data: Vec::new(),
            dead: Vec::new(),
            dead_count: 0,
            ann: None,
            ann_params: None,
            q8: Vec::new(),
            qmeta: Vec::new(),
        }
    }

    /// Live rows.
    pub fn live(&self) -> usize {
        self.ids.len() - self.dead_count
    }

    /// One flag per row: whether its node id is among `ids` (and the row is live), with
    /// the number of rows set — a filter evaluated once, checked by index in the scans.
    pub fn admit<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> (Vec<bool>, usize) {
        let mut bits = vec![false; self.ids.len()];
        let mut count = 0;
        for id in ids {
            if let Some(&i) = self.pos.get(id) {
                if !bits[i] {
                    bits[i] = true;
                    count += 1;
                }
            }
        }
        (bits, count)
    }

    /// Whether walking the ANN graph with a filter admitting `admitted` live rows is
    /// expected to cost less than scanning those rows exactly. The walk computes about
    /// `ef · 2m` distances per admitted share of the rows it passes (`live / admitted`
    /// times the unfiltered work); the scan reads `admitted` int8 rows, a few times
    /// cheaper each than a float distance at a random row.
    pub fn walk_beats_scan(&self, admitted: usize, ef: usize) -> bool {
        let Some(ann) = self.ann.as_ref() else {
            return false;
        };
        let live = self.live().max(1) as f64;
        let a = admitted.max(1) as f64;
        let walk = ef as f64 * (2 * ann.params().0) as f64 * (live / a);
        walk * WALK_COST < a
    }

    fn rows(&self) -> Rows<'_> {
        Rows {
            data: &self.data,
            dims: self.dims,
            metric: self.metric,
        }
    }

    fn push(&mut self, id: String, v: &[f32]) {
        let row = self.ids.len();
        self.pos.insert(id.clone(), row);
        self.ids.push(id);
        self.dead.push(false);
        self.data.extend_from_slice(v);
        let meta = quantize(v, &mut self.q8);
        self.qmeta.push(meta);
        if let Some(mut ann) = self.ann.take() {
            ann.insert(&self.rows(), row as u32);
            self.ann = Some(ann);
        }
    }

    /// `v` already normalised when the metric is cosine.
    pub fn upsert(&mut self, id: String, v: &[f32]) {
        match self.pos.get(&id) {
            Some(&i) if self.ann.is_none() => {
                let d = self.dims;
                self.data[i * d..(i + 1) * d].copy_from_slice(v);
                let mut q = Vec::with_capacity(d);
                self.qmeta[i] = quantize(v, &mut q);
                self.q8[i * d..(i + 1) * d].copy_from_slice(&q);
            }
            Some(_) => {
                // The graph links this row by its old vector: retire it, index the new one.
                self.delete(&id);
                self.push(id, v);
            }
            None => self.push(id, v),
        }
    }

    pub fn delete(&mut self, id: &str) {
        let Some(i) = self.pos.remove(id) else {
            return;
        };
        if self.ann.is_some() {
            self.dead[i] = true;
            self.dead_count += 1;
            if self.dead_count > 1024 && self.dead_count * 4 > self.ids.len() {
                self.compact();
            }
            return;
        }
        let last = self.ids.len() - 1;
        if i != last {
            let d = self.dims;
            self.data.copy_within(last * d..(last + 1) * d, i * d);
            self.q8.copy_within(last * d..(last + 1) * d, i * d);
            self.qmeta.swap(i, last);
            self.ids.swap(i, last);
            self.pos.insert(self.ids[i].clone(), i);
        }
        self.ids.pop();
        self.dead.pop();
        self.qmeta.pop();
        self.data.truncate(last * self.dims);
        self.q8.truncate(last * self.dims);
    }

    /// The slot's ANN graph with its rows, for [`Slot::adopt`]; `None` without a graph.
    pub fn into_base(self) -> Option<AnnBase> {
        let ann = self.ann?;
        let d = self.dims;
        let hashes = (0..self.ids.len())
            .map(|i| row_hash(&self.data[i * d..(i + 1) * d]))
            .collect();
        let ids = self
            .ids
            .into_iter()
            .zip(&self.dead)
            .map(|(id, dead)| (!dead).then_some(id))
            .collect();
        Some(AnnBase {
            ids,
            hashes,
            data: Some(self.data),
            ann,
        })
    }

    /// The slot `fresh` (just read from the table, no graph) indexed by `base`'s graph:
    /// rows of `base` whose id still has the same vector stay live in place; rows whose id
    /// is gone or whose vector changed are retired (kept as connectors); every other fresh
    /// row is inserted into the graph. The answer is the table's content whatever `base`
    /// holds. Returns the slot and how many rows changed; `None` when `base` does not fit.
    pub fn adopt(fresh: &Slot, base: AnnBase) -> Option<(Slot, usize)> {
        let d = fresh.dims;
        let n = base.ids.len();
        if base.ann.len() != n
            || base.hashes.len() != n
            || base.data.as_ref().is_some_and(|x| x.len() != n * d)
        {
            return None;
        }
        let mut slot = Slot::new(d, fresh.metric);
        slot.ann_params = Some(base.ann.params());
        let mut placed = vec![false; fresh.ids.len()];
        let mut changed = 0usize;
        slot.data.reserve(n * d);
        for r in 0..n {
            let at = base.ids[r]
                .as_ref()
                .and_then(|id| fresh.pos.get(id).copied());
            let live = at.filter(|&j| {
                !placed[j] && row_hash(&fresh.data[j * d..(j + 1) * d]) == base.hashes[r]
            });
            let row: &[f32] = match (live, &base.data, at) {
                (Some(j), _, _) => &fresh.data[j * d..(j + 1) * d],
                (None, Some(old), _) => &old[r * d..(r + 1) * d],
                (None, None, Some(j)) => &fresh.data[j * d..(j + 1) * d],
                (None, None, None) => &[],
            };
            if row.is_empty() {
                slot.data.extend(std::iter::repeat_n(0f32, d));
            } else {
                slot.data.extend_from_slice(row);
            }
            let meta = quantize(&slot.data[r * d..(r + 1) * d], &mut slot.q8);
            slot.qmeta.push(meta);
            match live {
                Some(j) => {
                    placed[j] = true;
                    let id = fresh.ids[j].clone();
                    slot.pos.insert(id.clone(), r);
                    slot.ids.push(id);
                    slot.dead.push(false);
                }
                None => {
                    if base.ids[r].is_some() {
                        changed += 1;
                    }
                    slot.ids.push(String::new());
                    slot.dead.push(true);
                    slot.dead_count += 1;
                }
            }
        }
        slot.ann = Some(base.ann);
        for (j, done) in placed.iter().enumerate() {
            if !done {
                changed += 1;
                slot.push(fresh.ids[j].clone(), &fresh.data[j * d..(j + 1) * d]);
            }
        }
        if slot.dead_count > 1024 && slot.dead_count * 4 > slot.ids.len() {
            slot.compact();
        }
        Some((slot, changed))
    }

    /// Drops dead rows and rebuilds the ANN graph over the live ones.
    fn compact(&mut self) {
        let d = self.dims;
        let mut data = Vec::with_capacity(self.live() * d);
        let mut q8 = Vec::with_capacity(self.live() * d);
        let mut qmeta = Vec::with_capacity(self.live());
        let mut ids = Vec::with_capacity(self.live());
        for (i, id) in self.ids.iter().enumerate() {
            if !self.dead[i] {
                data.extend_from_slice(&self.data[i * d..(i + 1) * d]);
                q8.extend_from_slice(&self.q8[i * d..(i + 1) * d]);
                qmeta.push(self.qmeta[i]);
                ids.push(id.clone());
            }
        }
        self.q8 = q8;
        self.qmeta = qmeta;
        self.pos = ids
            .iter()
            .enumerate()
            .map(|(i, x)| (x.clone(), i))
            .collect();
        self.dead = vec![false; ids.len()];
        self.dead_count = 0;
        self.ids = ids;
        self.data = data;
        if let Some((m, ef)) = self.ann_params {
            self.build_ann(m, ef);
        }
    }

    /// (Re)builds the ANN graph over every row.
    pub fn build_ann(&mut self, m: usize, ef_construction: usize) {
        self.ann_params = Some((m, ef_construction));
        let mut h = Hnsw::new(m, ef_construction);
        {
            let rows = self.rows();
            for i in 0..self.ids.len() as u32 {
                h.insert(&rows, i);
            }
        }
        self.ann = Some(h);
    }

    /// Approximate top-`k` (row, distance as reported) among live rows admitted by `keep`.
    pub fn ann_top(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Option<Vec<(usize, f32)>> {
        let ann = self.ann.as_ref()?;
        let mut q = query.to_vec();
        if self.metric == Metric::Cosine {
            normalize(&mut q);
        }
        let admit = |i: u32| !self.dead[i as usize] && keep.is_none_or(|f| f(i as usize));
        let hits = ann.search(&self.rows(), &q, k, ef, &admit);
        Some(
            hits.into_iter()
                .map(|(i, dd)| {
                    let v = if self.metric == Metric::L2 {
                        dd.sqrt()
                    } else {
                        dd
                    };
                    (i as usize, v)
                })
                .collect(),
        )
    }

    /// The `m` nearest rows as (row index, distance), nearest first. `keep` filters rows;
    /// `max_dist` drops rows farther than it. Distances follow sqlite-vec/pgvector:
    /// cosine `1 - cos`, l2 Euclidean, inner product `-dot`.
    pub fn top(
        &self,
        query: &[f32],
        m: usize,
        max_dist: Option<f32>,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        let mut q = query.to_vec();
        if self.metric == Metric::Cosine {
            normalize(&mut q);
        }
        let d = self.dims;
        let n = self.ids.len();
        if m == 0 || n == 0 {
            return Vec::new();
        }
        let shortlist = if n > 4 * m + 64 {
            Some(self.shortlist(&q, m, keep))
        } else {
            None
        };
        let rows: Box<dyn Iterator<Item = usize>> = match &shortlist {
            Some(c) => Box::new(c.iter().copied()),
            None => Box::new(0..n),
        };
        // Max-heap on distance keeps the m best seen so far.
        let mut heap: BinaryHeap<(OrdF32, usize)> = BinaryHeap::with_capacity(m + 1);
        for i in rows {
            if self.dead_count > 0 && self.dead[i] {
                continue;
            }
            // The filter first: a rejected row costs no distance.
            if shortlist.is_none() && keep.is_some_and(|k| !k(i)) {
                continue;
            }
            let row = &self.data[i * d..(i + 1) * d];
            let dist = match self.metric {
                Metric::Cosine => 1.0 - dot(row, &q),
                Metric::InnerProduct => -dot(row, &q),
                Metric::L2 => l2sq(row, &q),
            };
            if heap.len() == m && dist >= heap.peek().map(|t| t.0 .0).unwrap_or(f32::MAX) {
                continue;
            }
            let dist_cmp = if self.metric == Metric::L2 {
                dist.sqrt()
            } else {
                dist
            };
            if max_dist.is_some_and(|x| dist_cmp > x) {
                continue;
            }
            heap.push((OrdF32(dist), i));
            if heap.len() > m {
                heap.pop();
            }
        }
        let mut out: Vec<(usize, f32)> = heap
            .into_iter()
            .map(|(dd, i)| {
                let v = if self.metric == Metric::L2 {
                    dd.0.sqrt()
                } else {
                    dd.0
                };
                (i, v)
            })
            .collect();
        out.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then_with(|| self.ids[a.0].cmp(&self.ids[b.0]))
        });
        out
    }
}

impl Slot {
    /// Rows that can be among the `m` nearest live rows admitted by `keep`, in row order:
    /// distances from the int8 rows with a per-row error bound (`|exact − approx| ≤ b`);
    /// every row whose lower bound is within the m-th smallest upper bound is kept, so
    /// re-ranking the shortlist exactly gives the exact answer. Rows `keep` rejects are
    /// skipped before any arithmetic.
    fn shortlist(&self, q: &[f32], m: usize, keep: Option<&dyn Fn(usize) -> bool>) -> Vec<usize> {
        let d = self.dims;
        let mut qq = Vec::with_capacity(d);
        let [sq, _, q_norm2] = quantize(q, &mut qq);
        let q_l1: f32 = q.iter().map(|x| x.abs()).sum();
        let mut uppers: BinaryHeap<OrdF32> = BinaryHeap::with_capacity(m + 1);
        let mut cands: Vec<(usize, f32)> = Vec::new();
        let slack = 1e-4;
        for i in 0..self.ids.len() {
            if self.dead_count > 0 && self.dead[i] {
                continue;
            }
            if keep.is_some_and(|k| !k(i)) {
                continue;
            }
            let [s, l1, norm2] = self.qmeta[i];
            let dot_approx = idot(&self.q8[i * d..(i + 1) * d], &qq) as f32 * s * sq;
            let err = 0.5 * (s * q_l1 + sq * l1) + slack;
            let (approx, bound) = match self.metric {
                Metric::Cosine => (1.0 - dot_approx, err),
                Metric::InnerProduct => (-dot_approx, err),
                Metric::L2 => (norm2 + q_norm2 - 2.0 * dot_approx, 2.0 * err),
            };
            let (lo, hi) = (approx - bound, approx + bound);
            let cut = if uppers.len() == m {
                uppers.peek().map_or(f32::MAX, |u| u.0)
            } else {
                f32::MAX
            };
            if lo > cut {
                continue;
            }
            cands.push((i, lo));
            if hi < cut {
                uppers.push(OrdF32(hi));
                if uppers.len() > m {
                    uppers.pop();
                }
            }
        }
        let cut = uppers.peek().map_or(f32::MAX, |u| u.0);
        cands
            .into_iter()
            .filter(|c| c.1 <= cut)
            .map(|c| c.0)
            .collect()
    }
}

/// Quantises `v` to int8 into `out`; returns `[step, ‖dequantised‖₁, ‖v‖²]`.
fn quantize(v: &[f32], out: &mut Vec<i8>) -> [f32; 3] {
    let max = v.iter().fold(0f32, |a, x| a.max(x.abs()));
    let s = if max > 0.0 { max / 127.0 } else { 1.0 };
    let mut l1 = 0i64;
    for x in v {
        let q = (x / s).round().clamp(-127.0, 127.0) as i8;
        l1 += (q as i64).abs();
        out.push(q);
    }
    [s, l1 as f32 * s, v.iter().map(|x| x * x).sum()]
}

/// Integer dot product of two int8 rows.
#[inline]
fn idot(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU supports AVX2 (checked above).
        return unsafe { simd::idot(a, b) };
    }
    a.iter().zip(b).map(|(x, y)| *x as i32 * *y as i32).sum()
}

#[derive(Clone, Copy)]
struct OrdF32(f32);
impl PartialEq for OrdF32 {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}
impl Eq for OrdF32 {}
impl PartialOrd for OrdF32 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OrdF32 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

pub fn normalize(v: &mut [f32]) {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        for x in v {
            *x /= n;
        }
    }
}

/// Whether this CPU has AVX2 + FMA (checked once; the macro caches the answer).
#[inline]
fn wide() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Dot product; 8-lane FMA on CPUs that have it, a 16-accumulator loop otherwise.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above).
        return unsafe { simd::dot(a, b) };
    }
    dot_portable(a, b)
}

/// Squared Euclidean distance, dispatched like [`dot`].
#[inline]
pub fn l2sq(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if wide() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above).
        return unsafe { simd::l2sq(a, b) };
    }
    l2sq_portable(a, b)
}

fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let ca = a.chunks_exact(16);
    let cb = b.chunks_exact(16);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..16 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

fn l2sq_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let ca = a.chunks_exact(16);
    let cb = b.chunks_exact(16);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..16 {
            let t = x[k] - y[k];
            acc[k] += t * t;
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        let t = x - y;
        s += t * t;
    }
    s
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hsum(v: __m256) -> f32 {
        let mut buf = [0f32; 8];
        _mm256_storeu_ps(buf.as_mut_ptr(), v);
        buf.iter().sum()
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i + 16 <= n {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s0);
            s1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                s1,
            );
            i += 16;
        }
        let mut r = hsum(_mm256_add_ps(s0, s1));
        while i < n {
            r += a[i] * b[i];
            i += 1;
        }
        r
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn idot(a: &[i8], b: &[i8]) -> i32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = _mm256_setzero_si256();
        let mut i = 0;
        while i + 16 <= n {
            let x = _mm256_cvtepi8_epi16(_mm_loadu_si128(pa.add(i) as *const __m128i));
            let y = _mm256_cvtepi8_epi16(_mm_loadu_si128(pb.add(i) as *const __m128i));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
            i += 16;
        }
        let mut buf = [0i32; 8];
        _mm256_storeu_si256(buf.as_mut_ptr() as *mut __m256i, acc);
        let mut r: i32 = buf.iter().sum();
        while i < n {
            r += a[i] as i32 * b[i] as i32;
            i += 1;
        }
        r
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn l2sq(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i + 16 <= n {
            let d0 = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
            let d1 = _mm256_sub_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
            );
            s0 = _mm256_fmadd_ps(d0, d0, s0);
            s1 = _mm256_fmadd_ps(d1, d1, s1);
            i += 16;
        }
        let mut r = hsum(_mm256_add_ps(s0, s1));
        while i < n {
            let t = a[i] - b[i];
            r += t * t;
            i += 1;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_applies_on_outer_commit_only() {
        let mut s = SqliteSearch::default();
        s.slots.insert("t".into(), Slot::new(2, Metric::L2));
        s.record(1, "t", Op::Upsert("a".into(), vec![1.0, 0.0]));
        s.record(2, "t", Op::Upsert("b".into(), vec![0.0, 1.0]));
        s.on_rollback(2, true);
        assert!(s.dirty("t"));
        s.on_commit(1);
        let slot = &s.slots["t"];
        assert_eq!(slot.ids, vec!["a".to_string()]);
        let top = slot.top(&[1.0, 0.0], 5, None, None);
        assert_eq!(top.len(), 1);
        assert!(top[0].1.abs() < 1e-6);
    }

    #[test]
    fn adopt_reconciles_a_graph_with_the_table() {
        let dims = 6;
        let mut seed = 11u64;
        let mut r = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let mut vecs: Vec<Vec<f32>> = (0..1200)
            .map(|_| (0..dims).map(|_| r()).collect())
            .collect();
        let mut old = Slot::new(dims, Metric::L2);
        for (i, v) in vecs.iter().enumerate() {
            old.upsert(format!("r{i}"), v);
        }
        old.build_ann(8, 40);
        // The table moves on: r3 changes, r4 goes, "new" arrives.
        vecs[3] = (0..dims).map(|_| r()).collect();
        let mut fresh = Slot::new(dims, Metric::L2);
        for (i, v) in vecs.iter().enumerate() {
            if i != 4 {
                fresh.upsert(format!("r{i}"), v);
            }
        }
        let newv: Vec<f32> = (0..dims).map(|_| r()).collect();
        fresh.upsert("new".into(), &newv);
        let base = old.into_base().expect("graph");
        let (slot, changed) = Slot::adopt(&fresh, base).expect("fits");
        // r3 retired + re-inserted, r4 retired, "new" inserted.
        assert_eq!(changed, 4);
        assert_eq!(slot.live(), fresh.live());
        assert!(slot.ann.is_some());
        let hit = |q: &[f32]| {
            let top = slot.ann_top(q, 1, 50, None).expect("graph");
            slot.ids[top[0].0].clone()
        };
        assert_eq!(hit(&newv), "new");
        assert_eq!(hit(&vecs[3]), "r3");
        assert_ne!(hit(&vecs[4]), "r4");
        assert_eq!(hit(&vecs[10]), "r10");
        // A graph over other rows does not fit.
        let mut other = Slot::new(dims, Metric::L2);
        other.upsert("x".into(), &newv);
        other.build_ann(8, 40);
        let mut base = other.into_base().expect("graph");
        base.hashes.pop();
        assert!(Slot::adopt(&fresh, base).is_none());
    }

    #[test]
    fn quantised_shortlist_keeps_the_exact_answer() {
        let dims = 96;
        let mut seed = 3u64;
        let mut r = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        for metric in [Metric::Cosine, Metric::L2, Metric::InnerProduct] {
            let mut slot = Slot::new(dims, metric);
            for i in 0..3000 {
                let mut v: Vec<f32> = (0..dims).map(|_| r()).collect();
                if metric == Metric::Cosine {
                    normalize(&mut v);
                }
                slot.upsert(format!("r{i}"), &v);
            }
            let brute = |q: &[f32], keep: &dyn Fn(usize) -> bool| {
                let mut qn = q.to_vec();
                if metric == Metric::Cosine {
                    normalize(&mut qn);
                }
                let mut all: Vec<(usize, f32)> = (0..slot.ids.len())
                    .filter(|&i| keep(i))
                    .map(|i| {
                        let row = &slot.data[i * dims..(i + 1) * dims];
                        let d = match metric {
                            Metric::Cosine => 1.0 - dot(row, &qn),
                            Metric::InnerProduct => -dot(row, &qn),
                            Metric::L2 => l2sq(row, &qn).sqrt(),
                        };
                        (i, d)
                    })
                    .collect();
                all.sort_by(|a, b| {
                    a.1.total_cmp(&b.1)
                        .then_with(|| slot.ids[a.0].cmp(&slot.ids[b.0]))
                });
                all.truncate(10);
                all.into_iter().map(|x| x.0).collect::<Vec<_>>()
            };
            let ids = |v: Vec<(usize, f32)>| v.into_iter().map(|x| x.0).collect::<Vec<_>>();
            for _ in 0..20 {
                let q: Vec<f32> = (0..dims).map(|_| r()).collect();
                assert_eq!(ids(slot.top(&q, 10, None, None)), brute(&q, &|_| true));
                // A filter admitting one row in 7, as a bitmap built from ids.
                let (bits, count) = slot.admit(
                    (0..3000)
                        .filter(|i| i % 7 == 0)
                        .map(|i| format!("r{i}"))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str),
                );
                assert_eq!(count, 429);
                let keep = |i: usize| bits[i];
                assert_eq!(ids(slot.top(&q, 10, None, Some(&keep))), brute(&q, &keep));
            }
        }
    }

    #[test]
    fn simd_and_portable_kernels_agree() {
        let a: Vec<f32> = (0..389)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0)
            .collect();
        let b: Vec<f32> = (0..389)
            .map(|i| ((i * 53 % 89) as f32 - 44.0) / 13.0)
            .collect();
        assert!((dot(&a, &b) - dot_portable(&a, &b)).abs() < 1e-2);
        assert!((l2sq(&a, &b) - l2sq_portable(&a, &b)).abs() < 1e-2);
        let x: Vec<i8> = (0..389)
            .map(|i| ((i * 37 % 255) as i32 - 127) as i8)
            .collect();
        let y: Vec<i8> = (0..389)
            .map(|i| ((i * 53 % 251) as i32 - 125) as i8)
            .collect();
        let portable: i32 = x.iter().zip(&y).map(|(a, b)| *a as i32 * *b as i32).sum();
        assert_eq!(idot(&x, &y), portable);
    }

    #[test]
    fn delete_swaps_last_row_in() {
        let mut slot = Slot::new(1, Metric::L2);
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            slot.upsert(id.to_string(), &[i as f32]);
        }
        slot.delete("a");
        assert_eq!(slot.pos["c"], 0);
        assert_eq!(slot.data, vec![2.0, 1.0]);
        let top = slot.top(&[2.0], 1, None, None);
        assert_eq!(slot.ids[top[0].0], "c");
    }
}
