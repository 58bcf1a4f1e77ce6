//! Rejections: the list.

use chrono::{DateTime, Utc};
use entity::rejections;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};

use super::in_range;
use crate::store::page::{self, Direction, KeyValue, Ordering, Page, PageRequest};
use crate::store::{ReadError, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectionFilter {
    pub code: Option<String>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
}

/// The orderings of rejections; each is named after its variant ([`Ordering::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionOrder {
    ReceivedAtAsc,
    ReceivedAtDesc,
}

impl RejectionFilter {
    fn condition(&self) -> Condition {
        let condition = Condition::all().add_option(
            self.code
                .as_ref()
                .map(|code| rejections::Column::Code.eq(code.clone())),
        );
        in_range(
            condition,
            rejections::Column::ReceivedAt,
            self.received_from,
            self.received_to,
        )
    }
}

fn ordering(order: RejectionOrder) -> Ordering<rejections::Entity> {
    use rejections::Column as C;
    let direction = match order {
        RejectionOrder::ReceivedAtAsc => Direction::Asc,
        RejectionOrder::ReceivedAtDesc => Direction::Desc,
    };
    Ordering::new(
        order,
        vec![(C::ReceivedAt, direction), (C::EventPosition, direction)],
        |r: &rejections::Model| {
            vec![
                KeyValue::Time(r.received_at),
                KeyValue::Int(r.event_position),
            ]
        },
    )
}

impl Store {
    pub async fn rejections(
        &self,
        filter: &RejectionFilter,
        order: RejectionOrder,
        page: &PageRequest,
    ) -> Result<Page<rejections::Model>, ReadError> {
        let query = rejections::Entity::find().filter(filter.condition());
        page::fetch(&self.db, query, &ordering(order), page).await
    }

    pub async fn count_rejections(&self, filter: &RejectionFilter) -> Result<u64, ReadError> {
        Ok(rejections::Entity::find()
            .filter(filter.condition())
            .count(&self.db)
            .await?)
    }
}
