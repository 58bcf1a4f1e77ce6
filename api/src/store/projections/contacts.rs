//! The contacts projection: the newest description of each contact wins.
//!
//! "Newest" is the payload's `updated_at`, not arrival order: Mobiniti gives no ordering
//! guarantee, so an older update arriving late is kept in the log but changes no field. On equal
//! `updated_at` the later arrival (higher position) wins.

use entity::contacts;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};

use super::totals;
use crate::webhooks::payload::ContactUpdate;

/// Applies `update`, and adds what it changes in the totals to `counts`.
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    position: i64,
    update: &ContactUpdate,
    counts: &mut totals::Counts,
) -> Result<(), DbErr> {
    let current = contacts::Entity::find_by_id(update.id.clone())
        .one(db)
        .await?;
    let before = current.as_ref().map_or((0, 0, 0), counted);
    let merged = merge(current, update, position);
    let after = counted(&merged);
    counts.contacts += after.0 - before.0;
    counts.subscribed += after.1 - before.1;
    counts.bounced += after.2 - before.2;
    contacts::Entity::insert(merged.into_active_model().reset_all())
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
    Ok(())
}

/// What a contact adds to the totals: (contacts, subscribed, bounced).
fn counted(contact: &contacts::Model) -> (i64, i64, i64) {
    (
        1,
        i64::from(contact.subscribed),
        i64::from(contact.bounces > 0),
    )
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
