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

use crate::webhooks::payload::DeliveryReport;

/// Rows per INSERT, well under SQLite's limit on bound parameters.
const CHUNK: usize = 500;

pub async fn apply<C: ConnectionTrait>(
    db: &C,
    position: i64,
    event_id: Uuid,
    reported_at: DateTime<Utc>,
    report: &DeliveryReport,
) -> Result<(), DbErr> {
    // Keyed by row id so a recipient named twice in one report yields one row (the last group
    // wins), which PostgreSQL's ON CONFLICT also requires within one statement.
    let mut rows = BTreeMap::new();
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
            let targets: Vec<_> = match messages_to.get(recipient.as_str()) {
                Some(ids) => ids
                    .iter()
                    .map(|id| (format!("{id}:{recipient}"), Some((*id).to_owned())))
                    .collect(),
                None => vec![(format!("{event_id}:{recipient}"), None)],
            };
            for (id, message_id) in targets {
                rows.insert(
                    id.clone(),
                    delivery_statuses::ActiveModel {
                        id: Set(id),
                        message_id: Set(message_id),
                        recipient: Set(recipient.clone()),
                        code: Set(group.code.clone()),
                        status: Set(group.status.clone()),
                        success: Set(group.success),
                        bounce: Set(group.bounce),
                        reported_at: Set(reported_at),
                        event_position: Set(position),
                    },
                );
            }
        }
    }
    let rows: Vec<_> = rows.into_values().collect();
    for chunk in rows.chunks(CHUNK) {
        delivery_statuses::Entity::insert_many(chunk.iter().cloned())
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
