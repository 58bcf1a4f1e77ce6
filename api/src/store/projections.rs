//! Projections: the tables derived from the event log, updated in the append's transaction.
//!
//! [`apply`] is the one way an event changes them, used both as events arrive and by `rebuild`,
//! so replaying the log in position order gives back exactly the same rows.

mod contacts;
mod delivery_statuses;
mod messages;
mod rejections;
pub mod totals;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::webhooks::payload::EventData;

/// Applies one event, at `position`, to every projection it touches; what it changes in the
/// totals is added to `counts`, which the caller writes before it commits.
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    position: i64,
    event_id: Uuid,
    received_at: DateTime<Utc>,
    data: &EventData,
    counts: &mut totals::Counts,
) -> Result<(), DbErr> {
    if let Some(contact) = data.contact() {
        contacts::apply(db, position, contact, counts).await?;
    }
    match data {
        EventData::InboundMessage(message) => {
            messages::insert_inbound(db, position, event_id, received_at, message).await
        }
        EventData::DeliveryReport(report) => {
            messages::insert_outbound(db, position, received_at, &report.messages).await?;
            delivery_statuses::apply(db, position, event_id, received_at, report).await
        }
        EventData::Rejection(rejection) => {
            rejections::insert(db, position, event_id, received_at, rejection).await
        }
        EventData::Unsubscribe(_) | EventData::Bounce(_) | EventData::ContactStatus(_) => Ok(()),
    }
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
