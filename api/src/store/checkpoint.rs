//! SQLite checkpoints off the append path.
//!
//! In WAL mode every commit appends pages to the WAL, and by default the commit that crosses
//! 1,000 pages copies them back into the database file and syncs it, while holding the write
//! lock: every webhook of the batches behind it waits. Here a task of its own checkpoints on
//! another connection, once a second while appends come in; in WAL mode that runs beside the
//! writer. The commit-time checkpoint stays as a much larger backstop (`connect.rs`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio_util::task::AbortOnDropHandle;

use super::Store;

const EVERY: Duration = Duration::from_secs(1);

impl Store {
    /// Starts the checkpoint task on SQLite, until the handle is dropped; PostgreSQL
    /// checkpoints by itself.
    pub fn start_checkpoints(&self) -> Option<AbortOnDropHandle<()>> {
        let db = self.checkpointer.clone()?;
        let appends = Arc::clone(&self.appends);
        Some(AbortOnDropHandle::new(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut checkpointed = appends.load(Ordering::Relaxed);
            loop {
                ticks.tick().await;
                let now = appends.load(Ordering::Relaxed);
                if now == checkpointed {
                    continue;
                }
                checkpointed = now;
                // PASSIVE copies what no reader still needs and never waits for anyone. A failed
                // checkpoint loses nothing: the pages stay in the WAL for the next one.
                let checkpoint =
                    Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)");
                if let Err(err) = db.execute_raw(checkpoint).await {
                    tracing::warn!(error = %err, "a SQLite checkpoint failed; the next one retries");
                }
            }
        })))
    }
}
