//! Opening the store: durable settings for SQLite, timeouts so a dead store fails fast.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database};

use super::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// How long a statement may wait for a connection or a lock before the store counts as
    /// unavailable.
    pub timeout: Duration,
    pub max_connections: u32,
}

impl Store {
    /// Opens a pool on the store. Runs no migration: call [`Store::migrate`].
    pub async fn connect(options: &StoreOptions) -> Result<Self, StoreError> {
        let timeout = options.timeout;
        let mut connect = ConnectOptions::new(options.url.clone());
        connect
            .max_connections(options.max_connections)
            .min_connections(1)
            .acquire_timeout(timeout)
            .connect_timeout(timeout)
            .sqlx_logging(false)
            // WAL lets readers run beside the writer; FULL makes every commit durable before a
            // webhook is answered 200.
            .map_sqlx_sqlite_opts(move |sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(timeout)
                    .foreign_keys(true)
            })
            // A webhook waiting on the append lock longer than this is answered 503 and retried
            // by its sender, rather than held open.
            .map_sqlx_postgres_opts(move |postgres| {
                postgres.options([("lock_timeout", format!("{}ms", timeout.as_millis()))])
            });
        let mut db = Database::connect(connect)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact_password(&options.url),
                source,
            })?;
        let statements = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&statements);
        db.set_metric_callback(move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Self {
            db,
            statements,
            commits: Arc::default(),
        })
    }
}

/// `postgres://user:secret@host/db` becomes `postgres://user:***@host/db`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_are_removed_from_urls() {
        assert_eq!(
            redact_password("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_password("sqlite://a.db?mode=rwc"),
            "sqlite://a.db?mode=rwc"
        );
    }
}
