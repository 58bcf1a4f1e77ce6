//! `--reuse`: the data set kept between runs, so that a run after the first skips the seeding.
//! The databases are named by the data set's size (a SQLite file in the temporary folder, a
//! PostgreSQL database on the admin URL's server); a store is reused when its contacts and
//! messages are those of a finished seed (one transaction: all of it or nothing).

use std::path::PathBuf;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::seed::Size;

/// The name both stores go by for `size`.
fn name(size: Size) -> String {
    format!("mobiniti_bench_queries_{}_{}", size.contacts, size.messages)
}

/// The SQLite file kept for `size`.
pub fn sqlite_path(size: Size) -> PathBuf {
    std::env::temp_dir().join(format!("{}.db", name(size)))
}

/// The PostgreSQL database kept for `size`, created when missing: its name and URL.
pub async fn postgres_database(admin: &str, size: Size) -> anyhow::Result<(String, url::Url)> {
    let name = name(size);
    let url = crate::postgres::url_of(admin, &name)?;
    let server = Database::connect(admin)
        .await
        .context("connecting to the PostgreSQL server")?;
    let found = server
        .query_one_raw(Statement::from_string(
            server.get_database_backend(),
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .context("looking for the kept database")?;
    server
        .close()
        .await
        .context("closing the admin connection")?;
    if found.is_none() {
        crate::postgres::create(admin, &name).await?;
    }
    Ok((name, url))
}

/// Whether the migrated store at `url` holds a finished seed of `size`.
pub async fn seeded(url: &str, size: Size) -> anyhow::Result<bool> {
    let db = Database::connect(url)
        .await
        .context("connecting to the kept store")?;
    let backend = db.get_database_backend();
    let contacts = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT value FROM totals WHERE name = 'contacts'",
        ))
        .await
        .context("reading the kept store's contacts")?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()
        .context("reading the kept store's contacts")?;
    let messages: i64 = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM messages",
        ))
        .await
        .context("counting the kept store's messages")?
        .context("COUNT(*) returned no row")?
        .try_get_by_index(0)
        .context("counting the kept store's messages")?;
    db.close().await.context("closing the kept store")?;
    // The writer of `--writes-per-second` adds messages, never contacts.
    Ok(contacts == Some(size.contacts) && messages >= size.messages)
}
