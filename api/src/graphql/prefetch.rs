//! Loads the nested fields a query selects for a whole page at once, before the nodes resolve.
//!
//! The loaders would batch nested look-ups anyway, but only those that arrive within their
//! short delay; a slow sweep over a large page splits into several statements. Walking the
//! selection and reading once per nested field makes the count of statements a function of the
//! query's shape alone, not of the page size or of timing. What is read goes into the loaders'
//! cache, which then answers the nodes' own look-ups.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::context::SelectionField;
use async_graphql::dataloader::Loader as LoaderOf;
use async_graphql::{Name, Value};
use entity::{contacts, delivery_statuses, events, messages};

use super::Loader;
use super::errors::ReadResultExt;
use super::loaders::{
    ContactId, ContactPhone, EventsOfContact, Latest, MessageId, MessagesOfPhone,
    StatusesOfMessage, StatusesOfRecipient, StoreLoader,
};
use super::types::contact::NESTED_PAGE;
use crate::store::{Page, ReadError};

type Result = async_graphql::Result<()>;

/// Reads `keys` with the loader's own `load` and caches what it finds. `load_many` would read
/// them in a spawned task that first waits for the timer's next tick, a millisecond, for more
/// keys; a prefetch holds every key of its level already, so each level would cost that wait.
pub async fn fetch<K>(
    loader: &Loader,
    keys: impl IntoIterator<Item = K>,
) -> async_graphql::Result<HashMap<K, <StoreLoader as LoaderOf<K>>::Value>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    StoreLoader: LoaderOf<K, Error = Arc<ReadError>>,
{
    let keys: Vec<K> = keys
        .into_iter()
        .collect::<HashSet<K>>()
        .into_iter()
        .collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let found = loader.loader().load(&keys).await.gql()?;
    loader
        .feed_many(
            found
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        )
        .await;
    Ok(found)
}

/// [`fetch`] for keys whose value is a list of rows: a key with none is cached as an empty
/// list, so that its node finds it answered rather than asking the store again.
async fn fetch_lists<K, V>(
    loader: &Loader,
    keys: impl IntoIterator<Item = K>,
) -> async_graphql::Result<Vec<V>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Clone + Send + Sync + 'static,
    StoreLoader: LoaderOf<K, Value = Vec<V>, Error = Arc<ReadError>>,
{
    let keys: HashSet<K> = keys.into_iter().collect();
    let found = fetch(loader, keys.iter().cloned()).await?;
    let empty = keys
        .into_iter()
        .filter(|key| !found.contains_key(key))
        .map(|key| (key, Vec::new()));
    loader.feed_many(empty).await;
    Ok(found.into_values().flatten().collect())
}

/// The rows of a page read with the objects they name (`Store::*_with_*`), each object put into
/// the loader's cache under `key`, where the nodes' look-ups find it.
pub async fn feed_joined<T, V, K>(
    loader: &Loader,
    page: Page<(T, Option<V>)>,
    key: impl Fn(&V) -> K,
) -> Page<T>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    StoreLoader: LoaderOf<K, Value = V>,
{
    let mut joined = Vec::new();
    let page = page.map(|(row, object)| {
        joined.extend(object.map(|object| (key(&object), object)));
        row
    });
    loader.feed_many(joined).await;
    page
}

