//! The storage layout as data: every core table, its columns, keys and
//! indexes, in upstream's order and naming. Each dialect renders it with its
//! own column types (`sqlite.rs`, `postgres.rs`), so the two DDLs cannot drift.

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Int,
    BigInt,
    Json,
    Ts,
    Bool,
}

pub struct Col {
    pub name: &'static str,
    pub ty: Ty,
    pub not_null: bool,
    /// Only `version` (1) and `is_active` (false) carry defaults.
    pub default: Option<Default>,
}

#[derive(Clone, Copy)]
pub enum Default {
    One,
    False,
}

pub enum Check {
    Plain(&'static str, &'static str),
    /// A text-ordering check; PostgreSQL pins the collation to "C".
    Ordered(&'static str, &'static str, &'static str),
}

pub struct Index {
    pub suffix: &'static str,
    pub cols: &'static [&'static str],
    pub unique: bool,
    pub where_clause: Option<Where>,
}

#[derive(Clone, Copy)]
pub enum Where {
    ValidToNull,
    IsActive,
}

pub struct Table {
    /// Logical name (key of `createSqlSchema`-style overrides).
    pub key: &'static str,
    pub default_name: &'static str,
    pub cols: Vec<Col>,
    pub pk: &'static [&'static str],
    pub checks: Vec<Check>,
    pub indexes: Vec<Index>,
    /// PostgreSQL-only extra columns appended after the shared ones.
    pub pg_extra: Vec<Col>,
}

