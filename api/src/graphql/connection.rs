//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo` and `totalCount`, the last
//! counted only when a client selects it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::{Object, OutputType, SimpleObject};

use super::errors::ReadResultExt;
use super::types::{Contact, DeliveryStatus, Event, Message, QuarantinedDelivery, Rejection};
use crate::store::{Page, ReadError};

type CountFuture = Pin<Box<dyn Future<Output = Result<u64, ReadError>> + Send>>;

/// Counts the rows matching the connection's filter, on demand.
pub type Counter = Arc<dyn Fn() -> CountFuture + Send + Sync>;

pub struct Connection<N> {
    edges: Vec<Edge<N>>,
    page_info: PageInfo,
    counter: Counter,
}

#[derive(SimpleObject, Debug)]
pub struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

pub struct Edge<N> {
    cursor: String,
    node: N,
}

impl<N> Connection<N> {
    /// Wraps a page of rows, converting each into its GraphQL node.
    pub fn new<R>(page: Page<R>, node: impl Fn(R) -> N, counter: Counter) -> Self {
        let edges: Vec<Edge<N>> = page
            .rows
            .into_iter()
            .map(|(cursor, row)| Edge {
                cursor: cursor.encode(),
                node: node(row),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.cursor.clone()),
        };
        Self {
            edges,
            page_info,
            counter,
        }
    }
}

/// A counter for a filter: `count` is the store's count query for it.
pub fn counter<F, Fut>(count: F) -> Counter
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u64, ReadError>> + Send + 'static,
{
    Arc::new(move || Box::pin(count()))
}

#[Object(
    concrete(name = "ContactConnection", params(Contact)),
    concrete(name = "MessageConnection", params(Message)),
    concrete(name = "DeliveryStatusConnection", params(DeliveryStatus)),
    concrete(name = "RejectionConnection", params(Rejection)),
    concrete(name = "EventConnection", params(Event)),
    concrete(name = "QuarantineConnection", params(QuarantinedDelivery))
)]
impl<N: OutputType + Clone> Connection<N>
where
    Edge<N>: OutputType,
{
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }

    async fn nodes(&self) -> Vec<N> {
        self.edges.iter().map(|edge| edge.node.clone()).collect()
    }

    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many rows match the filter, across all pages.
    async fn total_count(&self) -> async_graphql::Result<i32> {
        let count = (self.counter)().await.gql()?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
}

#[Object(
    concrete(name = "ContactEdge", params(Contact)),
    concrete(name = "MessageEdge", params(Message)),
    concrete(name = "DeliveryStatusEdge", params(DeliveryStatus)),
    concrete(name = "RejectionEdge", params(Rejection)),
    concrete(name = "EventEdge", params(Event)),
    concrete(name = "QuarantineEdge", params(QuarantinedDelivery))
)]
impl<N: OutputType + Clone> Edge<N> {
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    async fn node(&self) -> &N {
        &self.node
    }
}
