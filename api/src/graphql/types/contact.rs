//! `Contact`: a Mobiniti contact as its latest update describes it.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::contacts;

use super::{DeliveryStatus, DeliveryStatusFilter, DeliveryStatusesOrderBy, EventsOrderBy};
use super::{
    Event, EventFilter, Message, MessageFilter, MessagesOrderBy, nested_cost, normalized_phone,
    page, single_order,
};
use crate::graphql::connection::{Connection, Counter, counter};
use crate::graphql::errors::ReadResultExt;
use crate::graphql::loaders::{
    EventsOfContact, Latest, MessagesOfPhone, StatusesOfRecipient, StoreLoader,
};
use crate::graphql::scalars::{DateTime, Position};
use crate::graphql::{loader, prefetch, store};
use crate::store::{self as db, ReadError, Store};

/// Rows a nested list returns when the client names no size.
pub const NESTED_PAGE: i32 = 10;

#[derive(Debug, Clone)]
pub struct Contact(pub contacts::Model);

/// Filters on contacts; every field given must hold.
#[derive(InputObject, Debug, Default)]
pub struct ContactFilter {
    /// The phone in any format (`+19999999999`, `9999999999`, ...).
    pub phone: Option<String>,
    pub subscribed: Option<bool>,
    pub carrier_status: Option<String>,
    /// At least this many bounces.
    pub bounces_at_least: Option<i32>,
    /// Updated at or after this time.
    pub updated_from: Option<DateTime>,
    /// Updated before this time.
    pub updated_to: Option<DateTime>,
    /// Part of the first name, last name or email, ignoring case.
    pub search: Option<String>,
}

/// An ordering of contacts. `orderBy` takes one: a value, or a list holding one (as PostGraphile
/// clients send it). Each ordering ends on a unique key, so a second one is an error.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "db::ContactOrder")]
pub enum ContactsOrderBy {
    IdAsc,
    IdDesc,
    PhoneAsc,
    PhoneDesc,
    UpdatedAtAsc,
    UpdatedAtDesc,
    BouncesDesc,
}

impl ContactFilter {
    pub fn into_store(self, ctx: &Context<'_>) -> async_graphql::Result<db::ContactFilter> {
        Ok(db::ContactFilter {
            phone: self.phone.map(|p| normalized_phone(ctx, &p)).transpose()?,
            subscribed: self.subscribed,
            carrier_status: self.carrier_status,
            min_bounces: self.bounces_at_least,
            updated_from: self.updated_from.map(|t| t.0),
            updated_to: self.updated_to.map(|t| t.0),
            search: self.search,
        })
    }
}

/// A page of contacts.
pub async fn list(
    ctx: &Context<'_>,
    filter: Option<ContactFilter>,
    order_by: Option<Vec<ContactsOrderBy>>,
    page_request: db::PageRequest,
) -> async_graphql::Result<Connection<Contact>> {
    let filter = filter.unwrap_or_default().into_store(ctx)?;
    let order = single_order(order_by, ContactsOrderBy::UpdatedAtDesc)?;
    let store = store(ctx).clone();
    let page = store
        .contacts(&filter, order.into(), &page_request)
        .await
        .gql()?;
    let rows: Vec<&contacts::Model> = page.rows.iter().map(|(_, row)| row).collect();
    prefetch::contacts(loader(ctx), ctx.field(), &rows).await?;
    Ok(Connection::new(
        page,
        Contact,
        counter(move || {
            let (store, filter) = (store.clone(), filter.clone());
            async move { store.count_contacts(&filter).await }
        }),
    ))
}

/// Whether a nested list asks for nothing but its first page in the default order, which the
/// batched loaders answer for all parents at once.
fn first_page_only<F, O: PartialEq>(
    after: &Option<String>,
    last: Option<i32>,
    before: &Option<String>,
    filter: &Option<F>,
    order_by: &Option<Vec<O>>,
    default: O,
) -> bool {
    after.is_none()
        && last.is_none()
        && before.is_none()
        && filter.is_none()
        && order_by
            .as_ref()
            .is_none_or(|o| o.len() == 1 && o[0] == default)
}

#[Object]
impl Contact {
    /// Mobiniti's contact id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// E.164.
    async fn phone(&self) -> &str {
        &self.0.phone
    }

    async fn first_name(&self) -> Option<&str> {
        self.0.first_name.as_deref()
    }

