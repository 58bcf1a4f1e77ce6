//! Recomputing every projection from the event log.
//!
//! Runs in one transaction under the append lock: readers see the old projections until the new
//! ones commit, and webhooks arriving meanwhile wait for it (or are answered 503 and retried).

use entity::events;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use super::{Store, StoreError, append::lock_head, projections};
use crate::webhooks::WebhookKind;
use crate::webhooks::payload::{self, Normalizer};

/// Events read per query.
const PAGE: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    pub events: u64,
}

type EventRow = (i64, Uuid, String, chrono::DateTime<chrono::Utc>, Value);

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
        let mut done = 0;
        let mut after = 0;
        let mut counts = projections::totals::Counts::default();
        loop {
            let page = read_page(&txn, after).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            let parsed = page
                .iter()
                .map(|(position, _, kind, _, payload)| {
                    WebhookKind::from_name(kind)
                        .ok_or_else(|| format!("unknown kind `{kind}`"))
                        .and_then(|kind| {
                            payload::parse(kind, payload, normalizer).map_err(|e| e.to_string())
                        })
                        .map_err(|message| StoreError::Unreadable {
                            position: *position,
                            message,
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut changes = projections::Changes::default();
            for ((position, id, _, received_at, _), data) in page.iter().zip(&parsed) {
                changes.add(*position, *id, *received_at, data);
            }
            changes.write(&txn, &mut counts).await?;
            done += page.len() as u64;
            progress(done, total);
        }
        counts.write(&txn).await?;
        txn.commit().await?;
        Ok(RebuildReport { events: done })
    }
}

async fn read_page(txn: &DatabaseTransaction, after: i64) -> Result<Vec<EventRow>, DbErr> {
    events::Entity::find()
        .select_only()
        .columns([
            events::Column::Position,
            events::Column::Id,
            events::Column::Kind,
            events::Column::ReceivedAt,
            events::Column::Payload,
        ])
        .filter(events::Column::Position.gt(after))
        .order_by_asc(events::Column::Position)
        .limit(PAGE)
        .into_tuple()
        .all(txn)
        .await
}
