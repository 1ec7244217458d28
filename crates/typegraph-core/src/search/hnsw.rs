//! A hierarchical navigable small-world graph (Malkov & Yashunin) over the rows of a
//! vector slot: approximate nearest-neighbour search for large collections on SQLite.
//!
//! Nodes are slot rows (the slot's storage is append-only while an index is attached,
//! so a row id never moves). Deleted rows stay in the graph as connectors and are
//! never returned; the slot rebuilds the graph when too many accumulate. Neighbour
//! lists are chosen with the paper's diversity heuristic (filled up with the nearest
//! pruned candidates), which keeps recall high on clustered data.

use super::cache::{dot, l2sq};
use super::Metric;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Mutex;

#[derive(Clone, Copy, PartialEq)]
struct Cand(f32, u32);
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then_with(|| self.1.cmp(&o.1))
    }
}

/// The vectors the graph indexes: row-major, `dims` floats per row.
pub struct Rows<'a> {
    pub data: &'a [f32],
    pub dims: usize,
    pub metric: Metric,
}

impl Rows<'_> {
    #[inline]
    fn row(&self, i: u32) -> &[f32] {
        let d = self.dims;
        &self.data[i as usize * d..(i as usize + 1) * d]
    }
    /// Distance with the same ordering as the metric (cosine rows are unit-normalised).
    #[inline]
    pub fn dist(&self, q: &[f32], i: u32) -> f32 {
        let r = self.row(i);
        match self.metric {
            Metric::Cosine => 1.0 - dot(q, r),
            Metric::InnerProduct => -dot(q, r),
            Metric::L2 => l2sq(q, r),
        }
    }
}

pub struct Hnsw {
    m: usize,
    m0: usize,
    ef_construction: usize,
    ml: f64,
    /// Per node, per level (0 = base), its neighbours.
    links: Vec<Vec<Vec<u32>>>,
    entry: Option<u32>,
    max_level: usize,
    rng: u64,
    visited: Mutex<(Vec<u32>, u32)>,
}

impl Hnsw {
    pub fn new(m: usize, ef_construction: usize) -> Hnsw {
        let m = m.clamp(2, 100);
        Hnsw {
            m,
            m0: m * 2,
            ef_construction: ef_construction.max(m),
            ml: 1.0 / (m as f64).ln(),
            links: Vec::new(),
            entry: None,
            max_level: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            visited: Mutex::new((Vec::new(), 0)),
        }
    }

    pub fn len(&self) -> usize {
        self.links.len()
    }

    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    fn next_level(&mut self) -> usize {
        // xorshift64*; deterministic per graph so builds are reproducible.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let u = ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        ((-u.ln() * self.ml).floor() as usize).min(16)
    }

    /// Adds row `id` (must be the next row: `id == self.len()`).
    pub fn insert(&mut self, rows: &Rows<'_>, id: u32) {
        debug_assert_eq!(id as usize, self.links.len());
        let level = self.next_level();
        self.links.push(vec![Vec::new(); level + 1]);
        let Some(mut ep) = self.entry else {
            self.entry = Some(id);
            self.max_level = level;
            return;
        };
        let q = rows.row(id).to_vec();
        let mut ep_d = rows.dist(&q, ep);
        for l in (level + 1..=self.max_level).rev() {
            (ep, ep_d) = self.greedy(rows, &q, ep, ep_d, l);
        }
        let mut eps = vec![Cand(ep_d, ep)];
        for l in (0..=level.min(self.max_level)).rev() {
            let found = self.search_layer(rows, &q, &eps, self.ef_construction, l, None);
            let cap = if l == 0 { self.m0 } else { self.m };
            let chosen = self.select(rows, &found, self.m);
            self.links[id as usize][l] = chosen.iter().map(|c| c.1).collect();
            for c in &chosen {
                let n = c.1 as usize;
                self.links[n][l].push(id);
                if self.links[n][l].len() > cap {
                    let nv = rows.row(c.1).to_vec();
                    let cands: Vec<Cand> = self.links[n][l]
                        .iter()
                        .map(|&x| Cand(rows.dist(&nv, x), x))
                        .collect();
                    let mut cands = cands;
                    cands.sort();
                    let kept = self.select(rows, &cands, cap);
                    self.links[n][l] = kept.iter().map(|c| c.1).collect();
                }
            }
            eps = found;
        }
        if level > self.max_level {
            self.max_level = level;
            self.entry = Some(id);
        }
    }

    fn greedy(&self, rows: &Rows<'_>, q: &[f32], mut ep: u32, mut d: f32, l: usize) -> (u32, f32) {
        loop {
            let mut moved = false;
            for &n in &self.links[ep as usize][l] {
                let nd = rows.dist(q, n);
                if nd < d {
                    d = nd;
                    ep = n;
                    moved = true;
                }
            }
            if !moved {
                return (ep, d);
            }
        }
    }

