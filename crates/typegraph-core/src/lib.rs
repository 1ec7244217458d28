//! typegraph-core: the TypeGraph engine. Storage layout, schema versions and
//! node/edge operations over SQLite (rusqlite, on the calling thread) and
//! PostgreSQL (sqlx, async), written once against [`exec::Executor`].
//! No Node-API types here; the binding crate converts and the TypeScript
//! layer owns zod validation.

pub mod algo;
pub mod dialect;
pub mod error;
pub mod exec;
pub mod graph;
pub mod ops;
pub mod predicate;
pub mod query;
pub mod search;
pub mod util;
pub mod value;

pub use dialect::{Dialect, Tables};
pub use error::{Code, Error, Result};
pub use graph::Graph;
