//! `countKindRows`: rows of one node or edge kind by graph id, whether or not the graph still
//! declares the kind (a removed kind's leftover rows count too). The backend port's
//! `countNodesByKind` / `countEdgesByKind`.

use crate::dialect::Tables;
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::util::now_iso;
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindCountArgs {
    pub entity: String,
    pub kind: String,
    /// Leave out soft-deleted rows (default true); ignored by `includeTombstones`.
    #[serde(default)]
    pub exclude_deleted: Option<bool>,
    /// `current` / `asOf` also require the row's validity window to hold the instant.
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
    #[serde(default)]
    pub from_kind: Option<String>,
    #[serde(default)]
    pub from_id: Option<String>,
    #[serde(default)]
    pub to_kind: Option<String>,
    #[serde(default)]
    pub to_id: Option<String>,
}

pub async fn count_kind_rows<E: Executor>(
    ex: &mut E,
    tables: &Tables,
    graph_id: &str,
    a: KindCountArgs,
) -> Result<String> {
    let table = match a.entity.as_str() {
        "node" => &tables.nodes,
        "edge" => &tables.edges,
        other => {
            return Err(Error::validation(
                format!("entity must be \"node\" or \"edge\", got \"{other}\""),
                json!({ "issues": [{ "path": "entity", "message": "expected node or edge" }] }),
            ))
        }
    };
    let mut conds = vec!["graph_id = ?".to_string(), "kind = ?".to_string()];
    let mut params = vec![Value::text(graph_id), Value::text(&a.kind)];
    if a.entity == "edge" {
        for (col, v) in [
            ("from_kind", &a.from_kind),
            ("from_id", &a.from_id),
            ("to_kind", &a.to_kind),
            ("to_id", &a.to_id),
        ] {
            if let Some(v) = v {
                conds.push(format!("{col} = ?"));
                params.push(Value::text(v));
            }
        }
    }
    let mode = a.temporal_mode.as_deref();
    if mode != Some("includeTombstones") {
        if a.exclude_deleted != Some(false) {
            conds.push("deleted_at IS NULL".into());
        }
        match mode {
            None | Some("includeEnded") => {}
            Some(m @ ("current" | "asOf")) => {
                let at = match (&a.as_of, m) {
                    (Some(raw), _) => super::strict_instant(raw, "asOf")?,
                    (None, "current") => now_iso(),
                    (None, _) => {
                        return Err(Error::validation(
                            "Temporal mode \"asOf\" requires a timestamp",
                            json!({ "issues": [{ "path": "asOf", "message": "Timestamp is required for asOf mode" }] }),
                        ))
                    }
                };
                conds.push("(valid_from IS NULL OR valid_from <= ?)".into());
                conds.push("(valid_to IS NULL OR valid_to > ?)".into());
                params.push(Value::Ts(Some(at.clone())));
                params.push(Value::Ts(Some(at)));
            }
            Some(other) => {
                return Err(Error::validation(
                    format!("Unknown temporal mode \"{other}\""),
                    json!({ "temporalMode": other }),
                ))
            }
        }
    }
    let sql = ex.dialect().finish(format!(
        "SELECT COUNT(*) FROM {table} WHERE {}",
        conds.join(" AND ")
    ));
    let rows = ex.query(&sql, &params).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .to_string())
}
