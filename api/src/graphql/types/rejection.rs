//! `Rejection`: a message Mobiniti reported as failed.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::rejections;

use super::single_order;
use crate::graphql::connection::{Connection, counter};
use crate::graphql::errors::ReadResultExt;
use crate::graphql::scalars::{DateTime, Position};
use crate::graphql::store;
use crate::store::{self as db};

#[derive(Debug, Clone)]
pub struct Rejection(pub rejections::Model);

#[derive(InputObject, Debug, Default)]
pub struct RejectionFilter {
    pub code: Option<String>,
    pub received_from: Option<DateTime>,
    pub received_to: Option<DateTime>,
}

/// An ordering of rejections. `orderBy` takes one: a value, or a list holding one (as PostGraphile
/// clients send it). Each ordering ends on a unique key, so a second one is an error.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "db::RejectionOrder")]
pub enum RejectionsOrderBy {
    ReceivedAtAsc,
    ReceivedAtDesc,
}

pub async fn list(
    ctx: &Context<'_>,
    filter: Option<RejectionFilter>,
    order_by: Option<Vec<RejectionsOrderBy>>,
    page_request: db::PageRequest,
) -> async_graphql::Result<Connection<Rejection>> {
    let filter = filter.unwrap_or_default();
    let filter = db::RejectionFilter {
        code: filter.code,
        received_from: filter.received_from.map(|t| t.0),
        received_to: filter.received_to.map(|t| t.0),
    };
    let order = single_order(order_by, RejectionsOrderBy::ReceivedAtDesc)?;
    let store = store(ctx).clone();
    let page = store
        .rejections(&filter, order.into(), &page_request)
        .await
        .gql()?;
    Ok(Connection::new(
        page,
        Rejection,
        counter(move || {
            let (store, filter) = (store.clone(), filter.clone());
            async move { store.count_rejections(&filter).await }
        }),
    ))
}

#[Object]
impl Rejection {
    /// The id of the event that carried the rejection.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn message(&self) -> &str {
        &self.0.message
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn received_at(&self) -> DateTime {
        DateTime(self.0.received_at)
    }

    async fn event_position(&self) -> Position {
        Position(self.0.event_position)
    }
}
