//! The PostgreSQL executor's session settings: a traversal kept in written join order sets
//! `join_collapse_limit = 1` for the session once (outside a transaction) and leaves it for the
//! next one; a statement with joins of its own, a transaction and `restore_defaults` put the
//! default back first; inside a transaction the setting lasts one statement. Runs when
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

        // A statement with joins of its own plans under the default.
        assert_eq!(setting(&mut ex, JOINED).await, default);
        assert!(ex.session.is_default());
        assert_eq!(setting(&mut ex, PLAIN).await, default);

        // A transaction starts from the default; inside, the setting lasts one statement, and
        // a rollback leaves the session as it was before the transaction.
        ex.query_compiled(ORDERED, &[], true, false).await.unwrap();
        ex.begin().await.unwrap();
        assert!(ex.session.is_default());
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
