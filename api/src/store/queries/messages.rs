//! Messages: the list, look-ups by id, and each contact's latest messages.

use chrono::{DateTime, Utc};
use entity::{contacts, messages};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};

use super::{contains, in_range, latest_per, one_of};
use crate::domain::category::Category;
use crate::store::MessageDirection;
use crate::store::page::{self, Direction, KeyValue, Ordering, Page, PageRequest};
use crate::store::{ReadError, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    pub direction: Option<MessageDirection>,
    /// Any of these categories.
    pub categories: Option<Vec<Category>>,
    pub contact_id: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub occurred_from: Option<DateTime<Utc>>,
    pub occurred_to: Option<DateTime<Utc>>,
    pub text_contains: Option<String>,
}

/// The orderings of messages; each is named after its variant ([`Ordering::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageOrder {
    OccurredAtAsc,
    OccurredAtDesc,
    IdAsc,
    IdDesc,
}

impl MessageFilter {
    fn condition(&self) -> Condition {
        let condition = Condition::all()
            .add_option(
                self.direction
                    .as_ref()
                    .map(|d| messages::Column::Direction.eq(d.as_str())),
            )
            .add_option(
                self.categories
                    .as_ref()
                    .map(|c| messages::Column::Category.is_in(c.iter().map(|c| c.as_str()))),
            )
            .add_option(
                self.contact_id
                    .as_ref()
                    .map(|id| messages::Column::ContactId.eq(id.clone())),
            )
            .add_option(
                self.phone
                    .as_ref()
                    .map(|phone| messages::Column::Phone.eq(phone.clone())),
            )
            .add_option(
                self.text_contains
                    .as_deref()
                    .filter(|text| !text.is_empty())
                    .map(|text| contains(messages::Column::Body, text)),
            );
        in_range(
            condition,
            messages::Column::OccurredAt,
            self.occurred_from,
            self.occurred_to,
        )
    }
}

fn ordering(order: MessageOrder) -> Ordering<messages::Entity> {
    use Direction::{Asc, Desc};
    use messages::Column as C;
    let (keys, key_of): (_, fn(&messages::Model) -> Vec<KeyValue>) = match order {
        MessageOrder::OccurredAtAsc => (vec![(C::OccurredAt, Asc), (C::Id, Asc)], time_key),
        MessageOrder::OccurredAtDesc => (vec![(C::OccurredAt, Desc), (C::Id, Desc)], time_key),
        MessageOrder::IdAsc => (vec![(C::Id, Asc)], |m| vec![KeyValue::Text(m.id.clone())]),
        MessageOrder::IdDesc => (vec![(C::Id, Desc)], |m| vec![KeyValue::Text(m.id.clone())]),
    };
    Ordering::new(order, keys, key_of)
}

fn time_key(message: &messages::Model) -> Vec<KeyValue> {
    vec![
        KeyValue::Time(message.occurred_at),
        KeyValue::Text(message.id.clone()),
    ]
}

impl Store {
    pub async fn messages(
        &self,
        filter: &MessageFilter,
        order: MessageOrder,
        page: &PageRequest,
    ) -> Result<Page<messages::Model>, ReadError> {
        let query = messages::Entity::find().filter(filter.condition());
        page::fetch(&self.db, query, &ordering(order), page).await
    }

    /// [`Store::messages`], each with the contact its `contact_id` names, in one statement.
    pub async fn messages_with_contacts(
        &self,
        filter: &MessageFilter,
        order: MessageOrder,
        page: &PageRequest,
    ) -> Result<Page<(messages::Model, Option<contacts::Model>)>, ReadError> {
        let query = messages::Entity::find().filter(filter.condition());
        let contact = messages::Entity::belongs_to(contacts::Entity)
            .from(messages::Column::ContactId)
            .to(contacts::Column::Id)
            .into();
        page::fetch_joined::<_, contacts::Entity, _>(
            &self.db,
            query,
            contact,
            &ordering(order),
            page,
        )
        .await
    }

    pub async fn count_messages(&self, filter: &MessageFilter) -> Result<u64, ReadError> {
        Ok(messages::Entity::find()
            .filter(filter.condition())
            .count(&self.db)
            .await?)
    }

    pub async fn messages_by_ids(&self, ids: &[String]) -> Result<Vec<messages::Model>, ReadError> {
        Ok(messages::Entity::find()
            .filter(one_of(
                self.db.get_database_backend(),
                messages::Column::Id,
                ids,
            ))
            .all(&self.db)
            .await?)
    }

    /// The first page, newest first, of messages read by [`Store::latest_messages_of_phones`].
    pub fn latest_messages_page(rows: Vec<messages::Model>, limit: u64) -> Page<messages::Model> {
        page::first_page_of(rows, &ordering(MessageOrder::OccurredAtDesc), limit)
    }

    /// The `limit` latest messages to or from each phone.
    pub async fn latest_messages_of_phones(
        &self,
        phones: &[String],
        limit: u64,
    ) -> Result<Vec<messages::Model>, ReadError> {
        Ok(
            latest_per::<messages::Entity>(&self.db, "phone", "occurred_at", "id", phones, limit)
                .await?,
        )
    }
}
