//! Unique-constraint reservations in the uniques table, with upstream's key
//! encoding: field values joined by U+001E, absent/null as U+001F, non-strings
//! as their JSON text, lower-cased under `caseInsensitive`.

use super::Ctx;
use crate::error::{Code, Error, Result};
use crate::exec::Executor;
use crate::graph::UniqueConstraint;
use crate::value::Value;
use serde_json::{json, Value as Json};

const SEP: char = '\u{1e}';
const NULL_MARK: char = '\u{1f}';

/// The key a node's props hold under a constraint, or `None` when its `where` excludes the node.
pub fn key_for(c: &UniqueConstraint, props: &Json) -> Option<String> {
    if let Some(w) = &c.r#where {
        let v = props.get(&w.field);
        let is_null = v.is_none_or(Json::is_null);
        let holds = match w.op.as_str() {
            "isNull" => is_null,
            "isNotNull" => !is_null,
            _ => true,
        };
        if !holds {
            return None;
        }
    }
    let ci = c.collation.as_deref() == Some("caseInsensitive");
    let mut key = String::new();
    for (i, f) in c.fields.iter().enumerate() {
        if i > 0 {
            key.push(SEP);
        }
        match props.get(f) {
            None | Some(Json::Null) => key.push(NULL_MARK),
            Some(Json::String(s)) => key.push_str(&if ci { s.to_lowercase() } else { s.clone() }),
            Some(other) => key.push_str(&other.to_string()),
        }
    }
    Some(key)
}

/// The kinds a constraint's scope covers, its claim axis first. `kind` scope: the kind itself.
/// `kindWithSubClasses`: the kind's undirected subclass component, whose code-point minimum is
/// the axis every member writes under (so sibling kinds contend for one row), as upstream does.
pub fn scope_kinds(ctx: &Ctx<'_>, kind: &str, c: &UniqueConstraint) -> Vec<String> {
    if c.scope.as_deref() != Some("kindWithSubClasses") {
        return vec![kind.to_string()];
    }
    let subs = &ctx.graph.subclasses;
    let mut members = std::collections::BTreeSet::new();
    let mut pending = vec![kind.to_string()];
    while let Some(k) = pending.pop() {
        if !members.insert(k.clone()) {
            continue;
        }
        // Descendants, then ancestors (kinds whose subclass set holds `k`).
        if let Some(down) = subs.get(&k) {
            pending.extend(down.iter().filter(|d| !members.contains(*d)).cloned());
        }
        pending.extend(
            subs.iter()
                .filter(|(a, set)| set.contains(&k) && !members.contains(*a))
                .map(|(a, _)| a.clone()),
        );
    }
    members.into_iter().collect()
}

fn refused(c: &UniqueConstraint, holder_kind: &str, holder: &str, id: &str) -> Error {
    Error::new(
        Code::Uniqueness,
        format!(
            "Uniqueness violation on constraint \"{}\" of {holder_kind}: already held by {holder}",
            c.name
        ),
        json!({ "constraintName": c.name, "kind": holder_kind, "existingId": holder, "newId": id, "fields": c.fields }),
    )
}

