//! `DeliveryStatus`: the latest status of an outbound message for one recipient.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{delivery_statuses, messages};

use super::{Message, normalized_phone, single_order};
use crate::graphql::connection::{Connection, counter};
use crate::graphql::errors::ReadResultExt;
use crate::graphql::loaders::MessageId;
use crate::graphql::scalars::{DateTime, Position};
use crate::graphql::{loader, prefetch, store};
use crate::store::{self as db};

#[derive(Debug, Clone)]
pub struct DeliveryStatus(pub delivery_statuses::Model);

/// A status code seen in delivery reports, for a chart's legend.
#[derive(SimpleObject, Debug)]
pub struct DeliveryStatusCode {
    pub code: String,
    /// The status text of the latest report with this code.
    pub status: String,
    pub success: bool,
    pub bounce: bool,
    /// How many message-recipient pairs have this code as their latest status.
    pub count: i32,
}

impl From<db::DeliveryStatusCode> for DeliveryStatusCode {
    fn from(code: db::DeliveryStatusCode) -> Self {
        Self {
            code: code.code,
            status: code.status,
            success: code.success,
            bounce: code.bounce,
            count: i32::try_from(code.count).unwrap_or(i32::MAX),
        }
    }
}

/// Filters on delivery statuses; every field given must hold.
#[derive(InputObject, Debug, Default)]
pub struct DeliveryStatusFilter {
    pub code: Option<String>,
    pub success: Option<bool>,
    pub bounce: Option<bool>,
    /// The recipient's phone in any format.
    pub recipient: Option<String>,
    pub message_id: Option<ID>,
    pub reported_from: Option<DateTime>,
    pub reported_to: Option<DateTime>,
}

/// An ordering of delivery statuses. `orderBy` takes one: a value, or a list holding one (as
/// PostGraphile clients send it). Each ordering ends on a unique key, so a second one is an error.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "db::DeliveryStatusOrder")]
pub enum DeliveryStatusesOrderBy {
    ReportedAtAsc,
    ReportedAtDesc,
    IdAsc,
    IdDesc,
}

impl DeliveryStatusFilter {
    pub fn into_store(self, ctx: &Context<'_>) -> async_graphql::Result<db::DeliveryStatusFilter> {
        Ok(db::DeliveryStatusFilter {
            code: self.code,
            success: self.success,
            bounce: self.bounce,
            recipient: self
                .recipient
                .map(|p| normalized_phone(ctx, &p))
                .transpose()?,
            message_id: self.message_id.map(|id| id.0),
            reported_from: self.reported_from.map(|t| t.0),
            reported_to: self.reported_to.map(|t| t.0),
        })
    }
}

/// A page of delivery statuses matching a store filter.
pub async fn list_filtered(
    ctx: &Context<'_>,
    filter: db::DeliveryStatusFilter,
    order_by: Option<Vec<DeliveryStatusesOrderBy>>,
    page_request: db::PageRequest,
) -> async_graphql::Result<Connection<DeliveryStatus>> {
    let order = single_order(order_by, DeliveryStatusesOrderBy::ReportedAtDesc)?;
    let store = store(ctx).clone();
    let loader = loader(ctx);
    // The messages a page selects come in the page's own statement, joined by `message_id`.
    let messages_read = prefetch::selects(ctx.field(), "message");
    let page = if messages_read {
        let page = store
            .delivery_statuses_with_messages(&filter, order.into(), &page_request)
            .await
            .gql()?;
        prefetch::feed_joined(loader, page, |m: &messages::Model| MessageId(m.id.clone())).await
    } else {
        store
            .delivery_statuses(&filter, order.into(), &page_request)
            .await
            .gql()?
    };
    let rows: Vec<&delivery_statuses::Model> = page.rows.iter().map(|(_, row)| row).collect();
    prefetch::delivery_statuses(loader, ctx.field(), &rows, messages_read).await?;
    Ok(Connection::new(
        page,
        DeliveryStatus,
        counter(move || {
            let (store, filter) = (store.clone(), filter.clone());
            async move { store.count_delivery_statuses(&filter).await }
        }),
    ))
}

#[Object]
impl DeliveryStatus {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// The message this status is of; none for a recipient no message of its report named.
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        let Some(id) = &self.0.message_id else {
            return Ok(None);
        };
        Ok(loader(ctx)
            .load_one(MessageId(id.clone()))
            .await
            .gql()?
            .map(Message))
    }

    /// E.164.
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }

    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn status(&self) -> &str {
        &self.0.status
    }

    async fn success(&self) -> bool {
        self.0.success
    }

    async fn bounce(&self) -> bool {
        self.0.bounce
    }

    /// When the report carrying this status was received.
    async fn reported_at(&self) -> DateTime {
        DateTime(self.0.reported_at)
    }

    async fn event_position(&self) -> Position {
        Position(self.0.event_position)
    }
}
