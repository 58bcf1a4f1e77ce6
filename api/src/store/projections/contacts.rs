//! The contacts projection: the newest description of each contact wins.
//!
//! "Newest" is the payload's `updated_at`, not arrival order: Mobiniti gives no ordering
//! guarantee, so an older update arriving late is kept in the log but changes no field. On equal
//! `updated_at` the later arrival (higher position) wins.

use std::collections::HashMap;

use entity::contacts;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};

use super::{chunks, totals};
use crate::webhooks::payload::ContactUpdate;

/// The updates of a batch, in position order, applied to the stored contacts when written.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    updates: Vec<(i64, &'a ContactUpdate)>,
}

impl<'a> Changes<'a> {
    pub fn add(&mut self, position: i64, update: &'a ContactUpdate) {
        self.updates.push((position, update));
    }

    /// Reads the contacts the batch touches, applies its updates in order, writes each contact
    /// once, and adds what that changes in the totals to `counts`.
    pub async fn write<C: ConnectionTrait>(
        self,
        db: &C,
        counts: &mut totals::Counts,
    ) -> Result<(), DbErr> {
        if self.updates.is_empty() {
            return Ok(());
        }
        let mut ids: Vec<&str> = self.updates.iter().map(|(_, u)| u.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut touched: HashMap<String, contacts::Model> = HashMap::with_capacity(ids.len());
        for chunk in chunks(ids) {
            for contact in contacts::Entity::find()
                .filter(contacts::Column::Id.is_in(chunk))
                .all(db)
                .await?
            {
                counts.subtract(counted(&contact));
                touched.insert(contact.id.clone(), contact);
            }
        }
        for (position, update) in self.updates {
            let current = touched.remove(&update.id);
            touched.insert(update.id.clone(), merge(current, update, position));
        }
        let rows: Vec<_> = touched.into_values().collect();
        for contact in &rows {
            counts.add(counted(contact));
        }
        for chunk in chunks(rows) {
            contacts::Entity::insert_many(
                chunk
                    .into_iter()
                    .map(|contact| contact.into_active_model().reset_all()),
            )
            .on_conflict(
                OnConflict::column(contacts::Column::Id)
                    .update_columns([
                        contacts::Column::FirstName,
                        contacts::Column::LastName,
                        contacts::Column::Email,
                        contacts::Column::Phone,
                        contacts::Column::Subscribed,
                        contacts::Column::UnsubscribedAt,
                        contacts::Column::Bounces,
                        contacts::Column::CarrierStatus,
                        contacts::Column::CreatedAt,
                        contacts::Column::UpdatedAt,
                        contacts::Column::SourcePosition,
                        contacts::Column::LastEventPosition,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
        Ok(())
    }
}

/// What a contact adds to the totals.
fn counted(contact: &contacts::Model) -> totals::Counts {
    totals::Counts {
        contacts: 1,
        subscribed: i64::from(contact.subscribed),
        bounced: i64::from(contact.bounces > 0),
    }
}

/// The contact after `update`, the event at `position`.
fn merge(
    current: Option<contacts::Model>,
    update: &ContactUpdate,
    position: i64,
) -> contacts::Model {
    let Some(current) = current else {
        let unsubscribed_at = update.unsubscribed_at.flatten();
        return contacts::Model {
            id: update.id.clone(),
            first_name: update.first_name.clone().flatten(),
            last_name: update.last_name.clone().flatten(),
            email: update.email.clone().flatten(),
            phone: update.phone.clone(),
            subscribed: unsubscribed_at.is_none(),
            unsubscribed_at,
            bounces: update.bounces.unwrap_or(0),
            carrier_status: update.carrier_status.clone(),
            created_at: update.created_at,
            updated_at: update.updated_at,
            source_position: position,
            last_event_position: position,
        };
    };
    if (update.updated_at, position) < (current.updated_at, current.source_position) {
        return contacts::Model {
            last_event_position: position.max(current.last_event_position),
            ..current
        };
    }
    let unsubscribed_at = update.unsubscribed_at.unwrap_or(current.unsubscribed_at);
    contacts::Model {
        id: current.id,
        first_name: update.first_name.clone().unwrap_or(current.first_name),
        last_name: update.last_name.clone().unwrap_or(current.last_name),
        email: update.email.clone().unwrap_or(current.email),
        phone: update.phone.clone(),
        subscribed: unsubscribed_at.is_none(),
        unsubscribed_at,
        bounces: update.bounces.unwrap_or(current.bounces),
        carrier_status: update.carrier_status.clone().or(current.carrier_status),
        created_at: update.created_at.or(current.created_at),
        updated_at: update.updated_at,
        source_position: position,
        last_event_position: position.max(current.last_event_position),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("RFC 3339 time")
    }

    fn update(updated_at: &str, status: &str) -> ContactUpdate {
        ContactUpdate {
            id: "c1".into(),
            first_name: None,
            last_name: None,
            email: None,
            phone: "+19999999999".into(),
            unsubscribed_at: None,
            bounces: None,
            carrier_status: Some(status.into()),
            created_at: None,
            updated_at: at(updated_at),
        }
    }

    #[test]
    fn an_older_update_arriving_late_changes_nothing_but_the_last_event() {
        let newer = merge(None, &update("2024-01-02T00:00:00Z", "deactivated"), 1);
        let after = merge(
            Some(newer.clone()),
            &update("2024-01-01T00:00:00Z", "resumed"),
            2,
        );
        assert_eq!(after.carrier_status.as_deref(), Some("deactivated"));
        assert_eq!(after.source_position, 1);
        assert_eq!(after.last_event_position, 2);
    }

    #[test]
    fn on_equal_updated_at_the_later_arrival_wins() {
        let first = merge(None, &update("2024-01-01T00:00:00Z", "suspended"), 1);
        let second = merge(Some(first), &update("2024-01-01T00:00:00Z", "resumed"), 2);
        assert_eq!(second.carrier_status.as_deref(), Some("resumed"));
    }

    #[test]
    fn fields_an_update_does_not_mention_are_kept() {
        let mut named = update("2024-01-01T00:00:00Z", "resumed");
        named.first_name = Some(Some("Ada".into()));
        let first = merge(None, &named, 1);
        let second = merge(Some(first), &update("2024-01-02T00:00:00Z", "suspended"), 2);
        assert_eq!(second.first_name.as_deref(), Some("Ada"));
    }
}