    /// The `ef` nearest nodes reachable from `eps` on level `l`, nearest first. With `keep`,
    /// only nodes it admits count toward the result (all nodes are still traversed).
    fn search_layer(
        &self,
        rows: &Rows<'_>,
        q: &[f32],
        eps: &[Cand],
        ef: usize,
        l: usize,
        keep: Option<&dyn Fn(u32) -> bool>,
    ) -> Vec<Cand> {
        let mut guard = self.visited.lock().unwrap_or_else(|p| p.into_inner());
        let (marks, stamp) = &mut *guard;
        if marks.len() < self.links.len() {
            marks.resize(self.links.len(), 0);
        }
        *stamp = stamp.wrapping_add(1);
        if *stamp == 0 {
            marks.iter_mut().for_each(|x| *x = 0);
            *stamp = 1;
        }
        let s = *stamp;
        let mut cands: BinaryHeap<std::cmp::Reverse<Cand>> = BinaryHeap::new();
        let mut best: BinaryHeap<Cand> = BinaryHeap::new();
        for &c in eps {
            marks[c.1 as usize] = s;
            cands.push(std::cmp::Reverse(c));
            if keep.is_none_or(|k| k(c.1)) {
                best.push(c);
            }
        }
        while best.len() > ef {
            best.pop();
        }
        while let Some(std::cmp::Reverse(c)) = cands.pop() {
            if best.len() >= ef && c.0 > best.peek().map_or(f32::MAX, |b| b.0) {
                break;
            }
            for &n in &self.links[c.1 as usize][l] {
                if marks[n as usize] == s {
                    continue;
                }
                marks[n as usize] = s;
                let d = rows.dist(q, n);
                if best.len() < ef || d < best.peek().map_or(f32::MAX, |b| b.0) {
                    cands.push(std::cmp::Reverse(Cand(d, n)));
                    if keep.is_none_or(|k| k(n)) {
                        best.push(Cand(d, n));
                        if best.len() > ef {
                            best.pop();
                        }
                    }
                }
            }
        }
        best.into_sorted_vec()
    }

    /// The neighbour-diversity heuristic over `cands` (nearest first), filled up to `m`.
    fn select(&self, rows: &Rows<'_>, cands: &[Cand], m: usize) -> Vec<Cand> {
        let mut out: Vec<Cand> = Vec::with_capacity(m);
        let mut pruned = Vec::new();
        for &c in cands {
            if out.len() >= m {
                break;
            }
            let cv = rows.row(c.1);
            if out.iter().all(|r| rows.dist(cv, r.1) > c.0) {
                out.push(c);
            } else {
                pruned.push(c);
            }
        }
        for c in pruned {
            if out.len() >= m {
                break;
            }
            out.push(c);
        }
        out
    }

    /// The `k` nearest rows admitted by `keep` (alive and matching a filter), nearest first,
    /// searching with a frontier of `ef` (at least `k`).
    pub fn search(
        &self,
        rows: &Rows<'_>,
        q: &[f32],
        k: usize,
        ef: usize,
        keep: &dyn Fn(u32) -> bool,
    ) -> Vec<(u32, f32)> {
        let Some(mut ep) = self.entry else {
            return Vec::new();
        };
        let mut d = rows.dist(q, ep);
        for l in (1..=self.max_level).rev() {
            (ep, d) = self.greedy(rows, q, ep, d, l);
        }
        let found = self.search_layer(rows, q, &[Cand(d, ep)], ef.max(k), 0, Some(keep));
        found.into_iter().take(k).map(|c| (c.1, c.0)).collect()
    }

    /// `(m, ef_construction)` the graph was built with.
    pub fn params(&self) -> (usize, usize) {
        (self.m, self.ef_construction)
    }

