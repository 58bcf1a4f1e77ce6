//! The messages projection: inbound texts and the outbound messages named in delivery reports.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::messages;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::chunks;
use crate::domain::payload::{InboundMessage, OutboundMessage};

/// Which way a message went, as `messages.direction` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageDirection {
    Inbound,
    Outbound,
}

impl MessageDirection {
    /// The value stored in `messages.direction`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

#[derive(Debug, Default)]
pub struct Changes {
    inbound: Vec<messages::ActiveModel>,
    outbound: Vec<messages::ActiveModel>,
    /// Where each outbound id stands in `outbound`.
    outbound_ids: HashMap<String, usize>,
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
            direction: Set(MessageDirection::Inbound.as_str().to_owned()),
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

    /// Records the outbound messages a report names. A message keeps its first record, but
    /// its `occurred_at` is the earliest receive time of the reports that name it, so that it
    /// does not depend on which report arrived first.
    pub fn add_outbound(
        &mut self,
        position: i64,
        received_at: DateTime<Utc>,
        outbound: &[OutboundMessage],
    ) {
        for message in outbound {
            if let Some(&index) = self.outbound_ids.get(&message.id) {
                let known = &mut self.outbound[index];
                if let ActiveValue::Set(occurred_at) = &mut known.occurred_at {
                    *occurred_at = (*occurred_at).min(received_at);
                }
                continue;
            }
            self.outbound_ids
                .insert(message.id.clone(), self.outbound.len());
            self.outbound.push(messages::ActiveModel {
                id: Set(message.id.clone()),
                direction: Set(MessageDirection::Outbound.as_str().to_owned()),
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
        // The earlier of the stored and the new `occurred_at`; nothing else of a known
        // message changes.
        let earliest = Expr::cust(
            "CASE WHEN excluded.occurred_at < messages.occurred_at \
             THEN excluded.occurred_at ELSE messages.occurred_at END",
        );
        for chunk in chunks(self.outbound) {
            messages::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::column(messages::Column::Id)
                        .value(messages::Column::OccurredAt, earliest.clone())
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}