/// Claims (or re-claims) every constraint key of a node; refuses keys held by another live node.
pub async fn claim<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    id: &str,
    props_json: &str,
) -> Result<()> {
    let spec = ctx.graph.node(kind)?;
    if spec.unique.is_empty() {
        return Ok(());
    }
    let props: Json = serde_json::from_str(props_json)?;
    let g = ctx.graph.id();
    let t = &ctx.tables.uniques;
    let now = crate::util::now_iso();
    for c in &spec.unique {
        let key = key_for(c, &props);
        let covered = scope_kinds(ctx, kind, c);
        let axis = covered[0].as_str();
        // This node's previous key under the constraint is released (soft-deleted), as upstream does.
        let sql = ex.dialect().finish(format!(
            "UPDATE {t} SET deleted_at = ? WHERE graph_id = ? AND node_kind = ? AND constraint_name = ? AND node_id = ? AND concrete_kind = ? \
             AND deleted_at IS NULL AND key <> ?"
        ));
        ex.execute(
            &sql,
            &[
                Value::Ts(Some(now.clone())),
                Value::text(g),
                Value::text(axis),
                Value::text(&c.name),
                Value::text(id),
                Value::text(kind),
                Value::text(key.clone().unwrap_or_default()),
            ],
        )
        .await?;
        let Some(key) = key else {
            let sql = ex.dialect().finish(format!(
                "UPDATE {t} SET deleted_at = ? WHERE graph_id = ? AND node_kind = ? AND constraint_name = ? AND node_id = ? AND concrete_kind = ? AND deleted_at IS NULL"
            ));
            ex.execute(
                &sql,
                &[
                    Value::Ts(Some(now.clone())),
                    Value::text(g),
                    Value::text(axis),
                    Value::text(&c.name),
                    Value::text(id),
                    Value::text(kind),
                ],
            )
            .await?;
            continue;
        };
        // Probe every covered kind (rows an older writer left under a concrete kind included).
        let sql = ex.dialect().finish(format!(
            "SELECT node_id, concrete_kind, deleted_at FROM {t} WHERE graph_id = ? AND {} AND constraint_name = ? AND key = ?",
            ex.dialect().in_list("node_kind")
        ));
        let held = ex
            .query(
                &sql,
                &[
                    Value::text(g),
                    Value::TextList(covered.clone()),
                    Value::text(&c.name),
                    Value::text(&key),
                ],
            )
            .await?;
        for r in &held {
            let holder = r.first().and_then(Value::as_str).unwrap_or_default();
            let holder_kind = r.get(1).and_then(Value::as_str).unwrap_or(kind);
            let live = r.get(2).is_none_or(Value::is_null);
            if live && (holder != id || holder_kind != kind) {
                return Err(refused(c, holder_kind, holder, id));
            }
        }
        // The upsert takes over only a released row or one this node already holds; a live
        // holder that committed after the probe (a concurrent writer) leaves it unchanged.
        let sql = ex.dialect().finish(format!(
            "INSERT INTO {t} (graph_id, node_kind, constraint_name, key, node_id, concrete_kind, deleted_at) VALUES (?, ?, ?, ?, ?, ?, NULL) \
             ON CONFLICT (graph_id, node_kind, constraint_name, key) DO UPDATE SET node_id = excluded.node_id, concrete_kind = excluded.concrete_kind, deleted_at = NULL \
             WHERE {t}.deleted_at IS NOT NULL OR ({t}.node_id = excluded.node_id AND {t}.concrete_kind = excluded.concrete_kind) \
             RETURNING node_id"
        ));
        let won = ex
            .query(
                &sql,
                &[
                    Value::text(g),
                    Value::text(axis),
                    Value::text(&c.name),
                    Value::text(&key),
                    Value::text(id),
                    Value::text(kind),
                ],
            )
            .await?;
        if won.is_empty() {
            let sql = ex.dialect().finish(format!(
                "SELECT node_id, concrete_kind FROM {t} WHERE graph_id = ? AND node_kind = ? AND constraint_name = ? AND key = ?"
            ));
            let r = ex
                .query(
                    &sql,
                    &[
                        Value::text(g),
                        Value::text(axis),
                        Value::text(&c.name),
                        Value::text(&key),
                    ],
                )
                .await?;
            let holder = r.first().and_then(|r| r[0].as_str()).unwrap_or_default();
            let holder_kind = r.first().and_then(|r| r[1].as_str()).unwrap_or(kind);
            return Err(refused(c, holder_kind, holder, id));
        }
    }
    Ok(())
}

