//! The delivery-statuses projection: one row per outbound message and recipient, holding the
//! status that wins among all reported for it.
//!
//! A report lists messages (with the recipient's `phone_number`) and status groups (with
//! `recipients`), and nothing else ties them together. Phones are compared after normalization
//! to E.164, and matched in order: the first message of the report to a phone gets the first
//! group that names that phone, the second message the second group, and so on; messages past
//! the last such group get the last one. A group naming a phone that no message of the report
//! was sent to is recorded once per recipient, without a message, in a row that later reports
//! update.
//!
//! Reports carry no time of their own, so arrival cannot decide between two of them: the
//! status that wins is the final one (`success` or `bounce` true; a bounce over a success), and
//! among equally final ones the greater `(code, status)`. A final status is never replaced by
//! a non-final one, and the winner is the same in whatever order the reports arrive.
//! `reported_at` is when the winning status was first received.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::delivery_statuses;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, Iterable, QueryFilter,
};

use super::chunks;
use crate::domain::payload::{DeliveryReport, StatusGroup};

/// The winning row of each id in a batch; merged with the stored rows when written.
#[derive(Debug, Default)]
pub struct Changes {
    rows: BTreeMap<String, delivery_statuses::Model>,
}

impl Changes {
    pub fn add(&mut self, position: i64, reported_at: DateTime<Utc>, report: &DeliveryReport) {
        let mut messages_to: HashMap<&str, Vec<&str>> = HashMap::new();
        for message in &report.messages {
            messages_to
                .entry(&message.phone)
                .or_default()
                .push(&message.id);
        }
        let mut groups_naming: HashMap<&str, Vec<&StatusGroup>> = HashMap::new();
        for group in &report.statuses {
            for recipient in &group.recipients {
                groups_naming.entry(recipient).or_default().push(group);
            }
        }
        for (recipient, groups) in groups_naming {
            let messages = messages_to.get(recipient).map_or(&[][..], Vec::as_slice);
            for (index, group) in groups.iter().enumerate() {
                let message_id = messages.get(index).copied();
                self.offer(row(recipient, message_id, group, reported_at, position));
            }
            if let Some(last) = groups.last() {
                for message_id in messages.iter().skip(groups.len()) {
                    self.offer(row(
                        recipient,
                        Some(message_id),
                        last,
                        reported_at,
                        position,
                    ));
                }
            }
        }
    }

    fn offer(&mut self, candidate: delivery_statuses::Model) {
        match self.rows.get_mut(&candidate.id) {
            Some(kept) => {
                if wins(&candidate, kept) {
                    *kept = candidate;
                }
            }
            None => {
                self.rows.insert(candidate.id.clone(), candidate);
            }
        }
    }

    /// Merges the batch's rows with the stored ones and writes those that changed.
    pub async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        let mut rows = self.rows;
        let ids: Vec<String> = rows.keys().cloned().collect();
        for chunk in chunks(ids) {
            for stored in delivery_statuses::Entity::find()
                .filter(delivery_statuses::Column::Id.is_in(chunk))
                .all(db)
                .await?
            {
                let id = stored.id.clone();
                if rows.get(&id).is_some_and(|row| !wins(row, &stored)) {
                    rows.remove(&id);
                }
            }
        }
        let rows: Vec<_> = rows.into_values().collect();
        for chunk in chunks(rows) {
            delivery_statuses::Entity::insert_many(
                chunk.into_iter().map(IntoActiveModel::into_active_model),
            )
            .on_conflict(
                OnConflict::column(delivery_statuses::Column::Id)
                    .update_columns(
                        delivery_statuses::Column::iter()
                            .filter(|column| !matches!(column, delivery_statuses::Column::Id)),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
        Ok(())
    }
}

fn row(
    recipient: &str,
    message_id: Option<&str>,
    group: &StatusGroup,
    reported_at: DateTime<Utc>,
    position: i64,
) -> delivery_statuses::Model {
    delivery_statuses::Model {
        // Message ids are never empty, so a recipient without a message cannot collide.
        id: format!("{}:{recipient}", message_id.unwrap_or_default()),
        message_id: message_id.map(str::to_owned),
        recipient: recipient.to_owned(),
        code: group.code.clone(),
        status: group.status.clone(),
        success: group.success,
        bounce: group.bounce,
        reported_at,
        event_position: position,
    }
}

/// Whether `candidate` replaces `kept` (see the module's doc): a total order, so the winner
/// does not depend on which was seen first.
fn wins(candidate: &delivery_statuses::Model, kept: &delivery_statuses::Model) -> bool {
    rank(candidate) > rank(kept)
}

type Rank<'a> = (u8, &'a str, &'a str, Reverse<DateTime<Utc>>, Reverse<i64>);

fn rank(row: &delivery_statuses::Model) -> Rank<'_> {
    let finality = match (row.bounce, row.success) {
        (true, _) => 2,
        (false, true) => 1,
        (false, false) => 0,
    };
    (
        finality,
        &row.code,
        &row.status,
        Reverse(row.reported_at),
        Reverse(row.event_position),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payload::OutboundMessage;

    fn group(code: &str, success: bool, recipients: &[&str]) -> StatusGroup {
        StatusGroup {
            code: code.into(),
            status: format!("status {code}"),
            success,
            bounce: false,
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn message(id: &str, phone: &str) -> OutboundMessage {
        OutboundMessage {
            id: id.into(),
            sender: None,
            body: "hi".into(),
            phone: phone.into(),
            metadata: None,
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("a time")
    }

    #[test]
    fn two_messages_to_one_phone_get_their_own_statuses() {
        let report = DeliveryReport {
            statuses: vec![group("100", true, &["+1"]), group("300", false, &["+1"])],
            messages: vec![message("m1", "+1"), message("m2", "+1")],
        };
        let mut changes = Changes::default();
        changes.add(1, at(0), &report);
        assert_eq!(changes.rows["m1:+1"].code, "100");
        assert_eq!(changes.rows["m2:+1"].code, "300");
    }

    #[test]
    fn a_recipient_without_a_message_has_one_row() {
        let mut changes = Changes::default();
        for (position, code) in [(1, "200"), (2, "100")] {
            let report = DeliveryReport {
                statuses: vec![group(code, code == "100", &["+2"])],
                messages: vec![],
            };
            changes.add(position, at(position), &report);
        }
        assert_eq!(changes.rows.len(), 1);
        assert_eq!(changes.rows[":+2"].code, "100");
    }

    #[test]
    fn a_final_status_is_not_replaced_by_a_later_non_final_one() {
        let delivered = DeliveryReport {
            statuses: vec![group("100", true, &["+1"])],
            messages: vec![message("m1", "+1")],
        };
        let pending = DeliveryReport {
            statuses: vec![group("900", false, &["+1"])],
            messages: vec![message("m1", "+1")],
        };
        let mut changes = Changes::default();
        changes.add(1, at(1), &delivered);
        changes.add(2, at(2), &pending);
        assert_eq!(changes.rows["m1:+1"].code, "100");
        assert_eq!(changes.rows["m1:+1"].reported_at, at(1));
    }
}