    /// The graph as bytes (little-endian u32 words after a magic and the build state),
    /// read back by [`Hnsw::from_bytes`]; node order is the slot's row order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.links.len() * (self.m0 + 4) * 4);
        out.extend_from_slice(b"TGH1");
        let w = |out: &mut Vec<u8>, x: u32| out.extend_from_slice(&x.to_le_bytes());
        w(&mut out, self.m as u32);
        w(&mut out, self.ef_construction as u32);
        w(&mut out, self.entry.unwrap_or(u32::MAX));
        w(&mut out, self.max_level as u32);
        out.extend_from_slice(&self.rng.to_le_bytes());
        w(&mut out, self.links.len() as u32);
        for node in &self.links {
            w(&mut out, node.len() as u32);
            for level in node {
                w(&mut out, level.len() as u32);
                for &n in level {
                    w(&mut out, n);
                }
            }
        }
        out
    }

    /// A graph written by [`Hnsw::to_bytes`]; `None` when the bytes are not one
    /// (truncated, foreign, or links pointing past the node count).
    pub fn from_bytes(b: &[u8]) -> Option<Hnsw> {
        let mut at = 4usize;
        if b.get(..4)? != b"TGH1" {
            return None;
        }
        let mut r = || -> Option<u32> {
            let v = u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?);
            at += 4;
            Some(v)
        };
        let m = r()? as usize;
        let ef_construction = r()? as usize;
        let entry = r()?;
        let max_level = r()? as usize;
        let lo = r()? as u64;
        let hi = r()? as u64;
        let n = r()? as usize;
        let mut links = Vec::with_capacity(n.min(1 << 24));
        for _ in 0..n {
            let levels = r()? as usize;
            if levels == 0 || levels > 17 {
                return None;
            }
            let mut node = Vec::with_capacity(levels);
            for _ in 0..levels {
                let c = r()? as usize;
                if c > 1024 {
                    return None;
                }
                let mut level = Vec::with_capacity(c);
                for _ in 0..c {
                    let x = r()?;
                    if x as usize >= n {
                        return None;
                    }
                    level.push(x);
                }
                node.push(level);
            }
            links.push(node);
        }
        // Every link at level l must point at a node that has level l.
        for node in &links {
            for (l, level) in node.iter().enumerate() {
                if level.iter().any(|&x| links[x as usize].len() <= l) {
                    return None;
                }
            }
        }
        let entry = if entry == u32::MAX {
            None
        } else if (entry as usize) < n && links[entry as usize].len() == max_level + 1 {
            Some(entry)
        } else {
            return None;
        };
        if entry.is_none() != (n == 0) {
            return None;
        }
        let mut h = Hnsw::new(m, ef_construction);
        if h.m != m || h.ef_construction != ef_construction {
            return None;
        }
        h.links = links;
        h.entry = entry;
        h.max_level = max_level;
        h.rng = lo | (hi << 32);
        Some(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Clustered unit vectors, like embeddings of related documents.
    fn dataset(n: usize, dims: usize, seed: u64) -> Vec<f32> {
        let mut c = 7;
        let centroids: Vec<Vec<f32>> = (0..32)
            .map(|_| (0..dims).map(|_| lcg(&mut c)).collect())
            .collect();
        let mut s = seed;
        let mut out = Vec::with_capacity(n * dims);
        for _ in 0..n {
            let c = &centroids[((lcg(&mut s) + 1.0) * 16.0) as usize % centroids.len()];
            let mut v: Vec<f32> = c.iter().map(|x| x + lcg(&mut s) * 0.8).collect();
            super::super::cache::normalize(&mut v);
            out.extend(v);
        }
        out
    }

    #[test]
    fn recall_at_10_on_seeded_clustered_set() {
        let (n, dims) = (6000, 64);
        let data = dataset(n, dims, 11);
        let rows = Rows {
            data: &data,
            dims,
            metric: Metric::Cosine,
        };
        let mut h = Hnsw::new(16, 64);
        for i in 0..n as u32 {
            h.insert(&rows, i);
        }
        let queries = dataset(100, dims, 99);
        let mut hit = 0usize;
        for qi in 0..100 {
            let q = &queries[qi * dims..(qi + 1) * dims];
            let mut exact: Vec<(f32, u32)> = (0..n as u32).map(|i| (rows.dist(q, i), i)).collect();
            exact.sort_by(|a, b| a.0.total_cmp(&b.0));
            let truth: Vec<u32> = exact.iter().take(10).map(|x| x.1).collect();
            let got = h.search(&rows, q, 10, 100, &|_| true);
            hit += got.iter().filter(|g| truth.contains(&g.0)).count();
        }
        let recall = hit as f64 / 1000.0;
        assert!(recall >= 0.95, "recall@10 = {recall}");
    }

    #[test]
    fn bytes_round_trip_gives_the_same_answers() {
        let (n, dims) = (600, 12);
        let data = dataset(n, dims, 7);
        let rows = Rows {
            data: &data,
            dims,
            metric: Metric::L2,
        };
        let mut h = Hnsw::new(8, 40);
        for i in 0..n as u32 {
            h.insert(&rows, i);
        }
        let back = Hnsw::from_bytes(&h.to_bytes()).expect("round trip");
        assert_eq!(back.to_bytes(), h.to_bytes());
        let q = &data[..dims];
        assert_eq!(
            back.search(&rows, q, 10, 50, &|_| true),
            h.search(&rows, q, 10, 50, &|_| true)
        );
        assert!(Hnsw::from_bytes(&h.to_bytes()[..100]).is_none());
        assert!(Hnsw::from_bytes(b"nope").is_none());
    }

    #[test]
    fn filtered_search_returns_only_admitted_rows() {
        let (n, dims) = (2000, 16);
        let data = dataset(n, dims, 3);
        let rows = Rows {
            data: &data,
            dims,
            metric: Metric::L2,
        };
        let mut h = Hnsw::new(8, 40);
        for i in 0..n as u32 {
            h.insert(&rows, i);
        }
        let q = &data[0..dims];
        let got = h.search(&rows, q, 10, 200, &|i| i % 3 == 0);
        assert_eq!(got.len(), 10);
        assert!(got.iter().all(|g| g.0 % 3 == 0));
        assert_eq!(got[0].0, 0);
    }
}