    async fn last_name(&self) -> Option<&str> {
        self.0.last_name.as_deref()
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn subscribed(&self) -> bool {
        self.0.subscribed
    }

    async fn unsubscribed_at(&self) -> Option<DateTime> {
        self.0.unsubscribed_at.map(DateTime)
    }

    /// Bounces counted by Mobiniti, as of the latest bounce webhook.
    async fn bounces(&self) -> i32 {
        self.0.bounces
    }

    /// The latest carrier status: `suspended`, `deactivated`, `resumed`, `transferred`, or a
    /// status Mobiniti added later.
    async fn carrier_status(&self) -> Option<&str> {
        self.0.carrier_status.as_deref()
    }

    async fn created_at(&self) -> Option<DateTime> {
        self.0.created_at.map(DateTime)
    }

    /// The payload's `updated_at` of the update in force.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }

    /// Position of the latest event about this contact.
    async fn last_event_position(&self) -> Position {
        Position(self.0.last_event_position)
    }

    /// Messages to and from this contact's phone, newest first by default.
    #[graphql(complexity = "nested_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<MessageFilter>,
        order_by: Option<Vec<MessagesOrderBy>>,
    ) -> async_graphql::Result<Connection<Message>> {
        let phone = self.0.phone.clone();
        let all = db::MessageFilter {
            phone: Some(phone.clone()),
            ..Default::default()
        };
        if first_page_only(
            &after,
            last,
            &before,
            &filter,
            &order_by,
            MessagesOrderBy::OccurredAtDesc,
        ) {
            let store = store(ctx).clone();
            let count = counter(move || {
                let (store, all) = (store.clone(), all.clone());
                async move { store.count_messages(&all).await }
            });
            let parent = MessagesOfPhone(phone);
            return first_page(
                ctx,
                first,
                parent,
                Store::latest_messages_page,
                Message,
                count,
            )
            .await;
        }
        let filter = db::MessageFilter {
            phone: Some(phone),
            ..filter.unwrap_or_default().into_store(ctx)?
        };
        let page = nested_page(first, after, last, before)?;
        super::message::list_filtered(ctx, filter, order_by, page).await
    }

    /// Events about this contact, newest first by default.
    #[graphql(complexity = "nested_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<EventFilter>,
        order_by: Option<Vec<EventsOrderBy>>,
    ) -> async_graphql::Result<Connection<Event>> {
        let id = self.0.id.clone();
        let all = db::EventFilter {
            contact_id: Some(id.clone()),
            ..Default::default()
        };
        if first_page_only(
            &after,
            last,
            &before,
            &filter,
            &order_by,
            EventsOrderBy::PositionDesc,
        ) {
            let store = store(ctx).clone();
            let count = counter(move || {
                let (store, all) = (store.clone(), all.clone());
                async move { store.count_events(&all).await }
            });
            let parent = EventsOfContact(id);
            return first_page(ctx, first, parent, Store::latest_events_page, Event, count).await;
        }
        let filter = db::EventFilter {
            contact_id: Some(id),
            ..filter.unwrap_or_default().into_store(ctx)?
        };
        let order_by = Some(order_by.unwrap_or_else(|| vec![EventsOrderBy::PositionDesc]));
        let page = nested_page(first, after, last, before)?;
        super::event::list_filtered(ctx, filter, order_by, page).await
    }

    /// Delivery statuses reported for this contact's phone, newest first by default.
    #[graphql(complexity = "nested_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn delivery_statuses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<DeliveryStatusFilter>,
        order_by: Option<Vec<DeliveryStatusesOrderBy>>,
    ) -> async_graphql::Result<Connection<DeliveryStatus>> {
        let phone = self.0.phone.clone();
        let all = db::DeliveryStatusFilter {
            recipient: Some(phone.clone()),
            ..Default::default()
        };
        let default_order = DeliveryStatusesOrderBy::ReportedAtDesc;
        if first_page_only(&after, last, &before, &filter, &order_by, default_order) {
            let store = store(ctx).clone();
            let count = counter(move || {
                let (store, all) = (store.clone(), all.clone());
                async move { store.count_delivery_statuses(&all).await }
            });
            let parent = StatusesOfRecipient(phone);
            return first_page(
                ctx,
                first,
                parent,
                Store::latest_statuses_page,
                DeliveryStatus,
                count,
            )
            .await;
        }
        let filter = db::DeliveryStatusFilter {
            recipient: Some(phone),
            ..filter.unwrap_or_default().into_store(ctx)?
        };
        let page = nested_page(first, after, last, before)?;
        super::delivery_status::list_filtered(ctx, filter, order_by, page).await
    }
}

/// Relay's arguments for a nested list, whose default size is [`NESTED_PAGE`].
fn nested_page(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> async_graphql::Result<db::PageRequest> {
    let first = first.or(last.is_none().then_some(NESTED_PAGE));
    page(first, after.as_deref(), last, before.as_deref())
}

/// A nested list's first page in its default order, from the batched loader (which the
/// page's prefetch has usually filled already).
async fn first_page<P, R, N>(
    ctx: &Context<'_>,
    first: Option<i32>,
    parent: P,
    page_of: fn(Vec<R>, u64) -> db::Page<R>,
    node: fn(R) -> N,
    count: Counter,
) -> async_graphql::Result<Connection<N>>
where
    P: Clone + Eq + std::hash::Hash + Send + Sync + 'static,
    R: Clone + Send + Sync + 'static,
    StoreLoader:
        async_graphql::dataloader::Loader<Latest<P>, Value = Vec<R>, Error = Arc<ReadError>>,
{
    page(first, None, None, None)?;
    let limit = u64::try_from(first.unwrap_or(NESTED_PAGE)).unwrap_or(0);
    let rows = loader(ctx)
        .load_one(Latest { parent, limit })
        .await
        .gql()?
        .unwrap_or_default();
    Ok(Connection::new(page_of(rows, limit), node, count))
}
