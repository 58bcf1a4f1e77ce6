//! Applying the migrations, one process at a time.
//!
//! Replicas started together on an empty database each find no migration applied and each
//! create the same tables: on PostgreSQL all but one then fail on a duplicate key in `pg_type`,
//! on SQLite with "table already exists". So the migrations run under a lock kept by the
//! database itself, which every replica reaches and which is freed when its holder dies:
//!
//! - PostgreSQL: the session-level advisory lock [`ADVISORY_LOCK_KEY`], held on a connection
//!   of its own for the whole run and released after it. Advisory locks are per database, so
//!   only processes on the same database wait for one another. A process that finds the lock
//!   taken says so in its log, then waits as long as the holder migrates.
//! - SQLite: the database's write lock, taken by `BEGIN IMMEDIATE`, with the migrations run
//!   inside that transaction. A sidecar lock file was the other choice; the write lock needs no
//!   second file to back up, clean away or lock correctly on every file system, and it makes
//!   the migrations atomic, so a process killed half-way leaves the schema as it found it
//!   rather than with a table created and not recorded. A wait longer than the busy timeout
//!   (`--store-timeout`) is logged and the lock asked for again, as migrations may take longer
//!   than a request should wait. An in-memory database takes the same path, where the lock is
//!   never contended.
//!
//! Either way the migrations run on the writer pool: they are writes, and no read limit may
//! cut one short.

use std::sync::Arc;
use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{self, Connection};
use sea_orm::{
    DatabaseTransaction, DbBackend, DbErr, RuntimeErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use super::{Store, StoreError};

/// The PostgreSQL advisory lock held while migrating: the bytes of `mobiniti` read as a
/// big-endian integer, 0x6d6f62696e697469 (7885629677512520809). `pg_locks` shows it as
/// `locktype = 'advisory'`, `classid = 1836016233`, `objid = 1852404841`, `objsubid = 1`, with
/// the `pid` holding it. Never change it: a version with another key would migrate beside one
/// still running the old.
const ADVISORY_LOCK_KEY: i64 = i64::from_be_bytes(*b"mobiniti");

/// SQLite's primary result code `SQLITE_BUSY`: the write lock is held by another connection.
const SQLITE_BUSY: i32 = 5;

/// The pause between two requests for SQLite's write lock, should the busy timeout be zero.
const SQLITE_RETRY: Duration = Duration::from_millis(100);

impl Store {
    /// Applies the migrations that have not run yet, while no other process applies them.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.writer.get_database_backend() {
            DbBackend::Postgres => self.migrate_postgres().await,
            _ => self.migrate_sqlite().await,
        }
    }

    async fn migrate_postgres(&self) -> Result<(), StoreError> {
        // Out of the pool for good: the lock belongs to this session, and when the session
        // ends, by `release` or by the connection being dropped on any other path (an error, a
        // cancelled start-up, a crash), the server frees the lock with it.
        let mut session = self
            .writer
            .get_postgres_connection_pool()
            .acquire()
            .await
            .map_err(|err| failed("no connection to hold the migration lock on", conn(err)))?
            .detach();
        take_advisory_lock(&mut session).await.map_err(|err| {
            failed(
                "waiting for the migration lock, which another process may hold",
                query(err),
            )
        })?;
        let migrated = migration::Migrator::up(&self.writer, None).await;
        release_advisory_lock(session).await;
        migrated.map_err(|err| failed("a migration did not apply", err))
    }

    async fn migrate_sqlite(&self) -> Result<(), StoreError> {
        let transaction = self.sqlite_write_lock().await?;
        if let Err(err) = migration::Migrator::up(&transaction, None).await {
            if let Err(rollback) = transaction.rollback().await {
                // Closing the connection, as the process does on this error, rolls it back.
                tracing::warn!(error = %rollback, "rolling back the failed migrations failed");
            }
            return Err(failed("a migration did not apply", err));
        }
        transaction
            .commit()
            .await
            .map_err(|err| failed("committing the migrations", err))
    }

    /// A transaction holding SQLite's write lock, however long another connection keeps it.
    async fn sqlite_write_lock(&self) -> Result<DatabaseTransaction, StoreError> {
        let immediate = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let mut logged = false;
        loop {
            match self.writer.begin_with_options(immediate).await {
                Ok(transaction) => return Ok(transaction),
                Err(err) if is_sqlite_busy(&err) => {
                    if !logged {
                        tracing::info!(
                            "waiting for another process's migrations \
                             (SQLite's write lock is held longer than --store-timeout)"
                        );
                        logged = true;
                    }
                    tokio::time::sleep(SQLITE_RETRY).await;
                }
                Err(err) => return Err(failed("taking SQLite's write lock", err)),
            }
        }
    }
}

async fn take_advisory_lock(session: &mut PgConnection) -> Result<(), sqlx::Error> {
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(ADVISORY_LOCK_KEY)
        .fetch_one(&mut *session)
        .await?;
    if taken {
        return Ok(());
    }
    tracing::info!(
        key = ADVISORY_LOCK_KEY,
        "waiting for another process's migrations (PostgreSQL advisory lock)"
    );
    // The pool's `lock_timeout` bounds a request's wait, and a read pool may limit statements;
    // this wait lasts as long as the other process's migrations do.
    sqlx::raw_sql("SET lock_timeout = 0; SET statement_timeout = 0")
        .execute(&mut *session)
        .await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(ADVISORY_LOCK_KEY)
        .execute(&mut *session)
        .await?;
    tracing::info!("took the migration lock");
    Ok(())
}

/// Unlocks and closes `session`. A failure is only logged: the server frees the lock when the
/// session ends, which dropping the connection does in any case.
async fn release_advisory_lock(mut session: PgConnection) {
    let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
        .bind(ADVISORY_LOCK_KEY)
        .fetch_one(&mut session)
        .await;
    match unlocked {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            key = ADVISORY_LOCK_KEY,
            "the migration lock was not held at its release"
        ),
        Err(err) => tracing::warn!(error = %err, "releasing the migration lock failed"),
    }
    if let Err(err) = session.close().await {
        tracing::warn!(error = %err, "closing the migration lock's connection failed");
    }
}

/// Whether SQLite refused because another connection holds the lock asked for.
pub(super) fn is_sqlite_busy(err: &DbErr) -> bool {
    let (DbErr::Conn(RuntimeErr::SqlxError(cause))
    | DbErr::Exec(RuntimeErr::SqlxError(cause))
    | DbErr::Query(RuntimeErr::SqlxError(cause))) = err
    else {
        return false;
    };
    let sqlx::Error::Database(cause) = cause.as_ref() else {
        return false;
    };
    // The driver gives the extended result code; its low byte is the primary one.
    cause
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == SQLITE_BUSY)
}

fn failed(step: &'static str, source: DbErr) -> StoreError {
    StoreError::Migrate { step, source }
}

fn conn(err: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))
}

fn query(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
}
