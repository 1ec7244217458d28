//! Node-API binding for typegraph-core. Converts types, maps errors, owns
//! handles — nothing else. One file per TypeScript module it serves:
//! `sqlite.rs` ↔ `lib/sqlite-local.ts`, `postgres.rs` ↔ `lib/postgres.ts`,
//! `ddl.rs` ↔ `lib/sqlite.ts` + `lib/postgres.ts`, `clock.rs` ↔ `lib/clock.ts`.

mod clock;
mod ddl;
mod error;
mod postgres;
mod sqlite;
