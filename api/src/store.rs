//! The relational store: the event log, its projections, the quarantine and settings.
//!
//! Every write of a delivery happens in [`Store::append`], one transaction for the event and the
//! projections it changes. Callers never see sea-orm: they pass domain types in and get domain
//! types out.

mod append;
mod checkpoint;
mod connect;
mod group_commit;
mod kept;
mod migrate;
pub mod page;
mod persisted;
mod projections;
mod quarantine;
mod queries;
mod recompute;
mod refusal;
mod version;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use tokio::sync::Notify;

pub use append::{Appended, NOTIFY_CHANNEL};
pub use connect::{StoreOptions, redact_password};
pub use group_commit::{AppendError, BATCH_SIZE_BOUNDS, BatchSettings, CommitCounts, GroupCommit};
pub use page::{Cursor, Page, PageError, PageRequest};
pub use persisted::MAX_REGISTERED as MAX_PERSISTED_QUERIES;
pub use projections::MessageDirection;
pub use quarantine::{Quarantined, ReplayReport, STORE_REFUSED, StillRefused};
pub use queries::*;
pub use recompute::RebuildReport;

#[cfg(test)]
pub(crate) use append::tests::inbound as test_inbound;

/// What went wrong in the store, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {url}: {reason}")]
    Connect {
        /// The database URL with any password removed.
        url: String,
        /// What the database itself said: the innermost cause, which the drivers' wrappers
        /// otherwise repeat once per layer.
        reason: String,
    },
    /// The migrations, or the lock that lets one process at a time apply them (see
    /// `migrate.rs`); `step` says which, and `source` what the database said.
    #[error("applying the database migrations failed: {step}")]
    Migrate {
        step: &'static str,
        #[source]
        source: DbErr,
    },
    #[error("the store did not answer")]
    Unavailable(#[from] DbErr),
    /// The store refused what it was asked to keep, for its content: retrying gets the same
    /// answer (see `refusal.rs`).
    #[error("the store refused the data: {0}")]
    Refused(String),
    #[error("event at position {position} cannot be read back ({message}); it stays in the log")]
    Unreadable { position: i64, message: String },
}

/// Why a read could not answer: the client asked for something impossible, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Page(#[from] PageError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for ReadError {
    fn from(err: DbErr) -> Self {
        Self::Store(StoreError::Unavailable(err))
    }
}

/// How much of a connection pool is in use.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolUsage {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolUsage {
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> Self {
        Self {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
}

/// A handle on the store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Where appends, the quarantine, migrations and rebuilds run: a connection (SQLite) or a
    /// small pool (PostgreSQL) of their own, so readers never make a webhook wait.
    writer: DatabaseConnection,
    /// Where SQLite checkpoints run (see `checkpoint.rs`); `None` on PostgreSQL.
    checkpointer: Option<DatabaseConnection>,
    /// SQL statements sent so far, for `/metrics`.
    statements: Arc<AtomicU64>,
    /// Told after every append that wrote an event, so this process's log tailer wakes at once.
    commits: Arc<Notify>,
    /// Appends that wrote an event, in this process: the checkpoint task skips a quiet second.
    appends: Arc<AtomicU64>,
}

impl Store {
    /// Answers whether the store takes queries.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::Unavailable)
    }

    /// How many SQL statements this store has sent since it was opened.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// The read pool's connections now: open, idle, and the most allowed.
    pub fn pool_usage(&self) -> PoolUsage {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => PoolUsage::of(self.db.get_sqlite_connection_pool()),
            DbBackend::Postgres => PoolUsage::of(self.db.get_postgres_connection_pool()),
            _ => PoolUsage::default(),
        }
    }

    /// Resolves after the next append that wrote an event, in this process (or at once if one
    /// committed since the last call). Only a hint: the log itself says what was written.
    pub async fn appended(&self) {
        self.commits.notified().await;
    }

    /// The underlying connection, for the store's own submodules and for tests of the schema.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
