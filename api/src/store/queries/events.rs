//! The event log as a list: by position, kinds, contact, time.

use chrono::{DateTime, Utc};
use entity::events;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::{in_range, latest_per};
use crate::domain::kind::WebhookKind;
use crate::store::page::{self, Direction, KeyValue, Ordering, Page, PageRequest};
use crate::store::{ReadError, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Any of these kinds.
    pub kinds: Option<Vec<WebhookKind>>,
    pub contact_id: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    /// Positions strictly greater than this.
    pub after_position: Option<i64>,
    /// Positions strictly smaller than this.
    pub before_position: Option<i64>,
}

/// The orderings of events; each is named after its variant ([`Ordering::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOrder {
    PositionAsc,
    PositionDesc,
}

impl EventFilter {
    fn condition(&self) -> Condition {
        use events::Column as C;
        let condition = Condition::all()
            .add_option(
                self.kinds
                    .as_ref()
                    .map(|kinds| C::Kind.is_in(kinds.iter().map(|kind| kind.as_str()))),
            )
            .add_option(
                self.contact_id
                    .as_ref()
                    .map(|id| C::ContactId.eq(id.clone())),
            )
            .add_option(self.phone.as_ref().map(|phone| C::Phone.eq(phone.clone())))
            .add_option(self.after_position.map(|p| C::Position.gt(p)))
            .add_option(self.before_position.map(|p| C::Position.lt(p)));
        in_range(
            condition,
            C::ReceivedAt,
            self.received_from,
            self.received_to,
        )
    }
}

fn ordering(order: EventOrder) -> Ordering<events::Entity> {
    let direction = match order {
        EventOrder::PositionAsc => Direction::Asc,
        EventOrder::PositionDesc => Direction::Desc,
    };
    Ordering::new(
        order,
        vec![(events::Column::Position, direction)],
        |e: &events::Model| vec![KeyValue::Int(e.position)],
    )
}

impl Store {
    pub async fn events(
        &self,
        filter: &EventFilter,
        order: EventOrder,
        page: &PageRequest,
    ) -> Result<Page<events::Model>, ReadError> {
        let query = events::Entity::find().filter(filter.condition());
        page::fetch(&self.db, query, &ordering(order), page).await
    }

    /// How many events match; without a filter, the log's head (positions have no gap).
    pub async fn count_events(&self, filter: &EventFilter) -> Result<u64, ReadError> {
        if *filter == EventFilter::default() {
            return Ok(self.head().await?.max(0) as u64);
        }
        Ok(events::Entity::find()
            .filter(filter.condition())
            .count(&self.db)
            .await?)
    }

    pub async fn events_by_ids(&self, ids: &[Uuid]) -> Result<Vec<events::Model>, ReadError> {
        Ok(events::Entity::find()
            .filter(events::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await?)
    }

    /// The first page, newest first, of events read by [`Store::latest_events_of_contacts`].
    pub fn latest_events_page(rows: Vec<events::Model>, limit: u64) -> Page<events::Model> {
        page::first_page_of(rows, &ordering(EventOrder::PositionDesc), limit)
    }

    /// The `limit` latest events about each contact.
    pub async fn latest_events_of_contacts(
        &self,
        contact_ids: &[String],
        limit: u64,
    ) -> Result<Vec<events::Model>, ReadError> {
        Ok(latest_per::<events::Entity>(
            &self.db,
            "contact_id",
            "position",
            "position",
            contact_ids,
            limit,
        )
        .await?)
    }
}