/// The node selections of a connection field: its `nodes`, and the `node` of its `edges`.
fn nodes_of(connection: SelectionField<'_>) -> Vec<SelectionField<'_>> {
    let mut nodes = Vec::new();
    for field in connection.selection_set() {
        match field.name() {
            "nodes" => nodes.push(field),
            "edges" => nodes.extend(field.selection_set().filter(|f| f.name() == "node")),
            _ => {}
        }
    }
    nodes
}

/// Whether the nodes of `connection` select the field `name`.
pub fn selects(connection: SelectionField<'_>, name: &str) -> bool {
    fields(&nodes_of(connection), name).next().is_some()
}

/// The page size a nested connection asks for, if it asks only for a first page in its
/// default order (what the batched loaders answer).
fn first_page_size(field: &SelectionField<'_>) -> Option<u64> {
    let arguments: Vec<(Name, Value)> = field.arguments().ok()?;
    let mut first = NESTED_PAGE;
    for (name, value) in arguments {
        match (name.as_str(), value) {
            ("first", Value::Number(n)) => first = i32::try_from(n.as_i64()?).ok()?,
            ("first", Value::Null) => {}
            _ => return None,
        }
    }
    u64::try_from(first).ok()
}

fn fields<'a>(
    nodes: &'a [SelectionField<'a>],
    name: &'a str,
) -> impl Iterator<Item = SelectionField<'a>> + 'a {
    nodes
        .iter()
        .flat_map(move |node| node.selection_set().filter(move |f| f.name() == name))
}

/// Prefetches what one contact, the answer of `field`, selects.
pub async fn contact(loader: &Loader, field: SelectionField<'_>, row: &contacts::Model) -> Result {
    contact_nodes(loader, &[field], &[row]).await
}

/// Prefetches what one message, the answer of `field`, selects.
pub async fn message(loader: &Loader, field: SelectionField<'_>, row: &messages::Model) -> Result {
    message_nodes(loader, &[field], &[row], false).await
}

/// Prefetches what a page of contacts selects: messages, events, delivery statuses.
pub async fn contacts(
    loader: &Loader,
    connection: SelectionField<'_>,
    rows: &[&contacts::Model],
) -> Result {
    contact_nodes(loader, &nodes_of(connection), rows).await
}

