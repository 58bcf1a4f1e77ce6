//! `Event`: one delivery in the log, as received.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::events;

use super::{Contact, normalized_phone, single_order};
use crate::domain::kind::WebhookKind;
use crate::graphql::connection::{Connection, counter};
use crate::graphql::errors::ReadResultExt;
use crate::graphql::loaders::ContactId;
use crate::graphql::scalars::{DateTime, Position};
use crate::graphql::{loader, prefetch, store};
use crate::store::{self as db};

mod payload;

use payload::Payload;

#[derive(Debug, Clone)]
pub struct Event(pub events::Model);

/// The six Mobiniti webhooks.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "WebhookKind")]
pub enum EventKind {
    InboundMessage,
    Unsubscribe,
    Bounce,
    DeliveryReport,
    ContactStatus,
    Rejection,
}

/// The domain's kinds for a list of GraphQL ones.
pub fn domain_kinds(kinds: Option<Vec<EventKind>>) -> Option<Vec<WebhookKind>> {
    kinds.map(|kinds| kinds.into_iter().map(WebhookKind::from).collect())
}

/// Filters on the log; every field given must hold.
#[derive(InputObject, Debug, Default)]
pub struct EventFilter {
    /// Any of these kinds.
    pub kinds: Option<Vec<EventKind>>,
    pub contact_id: Option<ID>,
    /// The contact's phone in any format.
    pub phone: Option<String>,
    pub received_from: Option<DateTime>,
    pub received_to: Option<DateTime>,
    /// Positions after this one. On the `events` subscription it is also where the stream
    /// starts, as its `afterPosition` argument is.
    pub after_position: Option<Position>,
    /// Positions before this one.
    pub before_position: Option<Position>,
}

/// An ordering of events. `orderBy` takes one: a value, or a list holding one (as PostGraphile
/// clients send it). Each ordering ends on a unique key, so a second one is an error.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "db::EventOrder")]
pub enum EventsOrderBy {
    PositionAsc,
    PositionDesc,
}

impl EventFilter {
    pub fn into_store(self, ctx: &Context<'_>) -> async_graphql::Result<db::EventFilter> {
        Ok(db::EventFilter {
            kinds: domain_kinds(self.kinds),
            contact_id: self.contact_id.map(|id| id.0),
            phone: self.phone.map(|p| normalized_phone(ctx, &p)).transpose()?,
            received_from: self.received_from.map(|t| t.0),
            received_to: self.received_to.map(|t| t.0),
            after_position: self.after_position.map(|p| p.0),
            before_position: self.before_position.map(|p| p.0),
        })
    }
}

/// A page of events matching a store filter.
pub async fn list_filtered(
    ctx: &Context<'_>,
    filter: db::EventFilter,
    order_by: Option<Vec<EventsOrderBy>>,
    page_request: db::PageRequest,
) -> async_graphql::Result<Connection<Event>> {
    let order = single_order(order_by, EventsOrderBy::PositionAsc)?;
    let store = store(ctx).clone();
    let page = store
        .events(&filter, order.into(), &page_request)
        .await
        .gql()?;
    let rows: Vec<&events::Model> = page.rows.iter().map(|(_, row)| row).collect();
    prefetch::events(loader(ctx), ctx.field(), &rows).await?;
    Ok(Connection::new(
        page,
        Event,
        counter(move || {
            let (store, filter) = (store.clone(), filter.clone());
            async move { store.count_events(&filter).await }
        }),
    ))
}

#[Object]
impl Event {
    /// The `event_id` a webhook was answered with.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The place in the log: from 1, without gaps, in commit order.
    async fn position(&self) -> Position {
        Position(self.0.position)
    }

    async fn kind(&self) -> Option<EventKind> {
        WebhookKind::from_name(&self.0.kind).map(EventKind::from)
    }

    async fn received_at(&self) -> DateTime {
        DateTime(self.0.received_at)
    }

    /// The payload's own time: when an inbound text was received, when a contact changed.
    async fn occurred_at(&self) -> Option<DateTime> {
        self.0.occurred_at.map(DateTime)
    }

    /// The JSON as received, unknown fields included, its keys in the order they came.
    async fn payload(&self) -> Payload<'_> {
        Payload(&self.0)
    }

    /// How many times this delivery arrived (redeliveries are counted, not stored again).
    async fn deliveries(&self) -> i32 {
        self.0.deliveries
    }

    async fn last_seen_at(&self) -> DateTime {
        DateTime(self.0.last_seen_at)
    }

    /// The contact the event is about, where the payload names one.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        let Some(id) = &self.0.contact_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(ContactId(id.clone()))
            .await
            .gql()?
            .map(Contact))
    }
}
