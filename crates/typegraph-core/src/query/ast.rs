//! The query AST as the TypeScript builder sends it: plain JSON with every
//! user value replaced by a parameter slot (`{"$": i}`), so two queries that
//! differ only in values share one shape, one cache key and one compiled plan.

use serde::Deserialize;

/// A parameter slot: index into the `params` array sent with each execution.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct Slot {
    #[serde(rename = "$")]
    pub index: usize,
}

/// A node kind reference: `kind` alone, or with its subclasses.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindRef {
    pub kind: String,
    #[serde(default)]
    pub include_sub_classes: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Start {
    pub alias: String,
    pub kind: KindRef,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recursive {
    #[serde(default = "one")]
    pub min_hops: u32,
    /// Absent: the implicit cap.
    #[serde(default)]
    pub max_hops: Option<u32>,
    /// `prevent` (default) or `allow`.
    #[serde(default)]
    pub cycle_policy: Option<String>,
    #[serde(default)]
    pub depth_alias: Option<String>,
    #[serde(default)]
    pub path_alias: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    pub edge_alias: String,
    pub edge_kind: String,
    /// Ontology expansion: `none`, `implying`, `inverse`, `all`; absent = the store default.
    #[serde(default)]
    pub expand: Option<String>,
    /// `out` (default) or `in`.
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub optional: bool,
    /// The node alias the hop leaves from; the previous node alias when absent.
    #[serde(default)]
    pub from: Option<String>,
    pub node_alias: String,
    pub node_kind: KindRef,
    #[serde(default)]
    pub recursive: Option<Recursive>,
    /// `includeIdentityMembers`: leave from every visible member of the source's identity class.
    #[serde(default)]
    pub include_identity_members: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    /// `id`, `kind`, `fromId`, `toId` for system columns.
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub path: Vec<String>,
    /// `string`, `number`, `boolean`, `date`, `array`, `object`, `embedding` or `unknown`.
    #[serde(default)]
    pub value_type: Option<String>,
}

impl FieldRef {
    pub fn vt(&self) -> &str {
        if self.system.is_some() {
            return "string";
        }
        self.value_type.as_deref().unwrap_or("unknown")
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Pred {
    And {
        preds: Vec<Pred>,
    },
    Or {
        preds: Vec<Pred>,
    },
    Not {
        pred: Box<Pred>,
    },
    Cmp {
        field: FieldRef,
        op: String,
        #[serde(default)]
        value: Option<Slot>,
        #[serde(default)]
        value2: Option<Slot>,
        /// `in`/`notIn`: element type of the bound list (`string` or `number`).
        /// (`rename_all` on an enum names variants only, so the field is renamed here.)
        #[serde(default, rename = "listType")]
        list_type: Option<String>,
        /// Compare with a field of this or an enclosing query instead of a value.
        #[serde(default)]
        r#ref: Option<AliasField>,
    },
    /// `exists(subquery)` / `notExists(subquery)`.
    Exists {
        query: Box<Query>,
        #[serde(default)]
        negated: bool,
    },
    /// `n.field.similarTo(embedding, k, { metric, minScore, approximate })`.
    Similar {
        field: FieldRef,
        embedding: Slot,
        k: Slot,
        #[serde(default)]
        metric: Option<String>,
        #[serde(default, rename = "minScore")]
        min_score: Option<Slot>,
        #[serde(default)]
        approximate: bool,
    },
    /// `n.$fulltext.matches(query, k, { mode, language, minScore })`.
    Fulltext {
        query: Slot,
        #[serde(default)]
        k: Option<Slot>,
        #[serde(default)]
        mode: Option<String>,
        #[serde(default)]
        language: Option<String>,
        #[serde(default, rename = "minScore")]
        min_score: Option<Slot>,
    },
    /// `inSubquery(fieldRef(alias, path), subquery)`.
    InSubquery {
        alias: String,
        field: FieldRef,
        query: Box<Query>,
        #[serde(default)]
        negated: bool,
    },
}

/// `fieldRef(alias, path)`: a field of an alias in scope.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasField {
    pub alias: String,
    pub field: FieldRef,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Where {
    pub alias: String,
    pub pred: Pred,
}

/// One output column.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectItem {
    pub alias: String,
    /// `id`, `kind`, `fromId`, `toId`, `props`, `prop` (with `path`), `version`,
    /// `validFrom`, `validTo`, `createdAt`, `updatedAt`, `deletedAt`, `depth`, `path`.
    pub col: String,
    #[serde(default)]
    pub path: Vec<String>,
    #[serde(default)]
    pub value_type: Option<String>,
    /// Aggregate function: `count`, `countDistinct`, `sum`, `avg`, `min`, `max`.
    #[serde(default)]
    pub agg: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderBy {
    /// An alias; or, on aggregate queries, an output column index.
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub field: Option<FieldRef>,
    #[serde(default)]
    pub output: Option<usize>,
    #[serde(default)]
    pub desc: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupBy {
    pub alias: String,
    pub field: FieldRef,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Having {
    /// Index into `select` (an aggregate column).
    pub output: usize,
    pub op: String,
    pub value: Slot,
    /// JSON type of the compared value (`number` when absent; `string`/`boolean` as upstream allows).
    #[serde(default)]
    pub value_type: Option<String>,
}

/// Keyset bound for cursor pagination: rows strictly after (or before) these values
/// in `orderBy` order; `values` holds one slot per `orderBy` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Keyset {
    pub values: Vec<Slot>,
    /// `after` (default) or `before`.
    #[serde(default)]
    pub before: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Temporal {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub as_of: Option<Slot>,
    /// Recorded time: the revision a history store's recorded view reads at (the query then
    /// reads the recorded relations, each alias filtered to the rows open at that revision).
    #[serde(default)]
    pub recorded: Option<Slot>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetOp {
    /// `union`, `unionAll`, `intersect`, `except`.
    pub op: String,
    pub query: Query,
    /// Limit/offset of the chain up to and including this operation, when a later
    /// operation takes it as its (nested) left operand.
    #[serde(default)]
    pub limit: Option<Slot>,
    #[serde(default)]
    pub offset: Option<Slot>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    pub start: Start,
    #[serde(default)]
    pub hops: Vec<Hop>,
    #[serde(default, rename = "where")]
    pub wheres: Vec<Where>,
    #[serde(default)]
    pub select: Vec<SelectItem>,
    #[serde(default)]
    pub group_by: Vec<GroupBy>,
    #[serde(default)]
    pub having: Vec<Having>,
    #[serde(default)]
    pub order_by: Vec<OrderBy>,
    #[serde(default)]
    pub keyset: Option<Keyset>,
    #[serde(default)]
    pub limit: Option<Slot>,
    #[serde(default)]
    pub offset: Option<Slot>,
    #[serde(default)]
    pub temporal: Option<Temporal>,
    /// `rows` (default), `count` or `exists`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Set operations applied left to right after this query.
    #[serde(default)]
    pub set_ops: Vec<SetOp>,
    /// Limit/offset applied after the set operations.
    #[serde(default)]
    pub set_limit: Option<Slot>,
    #[serde(default)]
    pub set_offset: Option<Slot>,
    /// `.fuseWith({ k, weights })`: reciprocal rank fusion of similarTo and $fulltext.
    #[serde(default)]
    pub fusion: Option<Fusion>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fusion {
    #[serde(default)]
    pub k: Option<f64>,
    #[serde(default)]
    pub weights: Option<FusionWeights>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FusionWeights {
    #[serde(default)]
    pub vector: Option<f64>,
    #[serde(default)]
    pub fulltext: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::Pred;

    #[test]
    fn cmp_reads_the_list_type_the_builder_sends() {
        let p: Pred = serde_json::from_str(
            r#"{"type":"cmp","field":{"path":["n"],"valueType":"unknown"},"op":"in","value":{"$":0},"listType":"number"}"#,
        )
        .unwrap();
        match p {
            Pred::Cmp { list_type, .. } => assert_eq!(list_type.as_deref(), Some("number")),
            other => panic!("not a comparison: {other:?}"),
        }
    }
}
