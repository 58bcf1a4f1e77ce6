//! Recomputing every projection from the event log, each body read again as at ingest
//! ([`event::reread`]).
//!
//! Runs in one transaction under the append lock: readers see the old projections until the new
//! ones commit, and webhooks arriving meanwhile wait for it (or are answered 503 and retried).
//!
//! The log is read on a connection of the read pool while the transaction writes: the lock keeps
//! every append out until the commit, so that connection sees exactly the log the transaction
//! does, and the next page is read and parsed while the one before is written.

use entity::events;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use tokio::task::JoinHandle;
use uuid::Uuid;

mod indexes;

use super::{Store, StoreError, append::lock_head, projections};
use crate::domain::event;
use crate::domain::payload::{EventData, Normalizer};

/// Events read per query.
const PAGE: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub events: u64,
}

/// Position, id, kind, receive time and the body as delivered.
type EventRow = (i64, Uuid, String, chrono::DateTime<chrono::Utc>, Vec<u8>);

impl Store {
    /// Empties the projections and replays the whole log into them. `progress` is told the total
    /// first, then called after each page with the number of events done.
    pub async fn rebuild(
        &self,
        normalizer: &Normalizer,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<RebuildReport, StoreError> {
        let txn = self.writer.begin().await?;
        lock_head(&txn).await?;
        let total = events::Entity::find().count(&txn).await?;
        progress(0, total);
        projections::clear(&txn).await?;
        let indexes = indexes::drop_secondary(&txn).await?;
        let mut done = 0;
        let mut counts = projections::totals::Counts::default();
        let mut parsing = next_page(&self.db, 0, normalizer);
        loop {
            let parsed = parsing.await.map_err(|err| {
                StoreError::Unavailable(DbErr::Custom(format!("parsing a page failed: {err}")))
            })??;
            let Some(((after, ..), _)) = parsed.last() else {
                break;
            };
            parsing = next_page(&self.db, *after, normalizer);
            let mut changes = projections::Changes::default();
            for ((position, id, _, received_at, _), data) in &parsed {
                changes.add(*position, *id, *received_at, data);
            }
            changes.write(&txn, &mut counts).await?;
            done += parsed.len() as u64;
            progress(done, total);
        }
        counts.write(&txn).await?;
        indexes.recreate(&txn).await?;
        txn.commit().await?;
        Ok(RebuildReport { events: done })
    }
}

type Parsed = Vec<(EventRow, EventData)>;

/// Reads the page after `after` on `db` and parses it, beside whatever the caller does meanwhile.
fn next_page(
    db: &DatabaseConnection,
    after: i64,
    normalizer: &Normalizer,
) -> JoinHandle<Result<Parsed, StoreError>> {
    let (db, normalizer) = (db.clone(), normalizer.clone());
    tokio::spawn(async move {
        let page = read_page(&db, after).await?;
        tokio::task::spawn_blocking(move || parse_page(page, &normalizer))
            .await
            .map_err(|err| {
                StoreError::Unavailable(DbErr::Custom(format!("parsing a page failed: {err}")))
            })?
    })
}

/// Parses `page`; the first event that no longer parses fails it.
fn parse_page(page: Vec<EventRow>, normalizer: &Normalizer) -> Result<Parsed, StoreError> {
    page.into_iter()
        .map(|row| {
            let (position, _, kind, _, raw) = &row;
            let read =
                event::reread(kind, raw, normalizer).map_err(|err| StoreError::Unreadable {
                    position: *position,
                    message: err.to_string(),
                })?;
            Ok((row, read.data))
        })
        .collect()
}

async fn read_page(db: &DatabaseConnection, after: i64) -> Result<Vec<EventRow>, DbErr> {
    events::Entity::find()
        .select_only()
        .columns([
            events::Column::Position,
            events::Column::Id,
            events::Column::Kind,
            events::Column::ReceivedAt,
            events::Column::RawBody,
        ])
        .filter(events::Column::Position.gt(after))
        .order_by_asc(events::Column::Position)
        .limit(PAGE)
        .into_tuple()
        .all(db)
        .await
}
