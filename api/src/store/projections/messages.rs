//! The messages projection: inbound texts and the outbound messages named in delivery reports.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::messages;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::chunks;
use crate::webhooks::payload::{InboundMessage, OutboundMessage};

pub const INBOUND: &str = "inbound";
pub const OUTBOUND: &str = "outbound";

#[derive(Debug, Default)]
pub struct Changes {
    inbound: Vec<messages::ActiveModel>,
    outbound: Vec<messages::ActiveModel>,
    /// Outbound ids already in `outbound`: a message keeps its first record, within a batch as
    /// against the table.
    outbound_ids: HashSet<String>,
}

impl Changes {
    pub fn add_inbound(
        &mut self,
        position: i64,
        event_id: Uuid,
        received_at: DateTime<Utc>,
        message: &InboundMessage,
    ) {
        self.inbound.push(messages::ActiveModel {
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
        });
    }

    /// Records the outbound messages a report names; a message already known keeps its first
    /// record.
    pub fn add_outbound(
        &mut self,
        position: i64,
        received_at: DateTime<Utc>,
        outbound: &[OutboundMessage],
    ) {
        for message in outbound {
            if !self.outbound_ids.insert(message.id.clone()) {
                continue;
            }
            self.outbound.push(messages::ActiveModel {
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
        }
    }

    pub async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        for chunk in chunks(self.inbound) {
            messages::Entity::insert_many(chunk)
                .exec_without_returning(db)
                .await?;
        }
        for chunk in chunks(self.outbound) {
            messages::Entity::insert_many(chunk)
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}
