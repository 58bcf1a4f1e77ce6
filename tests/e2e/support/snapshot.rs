//! Every projection row, in primary-key order, to compare two states of the store.

use entity::{contacts, delivery_statuses, messages, rejections, totals};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

#[derive(Debug, PartialEq, Eq)]
pub struct Projections {
    pub contacts: Vec<contacts::Model>,
    pub messages: Vec<messages::Model>,
    pub delivery_statuses: Vec<delivery_statuses::Model>,
    pub rejections: Vec<rejections::Model>,
    pub totals: Vec<totals::Model>,
}

impl Projections {
    pub async fn read(db: &DatabaseConnection) -> Self {
        Self {
            contacts: contacts::Entity::find()
                .order_by_asc(contacts::Column::Id)
                .all(db)
                .await
                .expect("read contacts"),
            messages: messages::Entity::find()
                .order_by_asc(messages::Column::Id)
                .all(db)
                .await
                .expect("read messages"),
            delivery_statuses: delivery_statuses::Entity::find()
                .order_by_asc(delivery_statuses::Column::Id)
                .all(db)
                .await
                .expect("read delivery statuses"),
            rejections: rejections::Entity::find()
                .order_by_asc(rejections::Column::Id)
                .all(db)
                .await
                .expect("read rejections"),
            // A count that went up and down again keeps its row at 0; a rebuild never writes
            // one: the API reads a missing count as 0.
            totals: totals::Entity::find()
                .order_by_asc(totals::Column::Name)
                .all(db)
                .await
                .expect("read totals")
                .into_iter()
                .filter(|total| total.value != 0)
                .collect(),
        }
    }
}
