//! The log read forward from a position, and the objects each stretch of it changed: what the
//! subscriptions stream. Filters are also checked in memory here, so one read of a stretch of
//! the log serves every subscriber, whatever it filters on.

use chrono::{DateTime, Utc};
use entity::{contacts, delivery_statuses, events, messages};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

mod sqlite_page;

use super::{ContactFilter, DeliveryStatusFilter, EventFilter, MessageFilter};
use crate::store::{ReadError, Store};

/// The columns a read of the log needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventColumns {
    WithPayload,
    WithoutPayload,
}

/// An event as a stream reads it when its payload is asked for: every column, the raw body (from
/// which the API answers the payload) included.
#[derive(Debug, FromQueryResult)]
struct StreamedEvent {
    #[sea_orm(nested)]
    header: EventHeader,
    raw_body: Vec<u8>,
}

/// An event without its body.
#[derive(Debug, FromQueryResult)]
struct EventHeader {
    position: i64,
    id: Uuid,
    kind: String,
    dedupe_key: String,
    received_at: DateTime<Utc>,
    occurred_at: Option<DateTime<Utc>>,
    contact_id: Option<String>,
    phone: Option<String>,
    deliveries: i32,
    last_seen_at: DateTime<Utc>,
}

impl EventHeader {
    fn without_body(self) -> StreamedEvent {
        StreamedEvent {
            header: self,
            raw_body: Vec::new(),
        }
    }
}

impl From<StreamedEvent> for events::Model {
    fn from(event: StreamedEvent) -> Self {
        let StreamedEvent { header, raw_body } = event;
        Self {
            position: header.position,
            id: header.id,
            kind: header.kind,
            dedupe_key: header.dedupe_key,
            received_at: header.received_at,
            occurred_at: header.occurred_at,
            contact_id: header.contact_id,
            phone: header.phone,
            raw_body,
            deliveries: header.deliveries,
            last_seen_at: header.last_seen_at,
        }
    }
}

impl Store {
    /// Up to `limit` events after `after`, by position: with positions gap-free in commit order,
    /// reading forward from the last position seen never passes over an event. The stored
    /// `payload` is never read (a model holds JSON `null`): the API answers `payload` from
    /// `raw_body`, which is read only when `columns` asks for it, as it is most of a row.
    pub async fn events_after(
        &self,
        after: i64,
        limit: u64,
        columns: EventColumns,
    ) -> Result<Vec<events::Model>, ReadError> {
        use events::Column as C;
        let mut select = events::Entity::find()
            .select_only()
            .columns([
                C::Position,
                C::Id,
                C::Kind,
                C::DedupeKey,
                C::ReceivedAt,
                C::OccurredAt,
                C::ContactId,
                C::Phone,
                C::Deliveries,
                C::LastSeenAt,
            ])
            .filter(C::Position.gt(after))
            .order_by_asc(C::Position)
            .limit(limit);
        Ok(match columns {
            EventColumns::WithPayload => {
                select = select.column(C::RawBody);
                let rows = select.into_model::<StreamedEvent>().all(&self.db).await?;
                rows.into_iter().map(events::Model::from).collect()
            }
            EventColumns::WithoutPayload => {
                if self.db.get_database_backend() == DbBackend::Sqlite
                    && let Some(events) = sqlite_page::events_after(&self.db, after, limit).await?
                {
                    return Ok(events);
                }
                let rows = select.into_model::<EventHeader>().all(&self.db).await?;
                rows.into_iter()
                    .map(|header| events::Model::from(header.without_body()))
                    .collect()
            }
        })
    }

    /// The messages whose last change was an event in `(after, to]`.
    pub async fn messages_changed(
        &self,
        after: i64,
        to: i64,
    ) -> Result<Vec<messages::Model>, ReadError> {
        use messages::Column as C;
        self.changed::<messages::Entity>(C::EventPosition, C::Id, after, to)
            .await
    }

    /// The delivery statuses whose last change was an event in `(after, to]`.
    pub async fn delivery_statuses_changed(
        &self,
        after: i64,
        to: i64,
    ) -> Result<Vec<delivery_statuses::Model>, ReadError> {
        use delivery_statuses::Column as C;
        self.changed::<delivery_statuses::Entity>(C::EventPosition, C::Id, after, to)
            .await
    }

