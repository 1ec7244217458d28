//! Picks one field out of a stored props document while a row is rendered (SQLite).
//!
//! `props -> '$."a"."b"'` makes SQLite translate the whole document into its binary form
//! for every row before it looks the key up; a traversal selecting a name from 100 rows of
//! 300-byte documents spent about a sixth of its statement time there. Here the document is
//! scanned once, values before the wanted key are skipped without being decoded, and the
//! value's own text is handed over as it is stored (the binding parses the row JSON anyway,
//! so the same value arrives as `->` would give it).

use crate::error::{Error, Result};

/// The text of the value at the object-key `path` of the JSON document `doc`: `None` when a
/// key is missing or a step meets something other than an object (as `->` gives SQL NULL).
/// The first of duplicate keys wins, as in SQLite's lookup.
pub fn json_path<'a>(doc: &'a str, path: &[String]) -> Result<Option<&'a str>> {
    let b = doc.as_bytes();
    let mut at = skip_ws(b, 0);
    for key in path {
        if b.get(at) != Some(&b'{') {
            // A scalar or an array: no key to step into (after checking the value is well formed).
            skip_value(b, at)?;
            return Ok(None);
        }
        match find_key(b, at, key)? {
            Some(v) => at = v,
            None => return Ok(None),
        }
    }
    let end = skip_value(b, at)?;
    Ok(Some(&doc[at..end]))
}

/// What SQLite's own `->` reports for a document that does not parse.
fn malformed() -> Error {
    Error::database("sqlite", "malformed JSON".to_string())
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// In the object opening at `open`, the start of the value of the first member named `key`.
fn find_key(b: &[u8], open: usize, key: &str) -> Result<Option<usize>> {
    let mut i = skip_ws(b, open + 1);
    if b.get(i) == Some(&b'}') {
        return Ok(None);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(malformed());
        }
        let end = skip_string(b, i)?;
        let raw = &b[i + 1..end - 1];
        let hit = if raw.contains(&b'\\') {
            // An escaped member name: compare what it decodes to.
            let text = std::str::from_utf8(&b[i..end]).map_err(|_| malformed())?;
            serde_json::from_str::<String>(text).map_err(|_| malformed())? == key
        } else {
            raw == key.as_bytes()
        };
        i = skip_ws(b, end);
        if b.get(i) != Some(&b':') {
            return Err(malformed());
        }
        i = skip_ws(b, i + 1);
        if hit {
            return Ok(Some(i));
        }
        i = skip_ws(b, skip_value(b, i)?);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Ok(None),
            _ => return Err(malformed()),
        }
    }
}

/// The index just past the string opening at `i` (a `"`).
fn skip_string(b: &[u8], i: usize) -> Result<usize> {
    let mut j = i + 1;
    loop {
        match memchr::memchr2(b'"', b'\\', &b[j..]) {
            Some(k) if b[j + k] == b'"' => return Ok(j + k + 1),
            Some(k) => j += k + 2,
            None => return Err(malformed()),
        }
        if j > b.len() {
            return Err(malformed());
        }
    }
}

/// The index just past the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> Result<usize> {
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'{') | Some(b'[') => {
            // Nested containers: count brackets outside strings.
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(malformed())
        }
        Some(_) => {
            // A number or a literal: up to the next delimiter.
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            if j == i {
                Err(malformed())
            } else {
                Ok(j)
            }
        }
        None => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::json_path;

    fn p(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn picks_values_as_stored() {
        let doc = r#"{"name":"Ann \"A\" \\ B","age":41,"bio":"x,}]{[","tags":["a","}"],"o":{"k":[1,{"z":null}],"n":-1.5e3},"t":true,"nul":null}"#;
        assert_eq!(
            json_path(doc, &p(&["name"])).unwrap(),
            Some(r#""Ann \"A\" \\ B""#)
        );
        assert_eq!(json_path(doc, &p(&["age"])).unwrap(), Some("41"));
        assert_eq!(json_path(doc, &p(&["tags"])).unwrap(), Some(r#"["a","}"]"#));
        assert_eq!(
            json_path(doc, &p(&["o"])).unwrap(),
            Some(r#"{"k":[1,{"z":null}],"n":-1.5e3}"#)
        );
        assert_eq!(json_path(doc, &p(&["o", "n"])).unwrap(), Some("-1.5e3"));
        assert_eq!(json_path(doc, &p(&["t"])).unwrap(), Some("true"));
        assert_eq!(json_path(doc, &p(&["nul"])).unwrap(), Some("null"));
        // Missing keys and steps into scalars or arrays: no value (SQL NULL from `->`).
        assert_eq!(json_path(doc, &p(&["missing"])).unwrap(), None);
        assert_eq!(json_path(doc, &p(&["age", "x"])).unwrap(), None);
        assert_eq!(json_path(doc, &p(&["tags", "0"])).unwrap(), None);
        assert_eq!(json_path("{}", &p(&["a"])).unwrap(), None);
    }

    #[test]
    fn whitespace_escaped_names_and_duplicates() {
        let doc = "{ \"a\" : 1 ,\n \"b\\u0022q\" : [ 1, 2 ] , \"a\": 2 }";
        assert_eq!(json_path(doc, &p(&["a"])).unwrap(), Some("1"));
        assert_eq!(json_path(doc, &p(&["b\"q"])).unwrap(), Some("[ 1, 2 ]"));
        assert_eq!(
            json_path("{\"é\":\"ü\"}", &p(&["é"])).unwrap(),
            Some("\"ü\"")
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(json_path(r#"{"a":"#, &p(&["a"])).is_err());
        assert!(json_path(r#"{"a" 1}"#, &p(&["a"])).is_err());
        assert!(json_path(r#"{"a":"x"#, &p(&["a"])).is_err());
    }
}