async fn contact_nodes(
    loader: &Loader,
    nodes: &[SelectionField<'_>],
    rows: &[&contacts::Model],
) -> Result {
    let phones: Vec<&str> = rows.iter().map(|c| c.phone.as_str()).collect();
    tokio::try_join!(
        phone_nodes(loader, nodes, &phones),
        id_nodes(loader, nodes, rows)
    )?;
    Ok(())
}

/// Finds the contact of `phone` and prefetches what it selects. Its messages and delivery
/// statuses need the phone alone, so they are read beside the contact, not after it: one
/// round trip less to wait for on a contact page.
pub async fn contact_by_phone(
    loader: &Loader,
    field: SelectionField<'_>,
    phone: String,
) -> async_graphql::Result<Option<contacts::Model>> {
    let nodes = [field];
    let phones = [phone.as_str()];
    let (found, ()) = tokio::try_join!(
        fetch(loader, [ContactPhone(phone.clone())]),
        phone_nodes(loader, &nodes, &phones),
    )?;
    let Some(row) = found.into_values().next() else {
        return Ok(None);
    };
    id_nodes(loader, &nodes, &[&row]).await?;
    Ok(Some(row))
}

/// What contacts select that needs their phones alone: messages and delivery statuses.
async fn phone_nodes(loader: &Loader, nodes: &[SelectionField<'_>], phones: &[&str]) -> Result {
    for field in fields(nodes, "messages") {
        let Some(limit) = first_page_size(&field) else {
            continue;
        };
        let keys = phones.iter().map(|phone| Latest {
            parent: MessagesOfPhone((*phone).to_owned()),
            limit,
        });
        let children: Vec<messages::Model> = fetch_lists(loader, keys).await?;
        let children: Vec<&messages::Model> = children.iter().collect();
        Box::pin(message_nodes(loader, &nodes_of(field), &children, false)).await?;
    }
    for field in fields(nodes, "deliveryStatuses") {
        let Some(limit) = first_page_size(&field) else {
            continue;
        };
        let keys = phones.iter().map(|phone| Latest {
            parent: StatusesOfRecipient((*phone).to_owned()),
            limit,
        });
        let children: Vec<delivery_statuses::Model> = fetch_lists(loader, keys).await?;
        let children: Vec<&delivery_statuses::Model> = children.iter().collect();
        status_nodes(loader, &nodes_of(field), &children, false).await?;
    }
    Ok(())
}

/// What contacts select that needs their ids: events.
async fn id_nodes(
    loader: &Loader,
    nodes: &[SelectionField<'_>],
    rows: &[&contacts::Model],
) -> Result {
    for field in fields(nodes, "events") {
        let Some(limit) = first_page_size(&field) else {
            continue;
        };
        let keys = rows.iter().map(|c| Latest {
            parent: EventsOfContact(c.id.clone()),
            limit,
        });
        let children: Vec<events::Model> = fetch_lists(loader, keys).await?;
        let children: Vec<&events::Model> = children.iter().collect();
        event_nodes(loader, &nodes_of(field), &children).await?;
    }
    Ok(())
}

/// Prefetches what a page of messages selects: delivery statuses and contacts, but for the
/// contacts the page's own statement read (`contacts_read`, see [`message_nodes`]).
pub async fn messages(
    loader: &Loader,
    connection: SelectionField<'_>,
    rows: &[&messages::Model],
    contacts_read: bool,
) -> Result {
    message_nodes(loader, &nodes_of(connection), rows, contacts_read).await
}

/// `contacts_read`: the statement that read `rows` read the contacts their `contact_id` names
/// too, and they are in the loader's cache.
async fn message_nodes(
    loader: &Loader,
    nodes: &[SelectionField<'_>],
    rows: &[&messages::Model],
    contacts_read: bool,
) -> Result {
    if rows.is_empty() {
        return Ok(());
    }
    let statuses: Vec<SelectionField<'_>> = fields(nodes, "deliveryStatuses").collect();
    if !statuses.is_empty() {
        let keys = rows.iter().map(|m| StatusesOfMessage(m.id.clone()));
        let children: Vec<delivery_statuses::Model> = fetch_lists(loader, keys).await?;
        let children: Vec<&delivery_statuses::Model> = children.iter().collect();
        status_nodes(loader, &statuses, &children, false).await?;
    }
    if fields(nodes, "contact").next().is_some() {
        if !contacts_read {
            let by_id = rows
                .iter()
                .filter_map(|m| m.contact_id.clone().map(ContactId));
            fetch(loader, by_id).await?;
        }
        let by_phone = rows
            .iter()
            .filter(|m| m.contact_id.is_none())
            .map(|m| ContactPhone(m.phone.clone()));
        fetch(loader, by_phone).await?;
    }
    Ok(())
}

/// Prefetches what a page of delivery statuses selects: their messages, unless the page's own
/// statement read them (`messages_read`, see [`status_nodes`]).
pub async fn delivery_statuses(
    loader: &Loader,
    connection: SelectionField<'_>,
    rows: &[&delivery_statuses::Model],
    messages_read: bool,
) -> Result {
    status_nodes(loader, &nodes_of(connection), rows, messages_read).await
}

/// `messages_read`: the statement that read `rows` read their messages too, and they are in the
/// loader's cache.
async fn status_nodes(
    loader: &Loader,
    nodes: &[SelectionField<'_>],
    rows: &[&delivery_statuses::Model],
    messages_read: bool,
) -> Result {
    let wanted: Vec<SelectionField<'_>> = fields(nodes, "message").collect();
    if messages_read || wanted.is_empty() || rows.is_empty() {
        return Ok(());
    }
    let keys = rows
        .iter()
        .filter_map(|s| s.message_id.clone().map(MessageId));
    fetch(loader, keys).await?;
    Ok(())
}

/// Prefetches what a page of events selects: their contacts.
pub async fn events(
    loader: &Loader,
    connection: SelectionField<'_>,
    rows: &[&events::Model],
) -> Result {
    event_nodes(loader, &nodes_of(connection), rows).await
}

async fn event_nodes(
    loader: &Loader,
    nodes: &[SelectionField<'_>],
    rows: &[&events::Model],
) -> Result {
    if fields(nodes, "contact").next().is_none() || rows.is_empty() {
        return Ok(());
    }
    let keys = rows
        .iter()
        .filter_map(|e| e.contact_id.clone().map(ContactId));
    fetch(loader, keys).await?;
    Ok(())
}
