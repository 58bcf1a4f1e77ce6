//! Reading the quarantine again: deliveries an older version refused, given to this one.
//!
//! Each page is one transaction under the append lock: the deliveries that now read become
//! events (or count as redeliveries of one already in the log) and leave the quarantine in the
//! same commit, so a replay that stops halfway leaves nothing both in the log and in the
//! quarantine. The ones that still do not read stay, with the error this version gives.

use entity::quarantine;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::append::{append_in, lock_head};
use super::{NewEvent, Store, StoreError};

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
            let page = quarantine::Entity::find()
                .filter(quarantine::Column::Id.gt(after))
                .order_by_asc(quarantine::Column::Id)
                .limit(PAGE)
                .all(&txn)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            done += page.len() as u64;
            let mut events = Vec::new();
            let mut replayed: Vec<Uuid> = Vec::new();
            let mut refused = Vec::new();
            for row in page {
                let id = row.id;
                match read(row) {
                    Ok(event) => {
                        replayed.push(id);
                        events.push(event);
                    }
                    Err(why) => refused.push((id, why)),
                }
            }
            let written = append_in(&txn, head, &events).await?;
            if !replayed.is_empty() {
                quarantine::Entity::delete_many()
                    .filter(quarantine::Column::Id.is_in(replayed))
                    .exec(&txn)
                    .await?;
            }
            for (id, why) in &refused {
                quarantine::Entity::update_many()
                    .col_expr(quarantine::Column::ErrorCode, Expr::value(why.error_code))
                    .col_expr(
                        quarantine::Column::ErrorMessage,
                        Expr::value(why.error_message.clone()),
                    )
                    .filter(quarantine::Column::Id.eq(*id))
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await?;
            self.committed(&written);
            let duplicates = written.outcomes.iter().filter(|o| o.duplicate).count() as u64;
            report.duplicates += duplicates;
            report.stored += written.outcomes.len() as u64 - duplicates;
            report.refused += refused.len() as u64;
            progress(done, total);
        }
        Ok(report)
    }
}
