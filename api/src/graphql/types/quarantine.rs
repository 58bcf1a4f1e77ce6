//! `QuarantinedDelivery`: a delivery that failed validation, kept whole (admin only).

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::quarantine;

use super::event::domain_kinds;
use super::{EventKind, single_order};
use crate::domain::kind::WebhookKind;
use crate::graphql::connection::{Connection, counter};
use crate::graphql::errors::ReadResultExt;
use crate::graphql::scalars::DateTime;
use crate::graphql::store;
use crate::store::{self as db};

#[derive(Debug, Clone)]
pub struct QuarantinedDelivery(pub quarantine::Model);

#[derive(InputObject, Debug, Default)]
pub struct QuarantineFilter {
    pub kinds: Option<Vec<EventKind>>,
    pub received_from: Option<DateTime>,
    pub received_to: Option<DateTime>,
}

/// An ordering of quarantined deliveries. `orderBy` takes one: a value, or a list holding one (as
/// PostGraphile clients send it). Each ordering ends on a unique key, so a second one is an error.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "db::QuarantineOrder")]
pub enum QuarantineOrderBy {
    ReceivedAtAsc,
    ReceivedAtDesc,
}

pub async fn list(
    ctx: &Context<'_>,
    filter: Option<QuarantineFilter>,
    order_by: Option<Vec<QuarantineOrderBy>>,
    page_request: db::PageRequest,
) -> async_graphql::Result<Connection<QuarantinedDelivery>> {
    let filter = filter.unwrap_or_default();
    let filter = db::QuarantineFilter {
        kinds: domain_kinds(filter.kinds),
        received_from: filter.received_from.map(|t| t.0),
        received_to: filter.received_to.map(|t| t.0),
    };
    let order = single_order(order_by, QuarantineOrderBy::ReceivedAtDesc)?;
    let store = store(ctx).clone();
    let page = store
        .quarantined(&filter, order.into(), &page_request)
        .await
        .gql()?;
    Ok(Connection::new(
        page,
        QuarantinedDelivery,
        counter(move || {
            let (store, filter) = (store.clone(), filter.clone());
            async move { store.count_quarantined(&filter).await }
        }),
    ))
}

#[Object]
impl QuarantinedDelivery {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn kind(&self) -> Option<EventKind> {
        WebhookKind::from_name(&self.0.kind).map(EventKind::from)
    }

    async fn received_at(&self) -> DateTime {
        DateTime(self.0.received_at)
    }

    async fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    /// The body as received, decoded as UTF-8 (invalid bytes replaced).
    async fn body(&self) -> String {
        String::from_utf8_lossy(&self.0.raw_body).into_owned()
    }

    /// The error code the sender was answered with: `invalid_json` or `invalid_payload`.
    async fn error_code(&self) -> &str {
        &self.0.error_code
    }

    async fn error_message(&self) -> &str {
        &self.0.error_message
    }
}
