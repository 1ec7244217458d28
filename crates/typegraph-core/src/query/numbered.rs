//! Numbered parameters for compiled statements: every `?` of a finished statement becomes a
//! numbered placeholder (`?N` on SQLite, `$N` on PostgreSQL), and placeholders whose sources
//! are equal share one number. A temporal query repeats its read instant and the graph id in
//! every alias's filter; bound once each, a 1-hop traversal binds 5 values instead of 11 (the
//! SQLite run then skips the repeated binds and their text copies, and the statement's
//! parameter list shrinks accordingly).
//!
//! Sources are equal when they bind the same value on every run: the same constant, the same
//! `param()` slot under the same conversion, or the run's read instant (taken once per run).
//! Equal sources bind the same typed value, so on PostgreSQL (where the driver declares each
//! parameter's type) a shared number keeps the type every one of its uses had before.

use super::compile::Src;
use crate::dialect::Dialect;

/// `sql` with its `?` placeholders (outside quoted text and identifiers) numbered so that equal
/// entries of `params` (one per `?`, in text order) share a number; returns the statement and
/// its parameters in number order.
pub fn share_equal(dialect: Dialect, sql: &str, params: Vec<Src>) -> (String, Vec<Src>) {
    let mut unique: Vec<Src> = Vec::with_capacity(params.len());
    let mut numbers = Vec::with_capacity(params.len());
    for src in params {
        // NaN constants compare unequal to themselves and so keep a number of their own.
        let n = match unique.iter().position(|u| *u == src) {
            Some(i) => i + 1,
            None => {
                unique.push(src);
                unique.len()
            }
        };
        numbers.push(n);
    }
    let sigil = match dialect {
        Dialect::Sqlite => '?',
        Dialect::Postgres => '$',
    };
    let mut out = String::with_capacity(sql.len() + numbers.len() * 2);
    let mut next = numbers.iter();
    let mut quote: Option<char> = None;
    for ch in sql.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                out.push(ch);
            }
            (None, '?') => {
                let n = next
                    .next()
                    .expect("compiled statement: one parameter source per placeholder");
                out.push(sigil);
                out.push_str(&n.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    debug_assert!(
        next.next().is_none(),
        "compiled statement: more parameter sources than placeholders"
    );
    (out, unique)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::compile::Conv;
    use crate::value::Value;

    #[test]
    fn equal_sources_share_a_number_in_both_dialects() {
        let g = || Src::Const(Value::Text("g".into()));
        let params = vec![g(), Src::Now, Src::Arg(0, Conv::Text), g(), Src::Now];
        let sql = "SELECT '?' FROM t WHERE a = ? AND b <= ? AND c = ? AND \"x?\" = ? AND d > ?";
        let (s, p) = share_equal(Dialect::Sqlite, sql, params.clone());
        assert_eq!(
            s,
            "SELECT '?' FROM t WHERE a = ?1 AND b <= ?2 AND c = ?3 AND \"x?\" = ?1 AND d > ?2"
        );
        assert_eq!(p, vec![g(), Src::Now, Src::Arg(0, Conv::Text)]);
        let (s, p) = share_equal(Dialect::Postgres, sql, params);
        assert_eq!(
            s,
            "SELECT '?' FROM t WHERE a = $1 AND b <= $2 AND c = $3 AND \"x?\" = $1 AND d > $2"
        );
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn different_conversions_and_nan_keep_their_own_numbers() {
        let params = vec![
            Src::Arg(0, Conv::Text),
            Src::Arg(0, Conv::Number),
            Src::Const(Value::Real(f64::NAN)),
            Src::Const(Value::Real(f64::NAN)),
        ];
        let (s, p) = share_equal(Dialect::Sqlite, "? ? ? ?", params);
        assert_eq!(s, "?1 ?2 ?3 ?4");
        assert_eq!(p.len(), 4);
    }
}
