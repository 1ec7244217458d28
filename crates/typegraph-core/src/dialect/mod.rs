//! SQL text. Statements are written once here with `?` placeholders and the
//! dialect hooks below; everything that differs between SQLite and PostgreSQL
//! (DDL, JSON access, list binding, booleans, placeholders) lives in
//! `sqlite.rs` / `postgres.rs`.

pub mod postgres;
pub mod sqlite;
pub mod tables;

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Physical table names: upstream's defaults, overridable per logical key
/// (`nodes`, `edges`, `uniques`, `schemaVersions`, … as in `createSqlSchema`).
/// The names used in statements are stored pre-quoted.
#[derive(Clone, Debug)]
pub struct Tables {
    overrides: BTreeMap<String, String>,
    pub nodes: String,
    pub edges: String,
    pub uniques: String,
    pub edge_claims: String,
    pub schema_versions: String,
    pub fulltext: String,
    /// SQLite text of the node point read (`getById`), built once: the hot read finds its kept
    /// statement by comparing this text, without formatting it per call.
    pub node_point_sqlite: String,
    pub recorded_nodes: String,
    pub recorded_edges: String,
    pub recorded_clock: String,
}

impl Default for Tables {
    fn default() -> Self {
        Tables::with_overrides(BTreeMap::new())
    }
}

impl Tables {
    pub fn with_overrides(overrides: BTreeMap<String, String>) -> Tables {
        let get = |k: &str, d: &str| quote_ident(overrides.get(k).map(String::as_str).unwrap_or(d));
        let nodes = get("nodes", "typegraph_nodes");
        Tables {
            node_point_sqlite: format!(
                "SELECT {NODE_COLS} FROM {nodes} WHERE graph_id = ? AND kind = ? AND id = ?"
            ),
            nodes,
            edges: get("edges", "typegraph_edges"),
            uniques: get("uniques", "typegraph_node_uniques"),
            edge_claims: get("edgeClaims", "typegraph_edge_claims"),
            schema_versions: get("schemaVersions", "typegraph_schema_versions"),
            fulltext: get("fulltext", "typegraph_node_fulltext"),
            recorded_nodes: get("recordedNodes", "typegraph_recorded_nodes"),
            recorded_edges: get("recordedEdges", "typegraph_recorded_edges"),
            recorded_clock: get("recordedClock", "typegraph_recorded_clock"),
            overrides,
        }
    }

    /// The same layout with the recorded relations in place of the live node and edge tables.
    pub fn recorded(&self) -> Tables {
        let mut t = self.clone();
        t.nodes = self.recorded_nodes.clone();
        t.edges = self.recorded_edges.clone();
        t.node_point_sqlite = format!(
            "SELECT {NODE_COLS} FROM {} WHERE graph_id = ? AND kind = ? AND id = ?",
            t.nodes
        );
        t
    }

    /// Unquoted physical name of a logical table.
    pub fn physical(&self, key: &str, default: &str) -> String {
        self.overrides
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }
}

/// Quotes an identifier (names from definitions only; never user values).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Node columns in the order every node read selects them.
pub const NODE_COLS: &str =
    "kind, id, props, version, valid_from, valid_to, created_at, updated_at, deleted_at";
/// Edge columns in the order every edge read selects them.
pub const EDGE_COLS: &str =
    "id, kind, from_kind, from_id, to_kind, to_id, props, valid_from, valid_to, created_at, updated_at, deleted_at";

impl Dialect {
    /// Turns `?` placeholders into the dialect's own.
    pub fn finish(self, sql: String) -> String {
        match self {
            Dialect::Sqlite => sql,
            Dialect::Postgres => postgres::number_placeholders(&sql),
        }
    }

    /// `col IN <list bound as one parameter>`.
    pub fn in_list(self, col: &str) -> String {
        match self {
            Dialect::Sqlite => sqlite::in_list(col),
            Dialect::Postgres => postgres::in_list(col),
        }
    }

    /// A column reference the planner must not pick an index for (SQLite's unary `+`).
    pub fn not_for_index(self, col: &str) -> String {
        match self {
            Dialect::Sqlite => format!("+{col}"),
            Dialect::Postgres => col.to_string(),
        }
    }

    /// A boolean literal for `is_active`-style columns.
    pub fn bool_lit(self, b: bool) -> &'static str {
        match self {
            Dialect::Sqlite => sqlite::bool_lit(b),
            Dialect::Postgres => postgres::bool_lit(b),
        }
    }

    /// Text of a props field (JSON path of object keys) as SQL text.
    pub fn json_text(self, column: &str, path: &[String]) -> String {
        match self {
            Dialect::Sqlite => sqlite::json_text(column, path),
            Dialect::Postgres => postgres::json_text(column, path),
        }
    }

    /// A props field read as a number.
    pub fn json_number(self, column: &str, path: &[String]) -> String {
        match self {
            Dialect::Sqlite => sqlite::json_text(column, path),
            Dialect::Postgres => postgres::json_number(column, path),
        }
    }

    /// A props field as a JSON value (arrays/objects).
    pub fn json_value(self, column: &str, path: &[String]) -> String {
        match self {
            Dialect::Sqlite => sqlite::json_text(column, path),
            Dialect::Postgres => postgres::json_value(column, path),
        }
    }

    /// Case-insensitive LIKE; `escaped` when the pattern escapes `%`/`_` with `\`.
    pub fn ilike(self, expr: &str, escaped: bool) -> String {
        let esc = if escaped { " ESCAPE '\\'" } else { "" };
        match self {
            Dialect::Sqlite => format!("LOWER({expr}) LIKE LOWER(?){esc}"),
            Dialect::Postgres => format!("{expr} ILIKE ?{esc}"),
        }
    }

    /// LIKE as the database defines it (case-sensitive on PostgreSQL; SQLite folds ASCII case),
    /// with `\` as the escape character on both.
    pub fn like(self, expr: &str) -> String {
        format!("{expr} LIKE ? ESCAPE '\\'")
    }

    /// The schema DDL: every core table and index, idempotent.
    pub fn ddl(self, t: &Tables) -> String {
        match self {
            Dialect::Sqlite => sqlite::ddl(t),
            Dialect::Postgres => postgres::ddl(t),
        }
    }

    pub fn max_bind(self) -> usize {
        match self {
            Dialect::Sqlite => 32_766,
            Dialect::Postgres => 65_533,
        }
    }
}
