//! The store's own settings that make an answered delivery a durable one.

use std::time::Duration;

use api::store::{Store, StoreOptions};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{Backend, TestDb, spawn_on_url};

#[tokio::test]
async fn sqlite_is_opened_in_wal_mode_with_full_sync() {
    let db = TestDb::create(Backend::Sqlite).await;
    let store = Store::connect(&StoreOptions {
        url: db.url.clone(),
        timeout: Duration::from_secs(2),
        max_connections: 2,
        read_statement_timeout: Duration::ZERO,
    })
    .await
    .expect("open the store");
    let connection = store.connection();
    let pragma = |name: &str| {
        let sql = format!("PRAGMA {name}");
        async move {
            connection
                .query_one_raw(Statement::from_string(
                    connection.get_database_backend(),
                    sql,
                ))
                .await
                .expect("run the pragma")
                .expect("a row")
        }
    };
    let journal: String = pragma("journal_mode")
        .await
        .try_get_by_index(0)
        .expect("text");
    assert_eq!(journal, "wal");
    let synchronous: i32 = pragma("synchronous")
        .await
        .try_get_by_index(0)
        .expect("number");
    assert_eq!(
        synchronous, 2,
        "synchronous=FULL: every commit is on disk before the answer"
    );
}

/// Checkpoints run on a connection of their own soon after appends, not inside a commit: with
/// the commit-time threshold at 64 MiB of WAL, only that task moves these pages into the file.
#[tokio::test]
async fn sqlite_checkpoints_run_beside_the_appends() {
    let db = TestDb::create(Backend::Sqlite).await;
    let url = db.url.clone();
    let path = url
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc")
        .to_owned();
    let app = spawn_on_url(db, &url, &[]).await;
    let file_size = || std::fs::metadata(&path).expect("the database file").len();
    let before = file_size();
    for n in 0..100 {
        let body = serde_json::json!({
            "id": format!("c-{n}"),
            "phone_number": format!("+1303555{n:04}"),
            "message": "x".repeat(2_000),
            "updated_at": "2024-01-01T00:00:00Z",
        });
        app.deliver("inbound-message", body.to_string()).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while file_size() <= before + 100 * 2_000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no checkpoint moved the appended pages into {path} ({} bytes)",
            file_size()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
