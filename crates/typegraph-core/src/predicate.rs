//! Filters over one entity alias (`find({ where })` on collections), compiled
//! to SQL with parameters only. Identifiers come from definitions and are
//! either rendered as escaped literals or, when unusual, bound as parameters.

use crate::dialect::Dialect;
use crate::error::{Code, Error, Result};
use crate::value::Value;
use serde::Deserialize;
use serde_json::{json, Value as Json};

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    /// `id`, `kind`, `fromId`, `toId` for system columns.
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub path: Vec<String>,
    /// `string`, `number`, `boolean`, `date`, `array`, `object` or `unknown`.
    #[serde(default)]
    pub value_type: Option<String>,
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
        value: Json,
        #[serde(default)]
        value2: Json,
    },
}

fn unsupported(op: &str) -> Error {
    Error::new(
        Code::UnsupportedPredicate,
        format!("Unsupported predicate operator \"{op}\""),
        json!({ "operator": op }),
    )
}

fn scalar(v: &Json, op: &str) -> Result<Value> {
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Text(s.clone()),
        _ => {
            return Err(Error::validation(
                format!("Operator \"{op}\" needs a scalar value"),
                json!({ "operator": op }),
            ))
        }
    })
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Compiles predicates against a table alias (`""` for none).
pub struct Compiler<'a> {
    pub dialect: Dialect,
    pub alias: &'a str,
    pub params: Vec<Value>,
}

impl<'a> Compiler<'a> {
    pub fn new(dialect: Dialect, alias: &'a str) -> Self {
        Compiler {
            dialect,
            alias,
            params: Vec::new(),
        }
    }

    fn col(&self, name: &str) -> String {
        if self.alias.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.alias)
        }
    }

    fn field_expr(&mut self, f: &FieldRef, as_number: bool) -> Result<String> {
        if let Some(sys) = &f.system {
            let col = match sys.as_str() {
                "id" => "id",
                "kind" => "kind",
                "fromId" => "from_id",
                "toId" => "to_id",
                "fromKind" => "from_kind",
                "toKind" => "to_kind",
                other => {
                    return Err(Error::validation(
                        format!("Unknown system field \"{other}\""),
                        json!({}),
                    ))
                }
            };
            return Ok(self.col(col));
        }
        if f.path.is_empty() {
            return Err(Error::invariant("field reference without a path"));
        }
        let props = self.col("props");
        let boolean = f.value_type.as_deref() == Some("boolean");
        Ok(match self.dialect {
            Dialect::Postgres if as_number => self.dialect.json_number(&props, &f.path),
            Dialect::Postgres if boolean => {
                format!("({})::boolean", self.dialect.json_text(&props, &f.path))
            }
            _ => self.dialect.json_text(&props, &f.path),
        })
    }

    pub fn compile(&mut self, p: &Pred) -> Result<String> {
        match p {
            Pred::And { preds } | Pred::Or { preds } => {
                if preds.is_empty() {
                    return Ok(if matches!(p, Pred::And { .. }) {
                        "1=1"
                    } else {
                        "1=0"
                    }
                    .into());
                }
                let sep = if matches!(p, Pred::And { .. }) {
                    " AND "
                } else {
                    " OR "
                };
                let parts = preds
                    .iter()
                    .map(|q| self.compile(q))
                    .collect::<Result<Vec<_>>>()?;
                Ok(format!("({})", parts.join(sep)))
            }
            Pred::Not { pred } => Ok(format!("NOT ({})", self.compile(pred)?)),
            Pred::Cmp {
                field,
                op,
                value,
                value2,
            } => self.cmp(field, op, value, value2),
        }
    }

    fn cmp(&mut self, f: &FieldRef, op: &str, value: &Json, value2: &Json) -> Result<String> {
        let numeric = f.value_type.as_deref() == Some("number")
            || (matches!(value, Json::Number(_)) && f.system.is_none());
        let sql = match op {
            "isNull" => format!("{} IS NULL", self.field_expr(f, false)?),
            "isNotNull" => format!("{} IS NOT NULL", self.field_expr(f, false)?),
            "eq" | "neq" | "gt" | "gte" | "lt" | "lte" => {
                let sym = match op {
                    "eq" => "=",
                    "neq" => "<>",
                    "gt" => ">",
                    "gte" => ">=",
                    "lt" => "<",
                    _ => "<=",
                };
                let v = scalar(value, op)?;
                if v.is_null() {
                    let e = self.field_expr(f, false)?;
                    return Ok(if op == "eq" {
                        format!("{e} IS NULL")
                    } else {
                        format!("{e} IS NOT NULL")
                    });
                }
                let e = self.field_expr(f, numeric)?;
                self.params.push(v);
                format!("{e} {sym} ?")
            }
            "between" => {
                let e = self.field_expr(f, numeric)?;
                self.params.push(scalar(value, op)?);
                self.params.push(scalar(value2, op)?);
                format!("{e} BETWEEN ? AND ?")
            }
            "in" | "notIn" => {
                let items = value.as_array().ok_or_else(|| {
                    Error::validation(
                        format!("Operator \"{op}\" needs an array"),
                        json!({ "operator": op }),
                    )
                })?;
                if items.is_empty() {
                    return Ok(if op == "in" { "1=0" } else { "1=1" }.into());
                }
                let all_numbers = items.iter().all(|i| i.is_number());
                let list: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                let e = self.field_expr(f, false)?;
                let target = match (self.dialect, all_numbers) {
                    (Dialect::Postgres, true) => format!("({e})::double precision"),
                    _ => e,
                };
                let mut test = self.dialect.in_list(&target);
                if self.dialect == Dialect::Postgres && all_numbers {
                    test = format!("{target} = ANY(CAST(? AS double precision[]))");
                }
                self.params.push(Value::TextList(list));
                if op == "in" {
                    test
                } else {
                    format!("NOT ({test})")
                }
            }
            "contains" | "startsWith" | "endsWith" | "like" | "ilike" => {
                let s = value.as_str().ok_or_else(|| {
                    Error::validation(
                        format!("Operator \"{op}\" needs a string"),
                        json!({ "operator": op }),
                    )
                })?;
                let pattern = match op {
                    "contains" => format!("%{}%", like_escape(s)),
                    "startsWith" => format!("{}%", like_escape(s)),
                    "endsWith" => format!("%{}", like_escape(s)),
                    _ => s.to_string(),
                };
                let e = self.field_expr(f, false)?;
                self.params.push(Value::Text(pattern));
                match op {
                    "like" => self.dialect.like(&e),
                    _ => self.dialect.ilike(&e, true),
                }
            }
            other => return Err(unsupported(other)),
        };
        Ok(sql)
    }
}
