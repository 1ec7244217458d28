//! PostgreSQL's spellings: JSONB read with `#>>`, TIMESTAMPTZ instants,
//! `$n` placeholders, lists as one `text[]` parameter, tsvector fulltext.

use super::tables::{self, Check, Default, Ty, Where};
use super::{quote_ident, Tables};

pub fn ddl(t: &Tables) -> String {
    let mut parts = vec!["-- Enable pgvector extension for vector similarity search\nCREATE EXTENSION IF NOT EXISTS vector;".to_string()];
    parts.extend(tables::render(
        t,
        true,
        |ty| match ty {
            Ty::Text => "TEXT",
            Ty::Json => "JSONB",
            Ty::Ts => "TIMESTAMPTZ",
            Ty::Int => "INTEGER",
            Ty::BigInt => "BIGINT",
            Ty::Bool => "BOOLEAN",
        },
        |d| match d {
            Default::One => "1",
            Default::False => "FALSE",
        },
        |c| match c {
            Check::Plain(_, sql) => sql.to_string(),
            Check::Ordered(_, a, b) => format!("{a} COLLATE \"C\" < {b} COLLATE \"C\""),
        },
        |w| match w {
            Where::ValidToNull => "\"valid_to\" IS NULL",
            Where::IsActive => "\"is_active\" = TRUE",
        },
    ));
    let ft = t.physical("fulltext", "typegraph_node_fulltext");
    parts.push(format!(
        "CREATE TABLE IF NOT EXISTS {q} (\n  \"graph_id\" TEXT NOT NULL,\n  \"node_kind\" TEXT NOT NULL,\n  \"node_id\" TEXT NOT NULL,\n  \"content\" TEXT NOT NULL,\n  \"language\" regconfig NOT NULL,\n  \"tsv\" tsvector NOT NULL\n    GENERATED ALWAYS AS (to_tsvector(\"language\", \"content\")) STORED,\n  \"updated_at\" TIMESTAMPTZ NOT NULL,\n  PRIMARY KEY (\"graph_id\", \"node_kind\", \"node_id\")\n);",
        q = quote_ident(&ft)
    ));
    parts.push(format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} USING GIN (\"tsv\");",
        quote_ident(&format!("{ft}_tsv_idx")),
        quote_ident(&ft)
    ));
    parts.push(format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} (\"graph_id\", \"node_kind\");",
        quote_ident(&format!("{ft}_kind_idx")),
        quote_ident(&ft)
    ));
    parts.join("\n\n")
}

/// Rewrites `?` placeholders as `$1, $2, …` (our statements contain no literal `?`).
pub fn number_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut in_str = false;
    for ch in sql.chars() {
        match ch {
            '\'' => {
                in_str = !in_str;
                out.push(ch);
            }
            '?' if !in_str => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(ch),
        }
    }
    out
}

/// Membership in a bound `text[]`: a semi-join over `unnest`, so large lists hash
/// instead of being searched linearly per row when the planner picks a scan.
pub fn in_list(col: &str) -> String {
    format!("{col} IN (SELECT unnest(CAST(? AS text[])))")
}

pub fn bool_lit(b: bool) -> &'static str {
    if b {
        "TRUE"
    } else {
        "FALSE"
    }
}

fn path_array(path: &[String]) -> String {
    let items: Vec<String> = path
        .iter()
        .map(|k| format!("'{}'", k.replace('\'', "''")))
        .collect();
    format!("ARRAY[{}]", items.join(", "))
}

pub fn json_text(column: &str, path: &[String]) -> String {
    format!("({column} #>> {})", path_array(path))
}

pub fn json_number(column: &str, path: &[String]) -> String {
    format!("({column} #>> {})::double precision", path_array(path))
}

pub fn json_value(column: &str, path: &[String]) -> String {
    format!("({column} #> {})", path_array(path))
}
