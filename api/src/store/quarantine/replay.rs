//! Reading the quarantine again: deliveries an older version refused, given to this one.
//!
//! Each page is one transaction under the append lock: the deliveries that now read become
//! events (or count as redeliveries of one already in the log) and leave the quarantine in the
//! same commit, so a replay that stops halfway leaves nothing both in the log and in the
//! quarantine. The ones that still do not read stay, with the error this version gives. A page
//! the store refuses for the content of one of its deliveries (see `store/refusal.rs`) is replayed
//! again delivery by delivery, so that one delivery stays, with the store's reason, and the
//! rest of the page goes on.

use entity::quarantine;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::STORE_REFUSED;
use crate::domain::event::NewEvent;
use crate::domain::payload::nul;
use crate::store::append::{Written, append_in, lock_head};
use crate::store::{Store, StoreError, refusal};

/// Quarantined deliveries per transaction.
const PAGE: u64 = 500;

/// Why a quarantined delivery still cannot become an event.
#[derive(Debug, Clone)]
pub struct StillRefused {
    pub error_code: &'static str,
    pub error_message: String,
}

/// What a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Became new events.
    pub stored: u64,
    /// Were in the log already: counted as redeliveries of their event.
    pub duplicates: u64,
    /// Stay in the quarantine with their new error.
    pub refused: u64,
}

/// A page read: the deliveries that now read (`events`, whose quarantine ids are `ids`), and
/// those that still do not.
#[derive(Default)]
struct Page {
    ids: Vec<Uuid>,
    events: Vec<NewEvent>,
    refused: Vec<(Uuid, StillRefused)>,
}

impl Store {
    /// Reads every quarantined delivery again with `read`, which makes it an event (keeping its
    /// original receive time) or says why it still cannot be one. `progress` is told the total
    /// first, then the number done after each page.
    pub async fn replay_quarantine(
        &self,
        read: impl Fn(quarantine::Model) -> Result<NewEvent, StillRefused>,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<ReplayReport, StoreError> {
        let total = quarantine::Entity::find().count(&self.db).await?;
        progress(0, total);
        let mut report = ReplayReport::default();
        let mut done = 0;
        // Quarantine ids are UUIDv7, so in id order a page never comes back to a row that
        // stayed.
        let mut after = Uuid::nil();
        loop {
            let txn = self.writer.begin().await?;
            // Locked before anything is read: see `append.rs`.
            let head = lock_head(&txn).await?;
            let rows = quarantine::Entity::find()
                .filter(quarantine::Column::Id.gt(after))
                .order_by_asc(quarantine::Column::Id)
                .limit(PAGE)
                .all(&txn)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            done += rows.len() as u64;
            let mut page = Page::default();
            for row in rows {
                let id = row.id;
                match read(row) {
                    Ok(event) => {
                        page.ids.push(id);
                        page.events.push(event);
                    }
                    Err(why) => page.refused.push((id, why)),
                }
            }
            match replay_in(&txn, head, &page).await {
                Ok(written) => {
                    txn.commit().await?;
                    self.committed(&written);
                    report.count(&written, page.refused.len());
                }
                Err(err) => {
                    if refusal::reason(&err).is_none() {
                        return Err(err.into());
                    }
                    drop(txn);
                    tracing::warn!(
                        "the store refused a page of the quarantine; replaying it delivery by delivery"
                    );
                    self.replay_one_by_one(page, &mut report).await?;
                }
            }
            progress(done, total);
        }
        Ok(report)
    }

    /// Replays each delivery of a refused page in a transaction of its own; one the store
    /// refuses stays in the quarantine with the store's reason.
    async fn replay_one_by_one(
        &self,
        page: Page,
        report: &mut ReplayReport,
    ) -> Result<(), StoreError> {
        let mut refused = page.refused;
        for (id, event) in page.ids.into_iter().zip(page.events) {
            let single = Page {
                ids: vec![id],
                events: vec![event],
                refused: Vec::new(),
            };
            let txn = self.writer.begin().await?;
            let head = lock_head(&txn).await?;
            match replay_in(&txn, head, &single).await {
                Ok(written) => {
                    txn.commit().await?;
                    self.committed(&written);
                    report.count(&written, 0);
                }
                Err(err) => {
                    let Some(reason) = refusal::reason(&err) else {
                        return Err(err.into());
                    };
                    refused.push((
                        id,
                        StillRefused {
                            error_code: STORE_REFUSED,
                            error_message: format!("the store refused the delivery: {reason}"),
                        },
                    ));
                }
            }
        }
        let txn = self.writer.begin().await?;
        record_refusals(&txn, &refused).await?;
        txn.commit().await?;
        report.refused += refused.len() as u64;
        Ok(())
    }
}

impl ReplayReport {
    fn count(&mut self, written: &Written, refused: usize) {
        let duplicates = written.outcomes.iter().filter(|o| o.duplicate).count() as u64;
        self.duplicates += duplicates;
        self.stored += written.outcomes.len() as u64 - duplicates;
        self.refused += refused as u64;
    }
}

/// Appends a page's readable deliveries, removes them from the quarantine and records the
/// errors of the others, in `txn`, which holds the append lock.
async fn replay_in(txn: &DatabaseTransaction, head: i64, page: &Page) -> Result<Written, DbErr> {
    let written = append_in(txn, head, &page.events).await?;
    if !page.ids.is_empty() {
        quarantine::Entity::delete_many()
            .filter(quarantine::Column::Id.is_in(page.ids.iter().copied()))
            .exec(txn)
            .await?;
    }
    record_refusals(txn, &page.refused).await?;
    Ok(written)
}

async fn record_refusals(
    txn: &DatabaseTransaction,
    refused: &[(Uuid, StillRefused)],
) -> Result<(), DbErr> {
    for (id, why) in refused {
        quarantine::Entity::update_many()
            .col_expr(quarantine::Column::ErrorCode, Expr::value(why.error_code))
            .col_expr(
                quarantine::Column::ErrorMessage,
                Expr::value(nul::replace_in(why.error_message.clone())),
            )
            .filter(quarantine::Column::Id.eq(*id))
            .exec(txn)
            .await?;
    }
    Ok(())
}
