//! Contacts: the list, look-ups by id and phone, and the totals a dashboard shows.

use chrono::{DateTime, Utc};
use entity::{contacts, totals};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};

use super::{contains, in_range, one_of};
use crate::store::page::{self, Direction, KeyValue, Ordering, Page, PageRequest};
use crate::store::projections::totals as names;
use crate::store::{ReadError, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// E.164.
    pub phone: Option<String>,
    pub subscribed: Option<bool>,
    pub carrier_status: Option<String>,
    pub min_bounces: Option<i32>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Part of the first name, last name or email, ignoring case.
    pub search: Option<String>,
}

/// The orderings of contacts; each is named after its variant ([`Ordering::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactOrder {
    IdAsc,
    IdDesc,
    PhoneAsc,
    PhoneDesc,
    UpdatedAtAsc,
    UpdatedAtDesc,
    BouncesDesc,
}

/// The counts kept by the projections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub contacts: i64,
    pub subscribed: i64,
    pub bounced: i64,
}

impl ContactFilter {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all()
            .add_option(
                self.phone
                    .as_ref()
                    .map(|phone| contacts::Column::Phone.eq(phone.clone())),
            )
            .add_option(
                self.subscribed
                    .map(|flag| contacts::Column::Subscribed.eq(flag)),
            )
            .add_option(
                self.carrier_status
                    .as_ref()
                    .map(|status| contacts::Column::CarrierStatus.eq(status.clone())),
            )
            .add_option(self.min_bounces.map(|n| contacts::Column::Bounces.gte(n)));
        condition = in_range(
            condition,
            contacts::Column::UpdatedAt,
            self.updated_from,
            self.updated_to,
        );
        if let Some(needle) = self.search.as_deref().filter(|n| !n.trim().is_empty()) {
            condition = condition.add(
                Condition::any()
                    .add(contains(contacts::Column::FirstName, needle.trim()))
                    .add(contains(contacts::Column::LastName, needle.trim()))
                    .add(contains(contacts::Column::Email, needle.trim())),
            );
        }
        condition
    }
}

fn ordering(order: ContactOrder) -> Ordering<contacts::Entity> {
    use Direction::{Asc, Desc};
    use contacts::Column as C;
    let (keys, key_of): (_, fn(&contacts::Model) -> Vec<KeyValue>) = match order {
        ContactOrder::IdAsc => (vec![(C::Id, Asc)], |c| vec![KeyValue::Text(c.id.clone())]),
        ContactOrder::IdDesc => (vec![(C::Id, Desc)], |c| vec![KeyValue::Text(c.id.clone())]),
        ContactOrder::PhoneAsc => (vec![(C::Phone, Asc), (C::Id, Asc)], phone_key),
        ContactOrder::PhoneDesc => (vec![(C::Phone, Desc), (C::Id, Desc)], phone_key),
        ContactOrder::UpdatedAtAsc => (vec![(C::UpdatedAt, Asc), (C::Id, Asc)], updated_key),
        ContactOrder::UpdatedAtDesc => (vec![(C::UpdatedAt, Desc), (C::Id, Desc)], updated_key),
        ContactOrder::BouncesDesc => (vec![(C::Bounces, Desc), (C::Id, Desc)], |c| {
            vec![
                KeyValue::Int(i64::from(c.bounces)),
                KeyValue::Text(c.id.clone()),
            ]
        }),
    };
    Ordering::new(order, keys, key_of)
}

fn phone_key(contact: &contacts::Model) -> Vec<KeyValue> {
    vec![
        KeyValue::Text(contact.phone.clone()),
        KeyValue::Text(contact.id.clone()),
    ]
}

fn updated_key(contact: &contacts::Model) -> Vec<KeyValue> {
    vec![
        KeyValue::Time(contact.updated_at),
        KeyValue::Text(contact.id.clone()),
    ]
}

impl Store {
    pub async fn contacts(
        &self,
        filter: &ContactFilter,
        order: ContactOrder,
        page: &PageRequest,
    ) -> Result<Page<contacts::Model>, ReadError> {
        let query = contacts::Entity::find().filter(filter.condition());
        page::fetch(&self.db, query, &ordering(order), page).await
    }

    /// How many contacts match; without a filter, read from the kept totals.
    pub async fn count_contacts(&self, filter: &ContactFilter) -> Result<u64, ReadError> {
        if *filter == ContactFilter::default() {
            return Ok(self.totals().await?.contacts.max(0) as u64);
        }
        Ok(contacts::Entity::find()
            .filter(filter.condition())
            .count(&self.db)
            .await?)
    }

    pub async fn totals(&self) -> Result<Totals, ReadError> {
        let rows = totals::Entity::find().all(&self.db).await?;
        let value = |name: &str| {
            rows.iter()
                .find(|row| row.name == name)
                .map_or(0, |row| row.value)
        };
        Ok(Totals {
            contacts: value(names::CONTACTS),
            subscribed: value(names::SUBSCRIBED),
            bounced: value(names::BOUNCED),
        })
    }

    pub async fn contacts_by_ids(&self, ids: &[String]) -> Result<Vec<contacts::Model>, ReadError> {
        Ok(contacts::Entity::find()
            .filter(one_of(
                self.db.get_database_backend(),
                contacts::Column::Id,
                ids,
            ))
            .all(&self.db)
            .await?)
    }

    /// Contacts by E.164 phone. Several contacts may share a phone; all are returned.
    pub async fn contacts_by_phones(
        &self,
        phones: &[String],
    ) -> Result<Vec<contacts::Model>, ReadError> {
        Ok(contacts::Entity::find()
            .filter(one_of(
                self.db.get_database_backend(),
                contacts::Column::Phone,
                phones,
            ))
            .all(&self.db)
            .await?)
    }
}
