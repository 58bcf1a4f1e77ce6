//! The quarantine as a list, for operators.

use chrono::{DateTime, Utc};
use entity::quarantine;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};

use super::in_range;
use crate::domain::kind::WebhookKind;
use crate::store::page::{self, Direction, KeyValue, Ordering, Page, PageRequest};
use crate::store::{ReadError, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuarantineFilter {
    /// Any of these kinds.
    pub kinds: Option<Vec<WebhookKind>>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
}

/// The orderings of quarantined deliveries; each is named after its variant ([`Ordering::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarantineOrder {
    ReceivedAtAsc,
    ReceivedAtDesc,
}

impl QuarantineFilter {
    fn condition(&self) -> Condition {
        let condition =
            Condition::all().add_option(self.kinds.as_ref().map(|kinds| {
                quarantine::Column::Kind.is_in(kinds.iter().map(|kind| kind.as_str()))
            }));
        in_range(
            condition,
            quarantine::Column::ReceivedAt,
            self.received_from,
            self.received_to,
        )
    }
}

fn ordering(order: QuarantineOrder) -> Ordering<quarantine::Entity> {
    let direction = match order {
        QuarantineOrder::ReceivedAtAsc => Direction::Asc,
        QuarantineOrder::ReceivedAtDesc => Direction::Desc,
    };
    Ordering::new(
        order,
        vec![
            (quarantine::Column::ReceivedAt, direction),
            (quarantine::Column::Id, direction),
        ],
        |q: &quarantine::Model| {
            vec![
                KeyValue::Time(q.received_at),
                KeyValue::Text(q.id.to_string()),
            ]
        },
    )
}

impl Store {
    pub async fn quarantined(
        &self,
        filter: &QuarantineFilter,
        order: QuarantineOrder,
        page: &PageRequest,
    ) -> Result<Page<quarantine::Model>, ReadError> {
        let query = quarantine::Entity::find().filter(filter.condition());
        page::fetch(&self.db, query, &ordering(order), page).await
    }

    pub async fn count_quarantined(&self, filter: &QuarantineFilter) -> Result<u64, ReadError> {
        Ok(quarantine::Entity::find()
            .filter(filter.condition())
            .count(&self.db)
            .await?)
    }
}
