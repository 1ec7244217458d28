//! SQLite's spellings: TEXT JSON read with `json_extract`, TEXT instants,
//! lists as one JSON parameter, FTS5 for fulltext.

use super::tables::{self, Check, Default, Ty, Where};
use super::{quote_ident, Tables};

pub fn ddl(t: &Tables) -> String {
    let mut parts = tables::render(
        t,
        false,
        |ty| match ty {
            Ty::Text | Ty::Json | Ty::Ts => "TEXT",
            Ty::Int | Ty::BigInt => "INTEGER",
            // upstream's generator writes its boolean-mode integer as TEXT with a 0 default
            Ty::Bool => "TEXT",
        },
        |d| match d {
            Default::One => "1",
            Default::False => "0",
        },
        |c| match c {
            Check::Plain(_, sql) => sql.to_string(),
            Check::Ordered(_, a, b) => format!("{a} < {b}"),
        },
        |w| match w {
            Where::ValidToNull => "\"valid_to\" IS NULL",
            Where::IsActive => "\"is_active\" = 1",
        },
    );
    parts.push(format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS {} USING fts5(\n  graph_id UNINDEXED,\n  node_kind UNINDEXED,\n  node_id UNINDEXED,\n  language UNINDEXED,\n  updated_at UNINDEXED,\n  content,\n  tokenize='porter unicode61 remove_diacritics 2'\n);",
        quote_ident(&t.physical("fulltext", "typegraph_node_fulltext"))
    ));
    parts.join("\n\n")
}

pub fn in_list(col: &str) -> String {
    format!("{col} IN (SELECT value FROM json_each(?))")
}

pub fn bool_lit(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// `json_extract(props, '$."a"."b"')`; keys are escaped for both the JSON path and the SQL literal.
pub fn json_text(column: &str, path: &[String]) -> String {
    let mut p = String::from("$");
    for k in path {
        p.push_str(".\"");
        p.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
        p.push('"');
    }
    format!("json_extract({column}, '{}')", p.replace('\'', "''"))
}