    /// The contacts whose last event was in `(after, to]`.
    pub async fn contacts_changed(
        &self,
        after: i64,
        to: i64,
    ) -> Result<Vec<contacts::Model>, ReadError> {
        use contacts::Column as C;
        self.changed::<contacts::Entity>(C::LastEventPosition, C::Id, after, to)
            .await
    }

    /// Rows of `E` whose `position` column is in `(after, to]`, by position then `id`.
    async fn changed<E: EntityTrait>(
        &self,
        position: E::Column,
        id: E::Column,
        after: i64,
        to: i64,
    ) -> Result<Vec<E::Model>, ReadError> {
        Ok(E::find()
            .filter(position.gt(after))
            .filter(position.lte(to))
            .order_by_asc(position)
            .order_by_asc(id)
            .all(&self.db)
            .await?)
    }
}

/// `value` in `[from, to)`, as [`super::in_range`] puts it in SQL.
fn within(value: DateTime<Utc>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> bool {
    from.is_none_or(|from| value >= from) && to.is_none_or(|to| value < to)
}

/// `haystack` contains `needle`, ignoring case, as [`super::contains`] puts it in SQL.
fn contains(haystack: Option<&str>, needle: &str) -> bool {
    haystack.is_some_and(|text| text.to_lowercase().contains(&needle.to_lowercase()))
}

fn equal<T: PartialEq + ?Sized>(wanted: Option<&T>, value: &T) -> bool {
    wanted.is_none_or(|wanted| wanted == value)
}

impl EventFilter {
    pub fn matches(&self, event: &events::Model) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|kinds| kinds.iter().any(|kind| kind.as_str() == event.kind))
            && self
                .contact_id
                .as_ref()
                .is_none_or(|id| event.contact_id.as_ref() == Some(id))
            && self
                .phone
                .as_ref()
                .is_none_or(|phone| event.phone.as_ref() == Some(phone))
            && within(event.received_at, self.received_from, self.received_to)
            && self.after_position.is_none_or(|p| event.position > p)
            && self.before_position.is_none_or(|p| event.position < p)
    }
}

impl MessageFilter {
    pub fn matches(&self, message: &messages::Model) -> bool {
        self.direction
            .is_none_or(|direction| direction.as_str() == message.direction)
            && self.categories.as_ref().is_none_or(|categories| {
                categories
                    .iter()
                    .any(|category| message.category.as_deref() == Some(category.as_str()))
            })
            && self
                .contact_id
                .as_ref()
                .is_none_or(|id| message.contact_id.as_ref() == Some(id))
            && equal(self.phone.as_deref(), message.phone.as_str())
            && within(message.occurred_at, self.occurred_from, self.occurred_to)
            && self
                .text_contains
                .as_deref()
                .filter(|text| !text.is_empty())
                .is_none_or(|text| contains(Some(&message.body), text))
    }
}

impl DeliveryStatusFilter {
    pub fn matches(&self, status: &delivery_statuses::Model) -> bool {
        equal(self.code.as_deref(), status.code.as_str())
            && equal(self.success.as_ref(), &status.success)
            && equal(self.bounce.as_ref(), &status.bounce)
            && equal(self.recipient.as_deref(), status.recipient.as_str())
            && self
                .message_id
                .as_ref()
                .is_none_or(|id| status.message_id.as_ref() == Some(id))
            && within(status.reported_at, self.reported_from, self.reported_to)
    }
}

impl ContactFilter {
    pub fn matches(&self, contact: &contacts::Model) -> bool {
        let search = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|needle| !needle.is_empty());
        equal(self.phone.as_deref(), contact.phone.as_str())
            && equal(self.subscribed.as_ref(), &contact.subscribed)
            && self
                .carrier_status
                .as_ref()
                .is_none_or(|status| contact.carrier_status.as_ref() == Some(status))
            && self.min_bounces.is_none_or(|n| contact.bounces >= n)
            && within(contact.updated_at, self.updated_from, self.updated_to)
            && search.is_none_or(|needle| {
                contains(contact.first_name.as_deref(), needle)
                    || contains(contact.last_name.as_deref(), needle)
                    || contains(contact.email.as_deref(), needle)
            })
    }
}
