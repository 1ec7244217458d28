//! The PostgreSQL executor's session settings: a traversal kept in written join order sets
//! `join_collapse_limit = 1` for the session once (outside a transaction) and leaves it for the
//! next one; a statement with joins of its own, a transaction and `restore_defaults` put the
//! default back first; inside a transaction the setting lasts one statement. Statements planned
//! per execution (joins not anchored on a bound id, long lists) turn the session to
//! `plan_cache_mode = force_custom_plan` (inside a transaction with `SET LOCAL`); statements that
//! may keep a generic plan turn it back when they have joins or come two in a row. Runs when
//! DATABASE_URL is set (CI requires it).

use typegraph_core::exec::postgres::{PgExec, PgSession};
use typegraph_core::exec::Executor;
use typegraph_core::value::Value;

const ORDERED: &str = "SELECT 1 FROM (SELECT 1) a JOIN (SELECT 1) b ON true";
/// The setting as the next statement without joins sees it (such a statement changes nothing).
const PLAIN: &str = "SELECT current_setting('join_collapse_limit')";
/// The setting as a statement with joins of its own sees it.
const JOINED: &str =
    "SELECT current_setting('join_collapse_limit') FROM (SELECT 1) a JOIN (SELECT 1) b ON true";

/// A setting as the session has it now, read past the executor (which would settle it first).
async fn shown(ex: &mut PgExec<'_>, name: &str) -> String {
    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("SHOW {name}")))
        .fetch_one(&mut *ex.conn)
        .await
        .unwrap()
}

async fn setting(ex: &mut PgExec<'_>, sql: &str) -> String {
    let rows = ex.query(sql, &[]).await.unwrap();
    match rows[0][0] {
        Value::Text(ref s) => s.clone(),
        ref other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn written_join_order_is_a_session_setting_put_back_when_needed() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        if std::env::var("CI").is_ok() {
            panic!("CI requires DATABASE_URL");
        }
        eprintln!("DATABASE_URL not set: PostgreSQL session test not run locally");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut depth = 0;
        let mut session = PgSession::default();
        let mut ex = PgExec {
            conn: &mut conn,
            depth: &mut depth,
            session: &mut session,
        };
        let default = setting(&mut ex, PLAIN).await;
        assert_ne!(default, "1");

        // Outside a transaction: set for the session and left there.
        ex.query_compiled(ORDERED, &[], true, false).await.unwrap();
        assert!(!ex.session.is_default());
        assert_eq!(setting(&mut ex, PLAIN).await, "1");
        ex.query_compiled(ORDERED, &[], true, true).await.unwrap();
        assert_eq!(setting(&mut ex, PLAIN).await, "1");

        // A statement with joins of its own plans under the default join order (and, being
        // unanchored, under custom plans).
        assert_eq!(setting(&mut ex, JOINED).await, default);
        assert_eq!(shown(&mut ex, "plan_cache_mode").await, "force_custom_plan");
        assert_eq!(setting(&mut ex, PLAIN).await, default);

        // A transaction starts from the default join order; inside, the setting lasts one
        // statement, and a rollback leaves the session as it was before the transaction.
        ex.query_compiled(ORDERED, &[], true, false).await.unwrap();
        ex.begin().await.unwrap();
        assert_eq!(shown(&mut ex, "join_collapse_limit").await, default);
        assert_eq!(setting(&mut ex, PLAIN).await, default);
        ex.query_compiled(ORDERED, &[], true, false).await.unwrap();
        assert_eq!(setting(&mut ex, PLAIN).await, default);
        ex.rollback().await.unwrap();
        assert_eq!(setting(&mut ex, PLAIN).await, default);

        // Before a connection goes back to a pool.
        ex.query_compiled(ORDERED, &[], true, false).await.unwrap();
        ex.restore_defaults().await.unwrap();
        assert!(ex.session.is_default());
        assert_eq!(setting(&mut ex, PLAIN).await, default);
    });
}

async fn mode(ex: &mut PgExec<'_>) -> String {
    shown(ex, "plan_cache_mode").await
}

/// An unanchored join (planned per execution) and a single-table statement (may keep a generic plan).
const UNANCHORED: &str = "SELECT 1 FROM (SELECT 1) a JOIN (SELECT 1) b ON true";
const SINGLE: &str = "SELECT 1";

#[test]
fn statements_planned_per_execution_run_named_under_custom_plans() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        if std::env::var("CI").is_ok() {
            panic!("CI requires DATABASE_URL");
        }
        eprintln!("DATABASE_URL not set: PostgreSQL session test not run locally");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut depth = 0;
        let mut session = PgSession::default();
        let mut ex = PgExec {
            conn: &mut conn,
            depth: &mut depth,
            session: &mut session,
        };
        assert_eq!(mode(&mut ex).await, "auto");

        // Outside a transaction: the first unanchored join turns the session to custom plans,
        // and it stays there for the next ones; the statement is named (prepared once).
        for _ in 0..3 {
            ex.query(UNANCHORED, &[]).await.unwrap();
        }
        assert_eq!(mode(&mut ex).await, "force_custom_plan");
        assert!(!ex.session.is_default());
        let kept: i64 = sqlx::query_scalar(
            "SELECT custom_plans + generic_plans FROM pg_prepared_statements WHERE statement = $1",
        )
        .bind(UNANCHORED)
        .fetch_one(&mut *ex.conn)
        .await
        .unwrap();
        assert_eq!(kept, 3);

        // One single-table statement between custom ones runs as the session is; the second
        // in a row turns it back.
        ex.query(SINGLE, &[]).await.unwrap();
        assert_eq!(mode(&mut ex).await, "force_custom_plan");
        ex.query(SINGLE, &[]).await.unwrap();
        assert_eq!(mode(&mut ex).await, "auto");

        // An anchored join turns it back at once (planning it per execution costs more).
        ex.query(UNANCHORED, &[]).await.unwrap();
        assert_eq!(mode(&mut ex).await, "force_custom_plan");
        ex.query_compiled(UNANCHORED, &[], false, true)
            .await
            .unwrap();
        assert_eq!(mode(&mut ex).await, "auto");

        // Inside a transaction: SET LOCAL, gone at commit; undone by a rollback to a savepoint
        // (and set again by the next custom statement).
        ex.begin().await.unwrap();
        ex.query(UNANCHORED, &[]).await.unwrap();
        assert_eq!(mode(&mut ex).await, "force_custom_plan");
        ex.commit().await.unwrap();
        assert_eq!(mode(&mut ex).await, "auto");
        assert!(ex.session.is_default());
        ex.begin().await.unwrap();
        ex.begin().await.unwrap();
        ex.query(UNANCHORED, &[]).await.unwrap();
        assert_eq!(mode(&mut ex).await, "force_custom_plan");
        ex.rollback().await.unwrap();
        assert_eq!(mode(&mut ex).await, "auto");
        ex.query(UNANCHORED, &[]).await.unwrap();
        assert_eq!(mode(&mut ex).await, "force_custom_plan");
        ex.rollback().await.unwrap();
        assert_eq!(mode(&mut ex).await, "auto");

        // A session left in custom plans is put back before the connection goes to a pool.
        ex.query(UNANCHORED, &[]).await.unwrap();
        assert_eq!(mode(&mut ex).await, "force_custom_plan");
        ex.restore_defaults().await.unwrap();
        assert!(ex.session.is_default());
        assert_eq!(mode(&mut ex).await, "auto");
    });
}
