//! PostgreSQL `COPY … FROM STDIN` (text format) for the bulk insert paths: rows go to the
//! server as one stream per chunk instead of one bound statement of arrays, so the server
//! neither decodes array parameters nor runs an executor node per row of an UNNEST.

/// Appends one text-format field: backslash, tab, newline and carriage return escaped
/// (`COPY`'s text format reads each of them as a separator or an escape otherwise).
pub fn field(out: &mut String, v: &str) {
    let bytes = v.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = match b {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            b'\r' => "\\r",
            _ => continue,
        };
        out.push_str(&v[start..i]);
        out.push_str(esc);
        start = i + 1;
    }
    out.push_str(&v[start..]);
}

/// A nullable field: `\N` for null.
pub fn opt_field(out: &mut String, v: Option<&str>) {
    match v {
        Some(s) => field(out, s),
        None => out.push_str("\\N"),
    }
}

/// Batches smaller than this keep the bound-array insert: a COPY costs a second round trip
/// (the server's go-ahead before the data), which a few rows do not pay back.
pub const MIN_ROWS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_separators_and_backslashes_only() {
        let mut s = String::new();
        field(&mut s, "a\tb\nc\rd\\e \\N é🚀");
        assert_eq!(s, "a\\tb\\nc\\rd\\\\e \\\\N é🚀");
        s.clear();
        opt_field(&mut s, None);
        s.push('|');
        opt_field(&mut s, Some(""));
        assert_eq!(s, "\\N|");
    }
}
