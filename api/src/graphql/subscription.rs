//! The subscriptions: the log, and the objects its events change, from a position then live.
//!
//! Each stream follows the log by position ([`crate::stream::follow`]): without `afterPosition`
//! from now, with it every matching event after that position from the store, then live, in
//! strictly increasing position order with no gap and no duplicate. The typed streams emit, per
//! event, the objects whose latest change that event is, as the store holds them: an object
//! changed again by a later event is emitted at that later event instead, so every update is
//! the object's exact state as of its position, and a subscriber always ends up with the
//! latest state.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_graphql::parser::types::{ExecutableDocument, Selection};
use async_graphql::{Context, Object, Subscription, Value, Variables};
use entity::{contacts, delivery_statuses, messages};
use futures_util::{Stream, StreamExt};

use super::errors::ReadResultExt;
use super::scalars::Position;
use super::types::{
    Contact, ContactFilter, DeliveryStatus, DeliveryStatusFilter, Event, EventFilter, EventKind,
    Message, MessageFilter,
};
use super::{loader, loaders, operation, state};
use crate::domain::kind::WebhookKind;
use crate::store::EventColumns;
use crate::stream::{self, Slice};

#[derive(Debug)]
pub struct Subscription;

/// Request data: start after this position, whatever `afterPosition` says. It lets one
/// subscriber of a shared execution go on alone from the last result it received.
#[derive(Debug, Clone, Copy)]
pub struct ResumeAfter(pub i64);

/// Request data: holds the position of the item a subscription resolved last, so that whoever
/// reads the results knows where each one stands in the log.
#[derive(Debug, Clone, Default)]
pub struct PositionTap(Arc<AtomicI64>);

impl PositionTap {
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self, position: i64) {
        self.0.store(position, Ordering::Release);
    }
}

/// Where a stream starts: [`ResumeAfter`], else `after` (its `afterPosition`), else now.
fn start(ctx: &Context<'_>, after: Option<i64>) -> Option<i64> {
    ctx.data_opt::<ResumeAfter>()
        .map(|resume| resume.0)
        .or(after)
}

/// Whether the operation's `events` subscription starts from its filter's `afterPosition`
/// (written in the query or given in `variables`). Such a subscription replays from the store,
/// so it cannot join the shared execution of identical ones from now, which only the
/// `afterPosition` argument keeps it out of otherwise.
pub(crate) fn replays_from_filter(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> bool {
    let Some(operation) = operation(document, operation_name) else {
        return false;
    };
    operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .any(|selection| {
            let Selection::Field(field) = &selection.node else {
                return false;
            };
            if field.node.name.node != "events" {
                return false;
            }
            let Some(filter) = field.node.get_argument("filter") else {
                return false;
            };
            let filter = filter.node.clone().into_const_with(|name| {
                Ok::<_, std::convert::Infallible>(variables.get(&name).cloned().unwrap_or_default())
            });
            matches!(
                filter,
                Ok(Value::Object(filter))
                    if filter.get("afterPosition").is_some_and(|after| *after != Value::Null)
            )
        })
}

/// Records `position` on the request's [`PositionTap`], if it has one.
fn tap(ctx: &Context<'_>) -> impl Fn(i64) + Send + 'static {
    let tap = ctx.data_opt::<PositionTap>().cloned();
    move |position| {
        if let Some(tap) = &tap {
            tap.set(position);
        }
    }
}

/// How one event changed a list of objects.
macro_rules! change_type {
    ($name:ident, $node:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name {
            position: i64,
            kind: EventKind,
            nodes: Vec<$node>,
        }

        #[Object]
        impl $name {
            /// The position of the event that made this change.
            async fn position(&self) -> Position {
                Position(self.position)
            }

            /// The kind of that event.
            async fn kind(&self) -> EventKind {
                self.kind
            }

            /// The objects as that event left them.
            async fn nodes(&self) -> &[$node] {
                &self.nodes
            }
        }
    };
}

change_type!(
    MessagesChange,
    Message,
    "Messages an event recorded (an inbound message, the outbound messages of a delivery report)."
);
change_type!(
    DeliveryStatusesChange,
    DeliveryStatus,
    "Delivery statuses a delivery report set."
);
change_type!(ContactsChange, Contact, "The contact an event updated.");

#[Subscription]
impl Subscription {
    /// Events of the log, each once, in position order.
    async fn events<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        #[graphql(
            desc = "Which events; its `afterPosition` starts the stream as the argument does."
        )]
        filter: Option<EventFilter>,
        #[graphql(
            desc = "Replay every matching event after this position first; without it (or the \
                    filter's), start from now. Given both, the stream starts after the later."
        )]
        after_position: Option<Position>,
    ) -> async_graphql::Result<impl Stream<Item = Event> + 'ctx> {
        let filter = filter.unwrap_or_default().into_store(ctx)?;
        let after = after_position.map(|p| p.0).max(filter.after_position);
        let hub = state(ctx).hub.clone();
        let loader = loader(ctx);
        let tap = tap(ctx);
        let columns = if ctx.look_ahead().field("payload").exists() {
            EventColumns::WithPayload
        } else {
            EventColumns::WithoutPayload
        };
        Ok(stream::follow(hub, start(ctx, after), columns)
            .flat_map(move |slice| {
                let events: Vec<_> = slice
                    .events()
                    .filter(|event| filter.matches(event))
                    .cloned()
                    .map(Event)
                    .collect();
                futures_util::stream::iter(events)
            })
            .inspect(move |event| {
                tap(event.0.position);
                loaders::forget(loader);
            }))
    }

    /// Messages as events record them.
    async fn messages<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        filter: Option<MessageFilter>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<MessagesChange>> + 'ctx>
    {
        let filter = filter.unwrap_or_default().into_store(ctx)?;
        let changes = changes(ctx, after_position, move |slice, store| {
            let filter = filter.clone();
            async move {
                let rows = slice.messages(&store).await?;
                Ok(group(
                    &slice,
                    rows,
                    |m: &messages::Model| m.event_position,
                    |m| filter.matches(m).then(|| Message(m.clone())),
                ))
            }
        });
        Ok(changes.map(|change| {
            change.map(|(position, kind, nodes)| MessagesChange {
                position,
                kind,
                nodes,
            })
        }))
    }

    /// Delivery statuses as delivery reports set them.
    async fn delivery_statuses<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        filter: Option<DeliveryStatusFilter>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<DeliveryStatusesChange>> + 'ctx,
    > {
        let filter = filter.unwrap_or_default().into_store(ctx)?;
        let changes = changes(ctx, after_position, move |slice, store| {
            let filter = filter.clone();
            async move {
                let rows = slice.delivery_statuses(&store).await?;
                Ok(group(
                    &slice,
                    rows,
                    |s: &delivery_statuses::Model| s.event_position,
                    |s| filter.matches(s).then(|| DeliveryStatus(s.clone())),
                ))
            }
        });
        Ok(changes.map(|change| {
            change.map(|(position, kind, nodes)| DeliveryStatusesChange {
                position,
                kind,
                nodes,
            })
        }))
    }

    /// Contacts as events update them.
    async fn contacts<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        filter: Option<ContactFilter>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ContactsChange>> + 'ctx>
    {
        let filter = filter.unwrap_or_default().into_store(ctx)?;
        let changes = changes(ctx, after_position, move |slice, store| {
            let filter = filter.clone();
            async move {
                let rows = slice.contacts(&store).await?;
                Ok(group(
                    &slice,
                    rows,
                    |c: &contacts::Model| c.last_event_position,
                    |c| filter.matches(c).then(|| Contact(c.clone())),
                ))
            }
        });
        Ok(changes.map(|change| {
            change.map(|(position, kind, nodes)| ContactsChange {
                position,
                kind,
                nodes,
            })
        }))
    }
}

