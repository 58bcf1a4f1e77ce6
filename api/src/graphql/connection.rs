//! Relay connections: `edges { cursor node }`, `nodes`, `pageInfo` and `totalCount`. What a
//! client does not select costs nothing: the count runs only when `totalCount` is asked for,
//! and a cursor is encoded only when `cursor`, `startCursor` or `endCursor` is.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::{Object, OutputType};

use super::errors::ReadResultExt;
use super::types::{Contact, DeliveryStatus, Event, Message, QuarantinedDelivery, Rejection};
use crate::store::{Cursor, Page, ReadError};

type CountFuture = Pin<Box<dyn Future<Output = Result<u64, ReadError>> + Send>>;

/// Counts the rows matching the connection's filter, on demand.
pub type Counter = Arc<dyn Fn() -> CountFuture + Send + Sync>;

pub struct Connection<N> {
    edges: Vec<Edge<N>>,
    has_next_page: bool,
    has_previous_page: bool,
    counter: Counter,
}

/// Where a page stands among the others; borrowed from its connection.
pub struct PageInfo<'a> {
    has_next_page: bool,
    has_previous_page: bool,
    start: Option<&'a Cursor>,
    end: Option<&'a Cursor>,
}

pub struct Edge<N> {
    cursor: Cursor,
    node: N,
}

impl<N> Connection<N> {
    /// Wraps a page of rows, converting each into its GraphQL node.
    pub fn new<R>(page: Page<R>, node: impl Fn(R) -> N, counter: Counter) -> Self {
        let edges: Vec<Edge<N>> = page
            .rows
            .into_iter()
            .map(|(cursor, row)| Edge {
                cursor,
                node: node(row),
            })
            .collect();
        Self {
            edges,
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
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

    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    async fn page_info(&self) -> PageInfo<'_> {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start: self.edges.first().map(|edge| &edge.cursor),
            end: self.edges.last().map(|edge| &edge.cursor),
        }
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
    async fn cursor(&self) -> String {
        self.cursor.encode()
    }

    async fn node(&self) -> &N {
        &self.node
    }
}

#[Object]
impl PageInfo<'_> {
    async fn has_next_page(&self) -> bool {
        self.has_next_page
    }

    async fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }

    async fn start_cursor(&self) -> Option<String> {
        self.start.map(Cursor::encode)
    }

    async fn end_cursor(&self) -> Option<String> {
        self.end.map(Cursor::encode)
    }
}
