//! The delivery-statuses projection: one row per outbound message and recipient, holding the
//! latest status reported for it.
//!
//! A report lists messages (with the recipient's `phone_number`) and status groups (with
//! `recipients`), and nothing else ties them together: a message gets the status of the group
//! whose recipients include its phone, compared after normalization to E.164. A recipient that no
//! message of the report was sent to is still recorded, without a message.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::delivery_statuses;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::chunks;
use crate::webhooks::payload::DeliveryReport;

/// Each row's final state in a batch, keyed by row id: a recipient named twice (in one report
/// or in two) yields one row, the latest report's, which PostgreSQL's ON CONFLICT also requires
/// within one statement.
#[derive(Debug, Default)]
pub struct Changes {
    rows: BTreeMap<String, delivery_statuses::ActiveModel>,
}

impl Changes {
    pub fn add(
        &mut self,
        position: i64,
        event_id: Uuid,
        reported_at: DateTime<Utc>,
        report: &DeliveryReport,
    ) {
        // Messages by recipient phone, read once rather than scanned for every recipient.
        let mut messages_to: HashMap<&str, Vec<&str>> = HashMap::new();
        for message in &report.messages {
            messages_to
                .entry(&message.phone)
                .or_default()
                .push(&message.id);
        }
        for group in &report.statuses {
            for recipient in &group.recipients {
                let row = |id: String, message_id: Option<String>| delivery_statuses::ActiveModel {
                    id: Set(id),
                    message_id: Set(message_id),
                    recipient: Set(recipient.clone()),
                    code: Set(group.code.clone()),
                    status: Set(group.status.clone()),
                    success: Set(group.success),
                    bounce: Set(group.bounce),
                    reported_at: Set(reported_at),
                    event_position: Set(position),
                };
                match messages_to.get(recipient.as_str()) {
                    Some(ids) => {
                        for message_id in ids {
                            let id = format!("{message_id}:{recipient}");
                            self.rows
                                .insert(id.clone(), row(id, Some((*message_id).to_owned())));
                        }
                    }
                    None => {
                        let id = format!("{event_id}:{recipient}");
                        self.rows.insert(id.clone(), row(id, None));
                    }
                }
            }
        }
    }

    pub async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        let rows: Vec<_> = self.rows.into_values().collect();
        for chunk in chunks(rows) {
            delivery_statuses::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::column(delivery_statuses::Column::Id)
                        .update_columns([
                            delivery_statuses::Column::MessageId,
                            delivery_statuses::Column::Recipient,
                            delivery_statuses::Column::Code,
                            delivery_statuses::Column::Status,
                            delivery_statuses::Column::Success,
                            delivery_statuses::Column::Bounce,
                            delivery_statuses::Column::ReportedAt,
                            delivery_statuses::Column::EventPosition,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}