type Change<T> = (i64, EventKind, Vec<T>);

/// The changes `changes_of` finds in each slice of the log after `after_position`, one item
/// per event that changed something matching. A failed read ends the stream with an error.
fn changes<'ctx, T, F, Fut>(
    ctx: &Context<'ctx>,
    after_position: Option<Position>,
    changes_of: F,
) -> impl Stream<Item = async_graphql::Result<Change<T>>> + 'ctx
where
    T: Send + 'ctx,
    F: Fn(Slice, crate::store::Store) -> Fut + Send + 'ctx,
    Fut: Future<Output = Result<Vec<Change<T>>, crate::store::ReadError>> + Send + 'ctx,
{
    let hub = state(ctx).hub.clone();
    let store = hub.store().clone();
    let loader = loader(ctx);
    let tap = tap(ctx);
    // The typed streams read the projections; of the log they need only positions and kinds.
    stream::follow(
        hub,
        start(ctx, after_position.map(|p| p.0)),
        EventColumns::WithoutPayload,
    )
    .then(move |slice| changes_of(slice, store.clone()))
    .flat_map(|found| {
        let items: Vec<_> = match found.gql() {
            Ok(changes) => changes.into_iter().map(Ok).collect(),
            Err(err) => vec![Err(err)],
        };
        futures_util::stream::iter(items)
    })
    .inspect(move |change| {
        if let Ok((position, ..)) = change {
            tap(*position);
        }
        loaders::forget(loader);
    })
}

/// Groups `rows` (ordered by position) by the event that last changed them, keeping those
/// `node` accepts.
fn group<R, T>(
    slice: &Slice,
    rows: Vec<&R>,
    position_of: impl Fn(&R) -> i64,
    node: impl Fn(&R) -> Option<T>,
) -> Vec<Change<T>> {
    let mut changes: Vec<Change<T>> = Vec::new();
    for row in rows {
        let position = position_of(row);
        let Some(node) = node(row) else { continue };
        match changes.last_mut() {
            Some((last, _, nodes)) if *last == position => nodes.push(node),
            _ => {
                let kind = slice
                    .event(position)
                    .and_then(|event| WebhookKind::from_name(&event.kind))
                    .map_or(EventKind::InboundMessage, EventKind::from);
                changes.push((position, kind, vec![node]));
            }
        }
    }
    changes
}
