//! Projections: the tables derived from the event log, updated in the append's transaction.
//!
//! [`Changes`] is the one way events change them, used both as events arrive and by `rebuild`,
//! so replaying the log in position order gives back exactly the same rows. It folds a batch of
//! events in memory, in position order, into the final state of every row they touch, then writes
//! each table with a few multi-row statements: a statement is a round trip (to SQLite's worker
//! thread, or over PostgreSQL's socket), and appends are serialized, so per-row statements would
//! bound the whole service's ingest rate.

mod contacts;
mod delivery_statuses;
mod messages;
mod rejections;
pub mod totals;

pub use messages::MessageDirection;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::domain::payload::EventData;

/// Rows per multi-row statement: under SQLite's 32,766 bound parameters for the widest table,
/// and few enough that one statement's text stays small.
pub(super) const CHUNK: usize = 1_000;

/// What a batch of events changes in the projections, gathered before anything is written.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    contacts: contacts::Changes<'a>,
    messages: messages::Changes,
    statuses: delivery_statuses::Changes,
    rejections: rejections::Changes,
}

impl<'a> Changes<'a> {
    /// Adds one event, at `position`; events must be added in increasing position order.
    pub fn add(
        &mut self,
        position: i64,
        event_id: Uuid,
        received_at: DateTime<Utc>,
        data: &'a EventData,
    ) {
        if let Some(contact) = data.contact() {
            self.contacts.add(position, contact);
        }
        match data {
            EventData::InboundMessage(message) => {
                self.messages
                    .add_inbound(position, event_id, received_at, message);
            }
            EventData::DeliveryReport(report) => {
                self.messages
                    .add_outbound(position, received_at, &report.messages);
                self.statuses.add(position, received_at, report);
            }
            EventData::Rejection(rejection) => {
                self.rejections
                    .add(position, event_id, received_at, rejection);
            }
            EventData::Unsubscribe(_) | EventData::Bounce(_) | EventData::ContactStatus(_) => {}
        }
    }

    /// Writes every change; what they change in the totals is added to `counts`, which the
    /// caller writes before it commits.
    pub async fn write<C: ConnectionTrait>(
        self,
        db: &C,
        counts: &mut totals::Counts,
    ) -> Result<(), DbErr> {
        self.contacts.write(db, counts).await?;
        self.messages.write(db).await?;
        self.statuses.write(db).await?;
        self.rejections.write(db).await
    }
}

/// `rows` in vectors of at most [`CHUNK`], for one multi-row statement each.
pub(super) fn chunks<T>(rows: Vec<T>) -> impl Iterator<Item = Vec<T>> {
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        Some(rows.by_ref().take(CHUNK).collect())
    })
}

/// Empties every projection, before a rebuild.
pub async fn clear<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    use sea_orm::EntityTrait;
    entity::delivery_statuses::Entity::delete_many()
        .exec(db)
        .await?;
    entity::messages::Entity::delete_many().exec(db).await?;
    entity::rejections::Entity::delete_many().exec(db).await?;
    entity::contacts::Entity::delete_many().exec(db).await?;
    entity::totals::Entity::delete_many().exec(db).await?;
    Ok(())
}
