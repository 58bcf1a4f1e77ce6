//! The contacts projection: each field holds what the newest event that mentions it says.
//!
//! "Newest" is the payload's `updated_at`, not arrival order: Mobiniti gives no ordering
//! guarantee. Every field keeps the time of the event it came from (`*_set_at`), so an older
//! update arriving late is kept in the log and changes only the fields that nothing newer has
//! set: a contact-status of Monday that arrives after an inbound text of Tuesday still sets the
//! carrier status, which the text does not mention. Unsubscribe state, bounce count and carrier
//! status are each such a field. On equal times the greater value wins (a value over `null`, an
//! unsubscribe over none, the higher bounce count, the later string in byte order), a rule that
//! no order of arrival can change; `updated_at` is the latest of all.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::contacts;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, Iterable,
    QueryFilter,
};

use super::{chunks, totals};
use crate::domain::payload::ContactUpdate;

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
                    .update_columns(
                        contacts::Column::iter()
                            .filter(|column| !matches!(column, contacts::Column::Id)),
                    )
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

/// The contact after `update`, the event at `position`: each field it mentions is taken if the
/// update is newer than the field's value (see the module's doc).
fn merge(
    current: Option<contacts::Model>,
    update: &ContactUpdate,
    position: i64,
) -> contacts::Model {
    let mut contact = current.unwrap_or_else(|| unseen(update, position));
    let at = update.updated_at;
    let mut changed = false;
    if let Some(first_name) = &update.first_name {
        changed |= take(
            &mut contact.first_name,
            &mut contact.first_name_set_at,
            first_name,
            at,
        );
    }
    if let Some(last_name) = &update.last_name {
        changed |= take(
            &mut contact.last_name,
            &mut contact.last_name_set_at,
            last_name,
            at,
        );
    }
    if let Some(email) = &update.email {
        changed |= take(&mut contact.email, &mut contact.email_set_at, email, at);
    }
    changed |= take(
        &mut contact.phone,
        &mut contact.phone_set_at,
        &update.phone,
        at,
    );
    if let Some(created_at) = update.created_at {
        changed |= take(
            &mut contact.created_at,
            &mut contact.created_at_set_at,
            &Some(created_at),
            at,
        );
    }
    if let Some(unsubscribed_at) = &update.unsubscribed_at {
        changed |= take(
            &mut contact.unsubscribed_at,
            &mut contact.subscription_set_at,
            unsubscribed_at,
            at,
        );
    }
    if let Some(bounces) = &update.bounces {
        changed |= take(
            &mut contact.bounces,
            &mut contact.bounces_set_at,
            bounces,
            at,
        );
    }
    if let Some(status) = &update.carrier_status {
        changed |= take(
            &mut contact.carrier_status,
            &mut contact.carrier_status_set_at,
            &Some(status.clone()),
            at,
        );
    }
    contact.subscribed = contact.unsubscribed_at.is_none();
    contact.updated_at = contact.updated_at.max(at);
    if changed {
        contact.source_position = position;
    }
    contact.last_event_position = contact.last_event_position.max(position);
    contact
}

/// Sets `field` to `value`, set at `at`, when that is later than the field's own time, or as
/// late and a greater value: a total order on (time, value), so that the field ends the same
/// whatever order the updates arrive in. Returns whether it changed.
fn take<T: Ord + Clone>(
    field: &mut T,
    set_at: &mut Option<DateTime<Utc>>,
    value: &T,
    at: DateTime<Utc>,
) -> bool {
    if (Some(at), value) > (*set_at, &*field) {
        *field = value.clone();
        *set_at = Some(at);
        true
    } else {
        false
    }
}

/// A contact no event has described yet: every field unset, so the first update sets each
/// field it mentions.
fn unseen(update: &ContactUpdate, position: i64) -> contacts::Model {
    contacts::Model {
        id: update.id.clone(),
        first_name: None,
        last_name: None,
        email: None,
        phone: String::new(),
        subscribed: true,
        unsubscribed_at: None,
        bounces: 0,
        carrier_status: None,
        created_at: None,
        updated_at: update.updated_at,
        source_position: position,
        last_event_position: position,
        first_name_set_at: None,
        last_name_set_at: None,
        email_set_at: None,
        phone_set_at: None,
        created_at_set_at: None,
        subscription_set_at: None,
        bounces_set_at: None,
        carrier_status_set_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_older_update_arriving_late_changes_nothing_newer() {
        let newer = merge(None, &update("2024-01-02T00:00:00Z", "deactivated"), 1);
        let after = merge(
            Some(newer.clone()),
            &update("2024-01-01T00:00:00Z", "resumed"),
            2,
        );
        assert_eq!(after.carrier_status.as_deref(), Some("deactivated"));
        assert_eq!(after.updated_at, at("2024-01-02T00:00:00Z"));
        assert_eq!(after.source_position, 1);
        assert_eq!(after.last_event_position, 2);
    }

    #[test]
    fn an_older_update_sets_what_nothing_newer_mentions() {
        let mut text = update("2024-01-02T00:00:00Z", "ignored");
        text.carrier_status = None;
        let newer = merge(None, &text, 1);
        let mut bounce = update("2024-01-01T00:00:00Z", "deactivated");
        bounce.bounces = Some(3);
        let after = merge(Some(newer), &bounce, 2);
        assert_eq!(after.carrier_status.as_deref(), Some("deactivated"));
        assert_eq!(after.bounces, 3);
        assert_eq!(after.updated_at, at("2024-01-02T00:00:00Z"));
    }

    #[test]
    fn on_equal_times_the_greater_value_wins_in_either_order() {
        let one = update("2024-01-01T00:00:00Z", "suspended");
        let other = update("2024-01-01T00:00:00Z", "resumed");
        let forward = merge(Some(merge(None, &one, 1)), &other, 2);
        let backward = merge(Some(merge(None, &other, 1)), &one, 2);
        assert_eq!(forward.carrier_status.as_deref(), Some("suspended"));
        assert_eq!(backward.carrier_status, forward.carrier_status);
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
