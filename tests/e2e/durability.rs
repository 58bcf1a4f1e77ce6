//! The store's own settings that make an answered delivery a durable one.

use std::time::Duration;

use api::store::{Store, StoreOptions};
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{Backend, TestDb};

#[tokio::test]
async fn sqlite_is_opened_in_wal_mode_with_full_sync() {
    let db = TestDb::create(Backend::Sqlite).await;
    let store = Store::connect(&StoreOptions {
        url: db.url.clone(),
        timeout: Duration::from_secs(2),
        max_connections: 2,
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
