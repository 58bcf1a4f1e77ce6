//! `Contact`: a Mobiniti contact as its latest update describes it.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::contacts;

use super::{DeliveryStatus, DeliveryStatusFilter, DeliveryStatusesOrderBy, EventsOrderBy};
use super::{
    Event, EventFilter, Message, MessageFilter, MessagesOrderBy, nested_cost, normalized_phone,
    page, single_order,
};
use crate::graphql::connection::{Connection, counter};
use crate::graphql::errors::ReadResultExt;
use crate::graphql::loaders::{EventsOfContact, Latest, MessagesOfPhone, StatusesOfRecipient};
use crate::graphql::scalars::Position;
use crate::graphql::{loader, prefetch, store};
use crate::store::{self as db, Store};

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
    pub updated_from: Option<DateTime<Utc>>,
    /// Updated before this time.
    pub updated_to: Option<DateTime<Utc>>,
    /// Part of the first name, last name or email, ignoring case.
    pub search: Option<String>,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
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
            updated_from: self.updated_from,
            updated_to: self.updated_to,
            search: self.search,
        })
    }
}

impl From<ContactsOrderBy> for db::ContactOrder {
    fn from(order: ContactsOrderBy) -> Self {
        match order {
            ContactsOrderBy::IdAsc => Self::IdAsc,
            ContactsOrderBy::IdDesc => Self::IdDesc,
            ContactsOrderBy::PhoneAsc => Self::PhoneAsc,
            ContactsOrderBy::PhoneDesc => Self::PhoneDesc,
            ContactsOrderBy::UpdatedAtAsc => Self::UpdatedAtAsc,
            ContactsOrderBy::UpdatedAtDesc => Self::UpdatedAtDesc,
            ContactsOrderBy::BouncesDesc => Self::BouncesDesc,
        }
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

    async fn unsubscribed_at(&self) -> Option<DateTime<Utc>> {
        self.0.unsubscribed_at
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

    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// The payload's `updated_at` of the update in force.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
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
        if first_page_only(
            &after,
            last,
            &before,
            &filter,
            &order_by,
            MessagesOrderBy::OccurredAtDesc,
        ) {
            let limit = u64::try_from(first.unwrap_or(NESTED_PAGE)).unwrap_or(0);
            page(first, None, None, None)?;
            let key = Latest {
                parent: MessagesOfPhone(phone.clone()),
                limit,
            };
            let rows = loader(ctx).load_one(key).await.gql()?.unwrap_or_default();
            let store = store(ctx).clone();
            return Ok(Connection::new(
                Store::latest_messages_page(rows, limit),
                Message,
                counter(move || {
                    let (store, filter) = (
                        store.clone(),
                        db::MessageFilter {
                            phone: Some(phone.clone()),
                            ..Default::default()
                        },
                    );
                    async move { store.count_messages(&filter).await }
                }),
            ));
        }
        let mut filter = filter.unwrap_or_default().into_store(ctx)?;
        filter.phone = Some(phone);
        let first = first.or(last.is_none().then_some(NESTED_PAGE));
        super::message::list_filtered(
            ctx,
            filter,
            order_by,
            page(first, after.as_deref(), last, before.as_deref())?,
        )
        .await
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
        if first_page_only(
            &after,
            last,
            &before,
            &filter,
            &order_by,
            EventsOrderBy::PositionDesc,
        ) {
            let limit = u64::try_from(first.unwrap_or(NESTED_PAGE)).unwrap_or(0);
            page(first, None, None, None)?;
            let key = Latest {
                parent: EventsOfContact(id.clone()),
                limit,
            };
            let rows = loader(ctx).load_one(key).await.gql()?.unwrap_or_default();
            let store = store(ctx).clone();
            return Ok(Connection::new(
                Store::latest_events_page(rows, limit),
                Event,
                counter(move || {
                    let (store, filter) = (
                        store.clone(),
                        db::EventFilter {
                            contact_id: Some(id.clone()),
                            ..Default::default()
                        },
                    );
                    async move { store.count_events(&filter).await }
                }),
            ));
        }
        let mut filter = filter.unwrap_or_default().into_store(ctx)?;
        filter.contact_id = Some(id);
        let first = first.or(last.is_none().then_some(NESTED_PAGE));
        let order_by = Some(order_by.unwrap_or_else(|| vec![EventsOrderBy::PositionDesc]));
        super::event::list_filtered(
            ctx,
            filter,
            order_by,
            page(first, after.as_deref(), last, before.as_deref())?,
        )
        .await
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
        if first_page_only(
            &after,
            last,
            &before,
            &filter,
            &order_by,
            DeliveryStatusesOrderBy::ReportedAtDesc,
        ) {
            let limit = u64::try_from(first.unwrap_or(NESTED_PAGE)).unwrap_or(0);
            page(first, None, None, None)?;
            let key = Latest {
                parent: StatusesOfRecipient(phone.clone()),
                limit,
            };
            let rows = loader(ctx).load_one(key).await.gql()?.unwrap_or_default();
            let store = store(ctx).clone();
            return Ok(Connection::new(
                Store::latest_statuses_page(rows, limit),
                DeliveryStatus,
                counter(move || {
                    let (store, filter) = (
                        store.clone(),
                        db::DeliveryStatusFilter {
                            recipient: Some(phone.clone()),
                            ..Default::default()
                        },
                    );
                    async move { store.count_delivery_statuses(&filter).await }
                }),
            ));
        }
        let mut filter = filter.unwrap_or_default().into_store(ctx)?;
        filter.recipient = Some(phone);
        let first = first.or(last.is_none().then_some(NESTED_PAGE));
        super::delivery_status::list_filtered(
            ctx,
            filter,
            order_by,
            page(first, after.as_deref(), last, before.as_deref())?,
        )
        .await
    }
}
