//! The root `Query` type.

use super::scalars::{DateTime, Position};
use async_graphql::{Context, ID, Object, SimpleObject};

use super::auth::AdminOnly;
use super::connection::Connection;
use super::errors::{ReadResultExt, coded};
use super::loaders::{ContactId, MessageId};
use super::types::*;
use super::{loader, prefetch, store};
use crate::error::ErrorCode;

#[derive(Debug)]
pub struct Query;

/// Counts a dashboard shows, kept up to date as events arrive.
#[derive(SimpleObject, Debug)]
pub struct Totals {
    pub contacts: i32,
    pub subscribed: i32,
    pub unsubscribed: i32,
    /// Contacts with at least one bounce.
    pub bounced: i32,
}

fn int(value: i64) -> i32 {
    i32::try_from(value.max(0)).unwrap_or(i32::MAX)
}

#[Object]
impl Query {
    /// Contacts, most recently updated first by default.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ContactFilter>,
        order_by: Option<Vec<ContactsOrderBy>>,
    ) -> async_graphql::Result<Connection<Contact>> {
        let page = page(first, after.as_deref(), last, before.as_deref())?;
        contact::list(ctx, filter, order_by, page).await
    }

    /// One contact, by Mobiniti's id or by phone (any format).
    async fn contact(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        phone: Option<String>,
    ) -> async_graphql::Result<Option<Contact>> {
        let loader = loader(ctx);
        let found = match (id, phone) {
            (Some(id), None) => {
                let found = prefetch::fetch(loader, [ContactId(id.0)]).await?;
                let Some(row) = found.into_values().next() else {
                    return Ok(None);
                };
                prefetch::contact(loader, ctx.field(), &row).await?;
                Some(row)
            }
            (None, Some(phone)) => {
                let phone = normalized_phone(ctx, &phone)?;
                prefetch::contact_by_phone(loader, ctx.field(), phone).await?
            }
            _ => {
                return Err(coded(
                    ErrorCode::BadUserInput,
                    "give exactly one of `id` and `phone`",
                ));
            }
        };
        Ok(found.map(Contact))
    }

    /// Messages, newest first by default.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
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
        let page = page(first, after.as_deref(), last, before.as_deref())?;
        let filter = filter.unwrap_or_default().into_store(ctx)?;
        message::list_filtered(ctx, filter, order_by, page).await
    }

    async fn message(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Message>> {
        let loader = loader(ctx);
        let found = prefetch::fetch(loader, [MessageId(id.0)]).await?;
        let Some(row) = found.into_values().next() else {
            return Ok(None);
        };
        prefetch::message(loader, ctx.field(), &row).await?;
        Ok(Some(Message(row)))
    }

    /// The latest status of each outbound message for each recipient, newest first by default.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
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
        let page = page(first, after.as_deref(), last, before.as_deref())?;
        let filter = filter.unwrap_or_default().into_store(ctx)?;
        delivery_status::list_filtered(ctx, filter, order_by, page).await
    }

    /// Every delivery status code seen, with its latest text and flags and how many have it.
    async fn delivery_status_codes(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DeliveryStatusCode>> {
        let codes = store(ctx).delivery_status_codes().await.gql()?;
        Ok(codes.into_iter().map(DeliveryStatusCode::from).collect())
    }

    /// Rejected messages, newest first by default.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn rejections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<RejectionFilter>,
        order_by: Option<Vec<RejectionsOrderBy>>,
    ) -> async_graphql::Result<Connection<Rejection>> {
        let page = page(first, after.as_deref(), last, before.as_deref())?;
        rejection::list(ctx, filter, order_by, page).await
    }

    /// The event log, in position order by default.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<EventFilter>,
        #[graphql(
            desc = "Only events after this position, as on the `events` subscription; the \
                    filter's `afterPosition` too, when both are given."
        )]
        after_position: Option<Position>,
        order_by: Option<Vec<EventsOrderBy>>,
    ) -> async_graphql::Result<Connection<Event>> {
        let page = page(first, after.as_deref(), last, before.as_deref())?;
        let mut filter = filter.unwrap_or_default().into_store(ctx)?;
        filter.after_position = filter.after_position.max(after_position.map(|p| p.0));
        event::list_filtered(ctx, filter, order_by, page).await
    }

    /// One event, by the `event_id` its webhook was answered with.
    async fn event(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Event>> {
        let Ok(id) = uuid::Uuid::parse_str(&id.0) else {
            return Err(coded(ErrorCode::BadUserInput, "an event id is a UUID"));
        };
        let found = store(ctx).events_by_ids(&[id]).await.gql()?;
        Ok(found.into_iter().next().map(Event))
    }

    /// Deliveries that failed validation, newest first by default. Needs an admin key; with
    /// another, it is null (with a `FORBIDDEN` error) and the rest of the query is answered.
    #[graphql(
        guard = "AdminOnly",
        complexity = "page_cost(first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn quarantine(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<QuarantineFilter>,
        order_by: Option<Vec<QuarantineOrderBy>>,
    ) -> async_graphql::Result<Option<Connection<QuarantinedDelivery>>> {
        let page = page(first, after.as_deref(), last, before.as_deref())?;
        quarantine::list(ctx, filter, order_by, page)
            .await
            .map(Some)
    }

    /// Counts per hour or day from `from` to `to`, with buckets laid out in `timezone` (an IANA
    /// name such as `America/New_York`): a day runs from local midnight to local midnight.
    async fn stats(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
        #[graphql(default_with = "StatsBucket::Day")] bucket: StatsBucket,
        #[graphql(default = "UTC")] timezone: String,
    ) -> async_graphql::Result<Vec<Stats>> {
        let Ok(zone) = timezone.parse::<chrono_tz::Tz>() else {
            return Err(coded(
                ErrorCode::BadUserInput,
                format!(
                    "`{timezone}` is not a time zone; use an IANA name such as America/New_York"
                ),
            ));
        };
        let rows = store(ctx)
            .stats(from.0, to.0, bucket.into(), zone)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Stats::from).collect())
    }

    /// Contact totals, read from counts the projections keep.
    async fn totals(&self, ctx: &Context<'_>) -> async_graphql::Result<Totals> {
        let totals = store(ctx).totals().await.gql()?;
        Ok(Totals {
            contacts: int(totals.contacts),
            subscribed: int(totals.subscribed),
            unsubscribed: int(totals.contacts - totals.subscribed),
            bounced: int(totals.bounced),
        })
    }
}
