//! Raw uniqueness claim rows by graph id, for the backend port's `insertUnique` / `checkUnique` /
//! `deleteUnique` / `hardDeleteUniquesByNodeIds` / `hardDeleteUniquesByConcreteKind` members
//! (operation `uniqueRows`, one statement or one transaction each).
//!
//! A claim row is keyed by its axis (`node_kind`), constraint name and key, and owned by the
//! pair `(concrete_kind, node_id)` (a node id is unique only within its kind). No schema is
//! consulted: the rows are read and written as given, as upstream's backends leave key
//! computation to the store.

use super::rows::opt_str;
use super::Ctx;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::util::now_iso;
use crate::value::Value;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub enum UniqueRowsArgs {
    /// Claims `key` for the owner; refused (Uniqueness) while another live owner holds it.
    #[serde(rename = "insert", rename_all = "camelCase")]
    Insert {
        node_kind: String,
        constraint_name: String,
        key: String,
        node_id: String,
        concrete_kind: String,
    },
    /// The claim row of an axis, constraint and key (a released one only with `includeDeleted`).
    #[serde(rename = "check", rename_all = "camelCase")]
    Check {
        node_kind: String,
        constraint_name: String,
        key: String,
        #[serde(default)]
        include_deleted: bool,
    },
    /// Releases (soft-deletes) the owner's claim of a constraint and key, at one axis or all.
    #[serde(rename = "release", rename_all = "camelCase")]
    Release {
        #[serde(default)]
        node_kind: Option<String>,
        constraint_name: String,
        key: String,
        node_id: String,
        concrete_kind: String,
    },
    /// Removes every claim row the given owners hold, at any axis.
    #[serde(rename = "dropByNodeIds", rename_all = "camelCase")]
    DropByNodeIds {
        concrete_kind: String,
        node_ids: Vec<String>,
    },
    /// Removes every claim row owned by nodes of one concrete kind, at any axis.
    #[serde(rename = "dropByConcreteKind", rename_all = "camelCase")]
    DropByConcreteKind { concrete_kind: String },
}

const COLS: &str = "graph_id, node_kind, constraint_name, key, node_id, concrete_kind, deleted_at";

pub async fn run<E: Executor>(ex: &mut E, ctx: &Ctx<'_>, a: UniqueRowsArgs) -> Result<String> {
    let t = &ctx.tables.uniques;
    let g = Value::text(ctx.graph.id());
    let d = ex.dialect();
    match a {
        UniqueRowsArgs::Insert {
            node_kind,
            constraint_name,
            key,
            node_id,
            concrete_kind,
        } => {
            // One statement: a new key is inserted; a key this owner holds, or a released one,
            // is (re)taken; a key another live owner holds is left alone (no row changed).
            let sql = d.finish(format!(
                "INSERT INTO {t} ({COLS}) VALUES (?, ?, ?, ?, ?, ?, NULL) \
                 ON CONFLICT (graph_id, node_kind, constraint_name, key) DO UPDATE SET \
                 node_id = excluded.node_id, concrete_kind = excluded.concrete_kind, deleted_at = NULL \
                 WHERE ({t}.node_id = excluded.node_id AND {t}.concrete_kind = excluded.concrete_kind) OR {t}.deleted_at IS NOT NULL"
            ));
            let changed = ex
                .execute(
                    &sql,
                    &[
                        g.clone(),
                        Value::text(&node_kind),
                        Value::text(&constraint_name),
                        Value::text(&key),
                        Value::text(&node_id),
                        Value::text(&concrete_kind),
                    ],
                )
                .await?;
            if changed > 0 {
                return Ok("null".into());
            }
            let holder = check(ex, ctx, &node_kind, &constraint_name, &key, false).await?;
            let (holder_kind, holder_id) = holder
                .as_ref()
                .map(|r| {
                    (
                        opt_str(r, 5).unwrap_or_default().to_string(),
                        opt_str(r, 4).unwrap_or_default().to_string(),
                    )
                })
                .unwrap_or_default();
            Err(Error::new(
                Code::Uniqueness,
                format!(
                    "Uniqueness violation on constraint \"{constraint_name}\" of {node_kind}: already held by {holder_kind}/{holder_id}"
                ),
                json!({ "constraintName": constraint_name, "kind": node_kind, "existingId": holder_id, "existingKind": holder_kind, "newId": node_id }),
            ))
        }
        UniqueRowsArgs::Check {
            node_kind,
            constraint_name,
            key,
            include_deleted,
        } => {
            let row = check(ex, ctx, &node_kind, &constraint_name, &key, include_deleted).await?;
            Ok(match row {
                None => "null".into(),
                Some(r) => json!({
                    "graph_id": opt_str(&r, 0),
                    "node_kind": opt_str(&r, 1),
                    "constraint_name": opt_str(&r, 2),
                    "key": opt_str(&r, 3),
                    "node_id": opt_str(&r, 4),
                    "concrete_kind": opt_str(&r, 5),
                    "deleted_at": opt_str(&r, 6),
                })
                .to_string(),
            })
        }
        UniqueRowsArgs::Release {
            node_kind,
            constraint_name,
            key,
            node_id,
            concrete_kind,
        } => {
            let mut params = vec![
                Value::Ts(Some(now_iso())),
                g,
                Value::text(&concrete_kind),
                Value::text(&node_id),
                Value::text(&constraint_name),
                Value::text(&key),
            ];
            let axis = match node_kind {
                Some(k) => {
                    params.push(Value::text(&k));
                    " AND node_kind = ?"
                }
                None => "",
            };
            let sql = d.finish(format!(
                "UPDATE {t} SET deleted_at = ? WHERE graph_id = ? AND concrete_kind = ? AND node_id = ? \
                 AND constraint_name = ? AND key = ?{axis} AND deleted_at IS NULL"
            ));
            ex.execute(&sql, &params).await?;
            Ok("null".into())
        }
        UniqueRowsArgs::DropByNodeIds {
            concrete_kind,
            mut node_ids,
        } => {
            node_ids.sort_unstable();
            node_ids.dedup();
            if node_ids.is_empty() {
                return Ok("null".into());
            }
            let sql = d.finish(format!(
                "DELETE FROM {t} WHERE graph_id = ? AND concrete_kind = ? AND {}",
                d.in_list("node_id")
            ));
            ex.execute(
                &sql,
                &[g, Value::text(&concrete_kind), Value::TextList(node_ids)],
            )
            .await?;
            Ok("null".into())
        }
        UniqueRowsArgs::DropByConcreteKind { concrete_kind } => {
            let sql = d.finish(format!(
                "DELETE FROM {t} WHERE graph_id = ? AND concrete_kind = ?"
            ));
            ex.execute(&sql, &[g, Value::text(&concrete_kind)]).await?;
            Ok("null".into())
        }
    }
}

async fn check<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    node_kind: &str,
    constraint_name: &str,
    key: &str,
    include_deleted: bool,
) -> Result<Option<crate::value::Row>> {
    let sql = ex.dialect().finish(format!(
        "SELECT {COLS} FROM {} WHERE graph_id = ? AND node_kind = ? AND constraint_name = ? AND key = ?{}",
        ctx.tables.uniques,
        if include_deleted {
            ""
        } else {
            " AND deleted_at IS NULL"
        }
    ));
    Ok(ex
        .query(
            &sql,
            &[
                Value::text(ctx.graph.id()),
                Value::text(node_kind),
                Value::text(constraint_name),
                Value::text(key),
            ],
        )
        .await?
        .pop())
}