/// Marks a soft-deleted node's reservations reclaimable.
pub async fn release<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    kind: &str,
    id: &str,
    now: &str,
) -> Result<()> {
    if ctx.graph.node(kind)?.unique.is_empty() {
        return Ok(());
    }
    let sql = ex.dialect().finish(format!(
        "UPDATE {} SET deleted_at = ? WHERE graph_id = ? AND concrete_kind = ? AND node_id = ? AND deleted_at IS NULL",
        ctx.tables.uniques
    ));
    ex.execute(
        &sql,
        &[
            Value::Ts(Some(now.to_string())),
            Value::text(ctx.graph.id()),
            Value::text(kind),
            Value::text(id),
        ],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(fields: &[&str], where_: Option<(&str, &str)>, ci: bool) -> UniqueConstraint {
        UniqueConstraint {
            name: "u".into(),
            fields: fields.iter().map(|s| s.to_string()).collect(),
            r#where: where_.map(|(f, o)| crate::graph::UniqueWhere {
                field: f.into(),
                op: o.into(),
            }),
            scope: None,
            collation: ci.then(|| "caseInsensitive".into()),
        }
    }

    #[test]
    fn keys_follow_the_encoding() {
        let p = json!({ "a": "X", "b": 3, "c": null });
        assert_eq!(
            key_for(&c(&["a", "b"], None, false), &p).unwrap(),
            "X\u{1e}3"
        );
        assert_eq!(
            key_for(&c(&["a", "c", "d"], None, true), &p).unwrap(),
            "x\u{1e}\u{1f}\u{1e}\u{1f}"
        );
        assert_eq!(
            key_for(&c(&["c"], Some(("c", "isNotNull")), false), &p),
            None
        );
        assert!(key_for(&c(&["a"], Some(("c", "isNull")), false), &p).is_some());
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindArgs {
    pub kind: String,
    pub constraint: String,
    /// One props object per lookup.
    pub props: Vec<Box<serde_json::value::RawValue>>,
}

/// The node holding each props' key under a named constraint: `[row, live]` pairs
/// (a soft-deleted holder comes back with `live = false`), `null` when nobody holds it.
pub async fn find_by_constraint<E: Executor>(
    ex: &mut E,
    ctx: &Ctx<'_>,
    a: FindArgs,
) -> Result<String> {
    let spec = ctx.graph.node(&a.kind)?;
    let c = spec
        .unique
        .iter()
        .find(|c| c.name == a.constraint)
        .ok_or_else(|| {
            Error::new(
                Code::ConstraintNotFound,
                format!(
                    "Constraint not found: \"{}\" on node kind \"{}\"",
                    a.constraint, a.kind
                ),
                json!({ "constraintName": a.constraint, "kind": a.kind }),
            )
        })?;
    let g = ctx.graph.id();
    let covered = scope_kinds(ctx, &a.kind, c);
    // A live holder first, then the most recent release.
    let sql = ex.dialect().finish(format!(
        "SELECT node_id, concrete_kind, deleted_at FROM {} WHERE graph_id = ? AND {} AND constraint_name = ? AND key = ? \
         ORDER BY CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END, deleted_at DESC",
        ctx.tables.uniques,
        ex.dialect().in_list("node_kind")
    ));
    let mut out = String::from("[");
    for (i, p) in a.props.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let props: Json = serde_json::from_str(p.get())?;
        let hit = match key_for(c, &props) {
            None => None,
            Some(key) => ex
                .query(
                    &sql,
                    &[
                        Value::text(g),
                        Value::TextList(covered.clone()),
                        Value::text(&c.name),
                        Value::text(&key),
                    ],
                )
                .await?
                .into_iter()
                .next(),
        };
        let Some(h) = hit else {
            out.push_str("null");
            continue;
        };
        let holder = h
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = h
            .get(1)
            .and_then(Value::as_str)
            .unwrap_or(&a.kind)
            .to_string();
        let released = !h.get(2).is_none_or(Value::is_null);
        match super::nodes::fetch(ex, ctx, &kind, &holder).await? {
            // A released key whose holder is still live was given up by a value change: nobody holds it.
            Some(row) if released && row.get(8).is_none_or(Value::is_null) => out.push_str("null"),
            Some(row) => {
                let live = row.get(8).is_none_or(Value::is_null);
                out.push('[');
                super::rows::push_row(&mut out, &row, super::rows::NODE_PROPS)?;
                out.push_str(if live { ",true]" } else { ",false]" });
            }
            None => out.push_str("null"),
        }
    }
    out.push(']');
    Ok(out)
}

/// The key each props object holds under a named constraint (`null` where the constraint's
/// `where` excludes it) — what `bulkGetOrCreateByConstraint` folds repeated items by.
pub fn constraint_keys(ctx: &Ctx<'_>, a: FindArgs) -> Result<String> {
    let spec = ctx.graph.node(&a.kind)?;
    let c = spec
        .unique
        .iter()
        .find(|c| c.name == a.constraint)
        .ok_or_else(|| {
            Error::new(
                Code::ConstraintNotFound,
                format!(
                    "Constraint not found: \"{}\" on node kind \"{}\"",
                    a.constraint, a.kind
                ),
                json!({ "constraintName": a.constraint, "kind": a.kind }),
            )
        })?;
    let mut keys = Vec::with_capacity(a.props.len());
    for p in &a.props {
        let props: Json = serde_json::from_str(p.get())?;
        keys.push(key_for(c, &props));
    }
    Ok(serde_json::to_string(&keys)?)
}