const fn c(name: &'static str, ty: Ty, not_null: bool) -> Col {
    Col {
        name,
        ty,
        not_null,
        default: None,
    }
}
const fn ix(suffix: &'static str, cols: &'static [&'static str]) -> Index {
    Index {
        suffix,
        cols,
        unique: false,
        where_clause: None,
    }
}

fn entity_cols(edge: bool, recorded: bool) -> Vec<Col> {
    use Ty::*;
    let mut v = Vec::new();
    if recorded {
        v.push(c("history_id", Text, true));
    }
    v.push(c("graph_id", Text, true));
    if edge {
        v.extend([
            c("id", Text, true),
            c("kind", Text, true),
            c("from_kind", Text, true),
            c("from_id", Text, true),
            c("to_kind", Text, true),
            c("to_id", Text, true),
        ]);
    } else {
        v.extend([c("kind", Text, true), c("id", Text, true)]);
    }
    v.push(c("props", Json, true));
    if !edge {
        v.push(Col {
            name: "version",
            ty: Int,
            not_null: true,
            default: if recorded { None } else { Some(Default::One) },
        });
    }
    v.extend([
        c("valid_from", Ts, false),
        c("valid_to", Ts, false),
        c("created_at", Ts, true),
        c("updated_at", Ts, true),
        c("deleted_at", Ts, false),
    ]);
    if recorded {
        v.extend(recorded_cols());
    }
    v
}

fn recorded_cols() -> [Col; 6] {
    use Ty::*;
    [
        c("recorded_from", BigInt, true),
        c("recorded_to", BigInt, true),
        c("op", Text, true),
        c("schema_version", Int, false),
        c("tx_id", Text, false),
        c("meta", Json, false),
    ]
}

fn identity_cols(recorded: bool) -> Vec<Col> {
    use Ty::*;
    let mut v = Vec::new();
    if recorded {
        v.push(c("history_id", Text, true));
    }
    v.extend([
        c("graph_id", Text, true),
        c("id", Text, true),
        c("rel", Text, true),
        c("a_kind", Text, true),
        c("a_id", Text, true),
        c("b_kind", Text, true),
        c("b_id", Text, true),
        c("valid_from", Ts, true),
        c("valid_to", Ts, false),
        c("created_at", Ts, true),
        c("updated_at", Ts, true),
        c("deleted_at", Ts, false),
        c("ended_by_kind", Text, false),
        c("ended_by_id", Text, false),
    ]);
    if recorded {
        v.extend(recorded_cols());
    }
    v
}

/// Every core table in creation order.
pub fn core_tables() -> Vec<Table> {
    use Ty::*;
    vec![
        Table {
            key: "nodes",
            default_name: "typegraph_nodes",
            cols: entity_cols(false, false),
            pk: &["graph_id", "kind", "id"],
            checks: vec![],
            indexes: vec![
                ix("kind_idx", &["graph_id", "kind"]),
                ix("kind_created_idx", &["graph_id", "kind", "deleted_at", "created_at"]),
                ix("deleted_idx", &["graph_id", "deleted_at"]),
                ix("valid_idx", &["graph_id", "valid_from", "valid_to"]),
                ix("id_idx", &["graph_id", "id"]),
            ],
            pg_extra: vec![],
        },
        Table {
            key: "edges",
            default_name: "typegraph_edges",
            cols: entity_cols(true, false),
            pk: &["graph_id", "id"],
            checks: vec![],
            indexes: vec![
                ix("kind_idx", &["graph_id", "kind"]),
                ix(
                    "from_idx",
                    &["graph_id", "from_kind", "from_id", "kind", "to_kind", "deleted_at", "valid_from", "valid_to", "to_id"],
                ),
                ix(
                    "to_idx",
                    &["graph_id", "to_kind", "to_id", "kind", "from_kind", "deleted_at", "valid_from", "valid_to", "from_id"],
                ),
                ix("kind_created_idx", &["graph_id", "kind", "deleted_at", "created_at"]),
                ix("deleted_idx", &["graph_id", "deleted_at"]),
                ix("valid_idx", &["graph_id", "valid_from", "valid_to"]),
                ix("cardinality_idx", &["graph_id", "kind", "from_kind", "from_id", "valid_to"]),
            ],
            pg_extra: vec![],
        },
        Table {
            key: "recordedNodes",
            default_name: "typegraph_recorded_nodes",
            cols: entity_cols(false, true),
            pk: &["history_id"],
            checks: vec![],
            indexes: vec![
                ix("entity_idx", &["graph_id", "kind", "id", "recorded_from", "recorded_to"]),
                ix("open_idx", &["graph_id", "recorded_to"]),
                ix("valid_idx", &["graph_id", "valid_from", "valid_to"]),
                ix("id_idx", &["graph_id", "id"]),
            ],
            pg_extra: vec![],
        },
        Table {
            key: "recordedEdges",
            default_name: "typegraph_recorded_edges",
            cols: entity_cols(true, true),
            pk: &["history_id"],
            checks: vec![],
            indexes: vec![
                ix("entity_idx", &["graph_id", "kind", "id", "recorded_from", "recorded_to"]),
                ix("open_idx", &["graph_id", "recorded_to"]),
                ix("from_idx", &["graph_id", "from_kind", "from_id", "kind", "to_kind", "recorded_from", "recorded_to"]),
                ix("to_idx", &["graph_id", "to_kind", "to_id", "kind", "from_kind", "recorded_from", "recorded_to"]),
                ix("valid_idx", &["graph_id", "valid_from", "valid_to"]),
            ],
            pg_extra: vec![],
        },
        Table {
            key: "recordedClock",
            default_name: "typegraph_recorded_clock",
            cols: vec![c("graph_id", Text, true), c("revision", BigInt, true), c("recorded_at", Ts, true)],
            pk: &["graph_id"],
            checks: vec![],
            indexes: vec![],
            pg_extra: vec![],
        },
        Table {
            key: "revisionOrigins",
            default_name: "typegraph_revision_origins",
            cols: vec![c("graph_id", Text, true), c("origin", Text, true)],
            pk: &["graph_id"],
            checks: vec![],
            indexes: vec![],
            pg_extra: vec![],
        },
        Table {
            key: "identityAssertions",
            default_name: "typegraph_identity_assertions",
            cols: identity_cols(false),
            pk: &["graph_id", "id"],
            checks: vec![Check::Plain(
                "ended_by_check",
                "(ended_by_kind IS NULL) = (ended_by_id IS NULL) AND (ended_by_kind IS NULL OR (valid_to IS NOT NULL AND ((ended_by_kind = a_kind AND ended_by_id = a_id) OR (ended_by_kind = b_kind AND ended_by_id = b_id))))",
            )],
            indexes: vec![
                ix("a_idx", &["graph_id", "a_kind", "a_id", "valid_to"]),
                ix("b_idx", &["graph_id", "b_kind", "b_id", "valid_to"]),
                Index {
                    suffix: "current_pair_idx",
                    cols: &["graph_id", "rel", "a_kind", "a_id", "b_kind", "b_id"],
                    unique: true,
                    where_clause: Some(Where::ValidToNull),
                },
            ],
            pg_extra: vec![],
        },
        Table {
            key: "recordedIdentityAssertions",
            default_name: "typegraph_recorded_identity_assertions",
            cols: identity_cols(true),
            pk: &["history_id"],
            checks: vec![],
            indexes: vec![
                ix("entity_idx", &["graph_id", "id", "recorded_from", "recorded_to"]),
                ix("a_idx", &["graph_id", "a_kind", "a_id", "recorded_from", "recorded_to"]),
                ix("b_idx", &["graph_id", "b_kind", "b_id", "recorded_from", "recorded_to"]),
            ],
            pg_extra: vec![],
        },
        Table {
            key: "identityClosure",
            default_name: "typegraph_identity_closure",
            cols: vec![
                c("graph_id", Text, true),
                c("member_kind", Text, true),
                c("member_id", Text, true),
                c("class_kind", Text, true),
                c("class_id", Text, true),
            ],
            pk: &["graph_id", "member_kind", "member_id"],
            checks: vec![],
            indexes: vec![ix("class_idx", &["graph_id", "class_kind", "class_id"])],
            pg_extra: vec![],
        },
        Table {
            key: "identitySeparation",
            default_name: "typegraph_identity_separation",
            cols: vec![c("graph_id", Text, true), c("class_key_low", Text, true), c("class_key_high", Text, true)],
            pk: &["graph_id", "class_key_low", "class_key_high"],
            checks: vec![Check::Ordered("ordered_pair_check", "class_key_low", "class_key_high")],
            indexes: vec![ix("high_idx", &["graph_id", "class_key_high"])],
            pg_extra: vec![],
        },
        Table {
            key: "uniques",
            default_name: "typegraph_node_uniques",
            cols: vec![
                c("graph_id", Text, true),
                c("node_kind", Text, true),
                c("constraint_name", Text, true),
                c("key", Text, true),
                c("node_id", Text, true),
                c("concrete_kind", Text, true),
                c("deleted_at", Ts, false),
            ],
            pk: &["graph_id", "node_kind", "constraint_name", "key"],
            checks: vec![],
            indexes: vec![ix("node_idx", &["graph_id", "concrete_kind", "node_id"])],
            pg_extra: vec![],
        },
        Table {
            key: "edgeClaims",
            default_name: "typegraph_edge_claims",
            cols: vec![
                c("graph_id", Text, true),
                c("axis", Text, true),
                c("key", Text, true),
                c("edge_id", Text, true),
                c("updated_at", Ts, true),
            ],
            pk: &["graph_id", "axis", "key"],
            checks: vec![],
            indexes: vec![ix("edge_idx", &["graph_id", "edge_id"])],
            pg_extra: vec![],
        },
        Table {
            key: "schemaVersions",
            default_name: "typegraph_schema_versions",
            cols: vec![
                c("graph_id", Text, true),
                c("version", Int, true),
                c("schema_hash", Text, true),
                c("schema_doc", Json, true),
                c("created_at", Ts, true),
                Col { name: "is_active", ty: Bool, not_null: true, default: Some(Default::False) },
            ],
            pk: &["graph_id", "version"],
            checks: vec![],
            indexes: vec![
                ix("active_idx", &["graph_id", "is_active"]),
                Index {
                    suffix: "one_active_per_graph_idx",
                    cols: &["graph_id"],
                    unique: true,
                    where_clause: Some(Where::IsActive),
                },
            ],
            pg_extra: vec![],
        },
        Table {
            key: "indexMaterializations",
            default_name: "typegraph_index_materializations",
            cols: vec![
                c("index_name", Text, true),
                c("graph_id", Text, true),
                c("entity", Text, true),
                c("kind", Text, true),
                c("signature", Text, true),
                c("schema_version", Int, true),
                c("materialized_at", Ts, false),
                c("last_attempted_at", Ts, true),
                c("last_error", Text, false),
            ],
            pk: &["index_name"],
            checks: vec![],
            indexes: vec![],
            pg_extra: vec![c("building_since", Ts, false), c("claim_token", Text, false)],
        },
        Table {
            key: "contributionMaterializations",
            default_name: "typegraph_contribution_materializations",
            cols: vec![
                c("graph_id", Text, true),
                c("logical_name", Text, true),
                c("owner", Text, true),
                c("table_name", Text, true),
                c("signature", Text, true),
                c("materialized_at", Ts, false),
                c("last_attempted_at", Ts, true),
                c("last_error", Text, false),
            ],
            pk: &["graph_id", "logical_name", "owner", "table_name"],
            checks: vec![],
            indexes: vec![],
            pg_extra: vec![],
        },
        Table {
            key: "kindRemovals",
            default_name: "typegraph_kind_removals",
            cols: vec![
                c("graph_id", Text, true),
                c("kind_name", Text, true),
                c("entity", Text, true),
                c("schema_version", Int, true),
                c("removed_at", Ts, false),
                c("last_attempted_at", Ts, true),
                c("last_error", Text, false),
            ],
            pk: &["graph_id", "kind_name", "entity", "schema_version"],
            checks: vec![],
            indexes: vec![],
            pg_extra: vec![],
        },
        Table {
            key: "reconciliationMarkers",
            default_name: "typegraph_reconciliation_markers",
            cols: vec![c("graph_id", Text, true), c("reconciled_to_version", Int, true)],
            pk: &["graph_id"],
            checks: vec![],
            indexes: vec![],
            pg_extra: vec![],
        },
    ]
}

/// Renders the shared DDL; `ty` and `default` are the dialect's spellings. `pg_extra` columns
/// are written only when `with_pg_extra` (the PostgreSQL DDL): upstream's SQLite tables lack them.
pub fn render(
    names: &super::Tables,
    with_pg_extra: bool,
    ty: impl Fn(Ty) -> &'static str,
    default: impl Fn(Default) -> &'static str,
    check: impl Fn(&Check) -> String,
    where_sql: impl Fn(Where) -> &'static str,
) -> Vec<String> {
    let q = super::quote_ident;
    let mut out = Vec::new();
    for t in core_tables() {
        let name = names.physical(t.key, t.default_name);
        let mut lines: Vec<String> = t
            .cols
            .iter()
            .chain(t.pg_extra.iter().filter(|_| with_pg_extra))
            .map(|col| {
                let mut s = format!("  {} {}", q(col.name), ty(col.ty));
                if col.not_null {
                    s.push_str(" NOT NULL");
                }
                if let Some(d) = col.default {
                    s.push_str(" DEFAULT ");
                    s.push_str(default(d));
                }
                s
            })
            .collect();
        lines.push(format!(
            "  PRIMARY KEY ({})",
            t.pk.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        ));
        for ch in &t.checks {
            let suffix = match ch {
                Check::Plain(s, _) | Check::Ordered(s, _, _) => s,
            };
            lines.push(format!(
                "  CONSTRAINT {} CHECK ({})",
                q(&format!("{name}_{suffix}")),
                check(ch)
            ));
        }
        out.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n{}\n);",
            q(&name),
            lines.join(",\n")
        ));
        for i in &t.indexes {
            let mut s = format!(
                "CREATE {}INDEX IF NOT EXISTS {} ON {} ({})",
                if i.unique { "UNIQUE " } else { "" },
                q(&format!("{name}_{}", i.suffix)),
                q(&name),
                i.cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
            );
            if let Some(w) = i.where_clause {
                s.push_str(" WHERE ");
                s.push_str(where_sql(w));
            }
            s.push(';');
            out.push(s);
        }
    }
    out
}
