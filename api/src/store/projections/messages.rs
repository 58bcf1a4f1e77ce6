//! The messages projection: inbound texts and the outbound messages named in delivery reports.

use chrono::{DateTime, Utc};
use entity::messages;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use crate::webhooks::payload::{InboundMessage, OutboundMessage};

/// Rows per INSERT, well under SQLite's limit on bound parameters.
const CHUNK: usize = 500;

pub const INBOUND: &str = "inbound";
pub const OUTBOUND: &str = "outbound";

pub async fn insert_inbound<C: ConnectionTrait>(
    db: &C,
    position: i64,
    event_id: Uuid,
    received_at: DateTime<Utc>,
    message: &InboundMessage,
) -> Result<(), DbErr> {
    messages::Entity::insert(messages::ActiveModel {
        id: Set(event_id.to_string()),
        direction: Set(INBOUND.to_owned()),
        body: Set(message.body.clone()),
        phone: Set(message.contact.phone.clone()),
        short_code: Set(message.short_code.clone()),
        sender: Set(None),
        contact_id: Set(Some(message.contact.id.clone())),
        category: Set(Some(message.category.as_str().to_owned())),
        metadata: Set(None),
        occurred_at: Set(message.received_at.unwrap_or(received_at)),
        event_position: Set(position),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Records the outbound messages a report names; a message already known keeps its first record.
pub async fn insert_outbound<C: ConnectionTrait>(
    db: &C,
    position: i64,
    received_at: DateTime<Utc>,
    outbound: &[OutboundMessage],
) -> Result<(), DbErr> {
    for chunk in outbound.chunks(CHUNK) {
        let rows = chunk.iter().map(|message| messages::ActiveModel {
            id: Set(message.id.clone()),
            direction: Set(OUTBOUND.to_owned()),
            body: Set(message.body.clone()),
            phone: Set(message.phone.clone()),
            short_code: Set(None),
            sender: Set(message.sender.clone()),
            contact_id: Set(None),
            category: Set(None),
            metadata: Set(message.metadata.clone()),
            occurred_at: Set(received_at),
            event_position: Set(position),
        });
        messages::Entity::insert_many(rows)
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
