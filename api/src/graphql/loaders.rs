//! Batched look-ups for nested fields: a page of 50 contacts asks for its messages in one
//! statement, not 50. One `DataLoader` per request, so nothing is cached across requests.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{contacts, delivery_statuses, events, messages};

use crate::store::{ReadError, Store};

#[derive(Debug)]
pub struct StoreLoader {
    store: Store,
}

impl StoreLoader {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContactId(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContactPhone(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusesOfMessage(pub String);

/// The latest `limit` rows of a parent (`limit + 1` are read, to tell whether there are more).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Latest<P> {
    pub parent: P,
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessagesOfPhone(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusesOfRecipient(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventsOfContact(pub String);

type Shared<T> = Result<T, Arc<ReadError>>;

fn index_by<K, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, V>
where
    K: Eq + Hash,
{
    rows.into_iter().map(|row| (key(&row), row)).collect()
}

fn group_by<K, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, Vec<V>>
where
    K: Eq + Hash,
{
    let mut groups: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

impl Loader<ContactId> for StoreLoader {
    type Value = contacts::Model;
    type Error = Arc<ReadError>;

    async fn load(&self, keys: &[ContactId]) -> Shared<HashMap<ContactId, Self::Value>> {
        let ids: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let rows = self.store.contacts_by_ids(&ids).await?;
        Ok(index_by(rows, |row| ContactId(row.id.clone())))
    }
}

impl Loader<ContactPhone> for StoreLoader {
    type Value = contacts::Model;
    type Error = Arc<ReadError>;

    /// Several contacts may share a phone: the most recently updated one answers.
    async fn load(&self, keys: &[ContactPhone]) -> Shared<HashMap<ContactPhone, Self::Value>> {
        let phones: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let mut rows = self.store.contacts_by_phones(&phones).await?;
        rows.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)));
        Ok(index_by(rows, |row| ContactPhone(row.phone.clone())))
    }
}

impl Loader<MessageId> for StoreLoader {
    type Value = messages::Model;
    type Error = Arc<ReadError>;

    async fn load(&self, keys: &[MessageId]) -> Shared<HashMap<MessageId, Self::Value>> {
        let ids: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let rows = self.store.messages_by_ids(&ids).await?;
        Ok(index_by(rows, |row| MessageId(row.id.clone())))
    }
}

impl Loader<StatusesOfMessage> for StoreLoader {
    type Value = Vec<delivery_statuses::Model>;
    type Error = Arc<ReadError>;

    async fn load(
        &self,
        keys: &[StatusesOfMessage],
    ) -> Shared<HashMap<StatusesOfMessage, Self::Value>> {
        let ids: Vec<String> = keys.iter().map(|key| key.0.clone()).collect();
        let rows = self.store.statuses_of_messages(&ids).await?;
        Ok(group_by(rows, |row| {
            StatusesOfMessage(row.message_id.clone().unwrap_or_default())
        }))
    }
}

/// Runs `read` once per distinct limit among `keys`, grouping its rows by parent.
async fn latest<P, V, F, Fut>(
    keys: &[Latest<P>],
    parent_of: impl Fn(&V) -> P,
    read: F,
) -> Shared<HashMap<Latest<P>, Vec<V>>>
where
    P: Clone + Eq + Hash + Into<String>,
    F: Fn(Vec<String>, u64) -> Fut,
    Fut: Future<Output = Result<Vec<V>, ReadError>>,
{
    let mut limits: HashMap<u64, Vec<P>> = HashMap::new();
    for key in keys {
        limits
            .entry(key.limit)
            .or_default()
            .push(key.parent.clone());
    }
    let mut found = HashMap::new();
    for (limit, parents) in limits {
        let values = parents.into_iter().map(Into::into).collect();
        let rows = read(values, limit + 1).await?;
        for (parent, rows) in group_by(rows, &parent_of) {
            found.insert(Latest { parent, limit }, rows);
        }
    }
    Ok(found)
}

impl From<MessagesOfPhone> for String {
    fn from(key: MessagesOfPhone) -> Self {
        key.0
    }
}

impl From<StatusesOfRecipient> for String {
    fn from(key: StatusesOfRecipient) -> Self {
        key.0
    }
}

impl From<EventsOfContact> for String {
    fn from(key: EventsOfContact) -> Self {
        key.0
    }
}

impl Loader<Latest<MessagesOfPhone>> for StoreLoader {
    type Value = Vec<messages::Model>;
    type Error = Arc<ReadError>;

    async fn load(
        &self,
        keys: &[Latest<MessagesOfPhone>],
    ) -> Shared<HashMap<Latest<MessagesOfPhone>, Self::Value>> {
        latest(
            keys,
            |row: &messages::Model| MessagesOfPhone(row.phone.clone()),
            |phones, limit| async move { self.store.latest_messages_of_phones(&phones, limit).await },
        )
        .await
    }
}

impl Loader<Latest<StatusesOfRecipient>> for StoreLoader {
    type Value = Vec<delivery_statuses::Model>;
    type Error = Arc<ReadError>;

    async fn load(
        &self,
        keys: &[Latest<StatusesOfRecipient>],
    ) -> Shared<HashMap<Latest<StatusesOfRecipient>, Self::Value>> {
        latest(
            keys,
            |row: &delivery_statuses::Model| StatusesOfRecipient(row.recipient.clone()),
            |phones, limit| async move {
                self.store
                    .latest_statuses_of_recipients(&phones, limit)
                    .await
            },
        )
        .await
    }
}

impl Loader<Latest<EventsOfContact>> for StoreLoader {
    type Value = Vec<events::Model>;
    type Error = Arc<ReadError>;

    async fn load(
        &self,
        keys: &[Latest<EventsOfContact>],
    ) -> Shared<HashMap<Latest<EventsOfContact>, Self::Value>> {
        latest(
            keys,
            |row: &events::Model| EventsOfContact(row.contact_id.clone().unwrap_or_default()),
            |ids, limit| async move { self.store.latest_events_of_contacts(&ids, limit).await },
        )
        .await
    }
}

/// Forgets everything `loader` read. A subscription keeps one loader for its whole life; it is
/// emptied before each update so nested fields read the store as it is then.
pub fn forget(loader: &super::Loader) {
    loader.clear::<ContactId>();
    loader.clear::<ContactPhone>();
    loader.clear::<MessageId>();
    loader.clear::<StatusesOfMessage>();
    loader.clear::<Latest<MessagesOfPhone>>();
    loader.clear::<Latest<StatusesOfRecipient>>();
    loader.clear::<Latest<EventsOfContact>>();
}
