//! The GraphQL output types, one module per family, each converted from its storage model.

pub mod contact;
pub mod delivery_status;
pub mod event;
pub mod message;
pub mod quarantine;
pub mod rejection;
pub mod stats;

pub use contact::{Contact, ContactFilter, ContactsOrderBy};
pub use delivery_status::{
    DeliveryStatus, DeliveryStatusCode, DeliveryStatusFilter, DeliveryStatusesOrderBy,
};
pub use event::{Event, EventFilter, EventKind, EventsOrderBy};
pub use message::{Message, MessageFilter, MessagesOrderBy};
pub use quarantine::{QuarantineFilter, QuarantineOrderBy, QuarantinedDelivery};
pub use rejection::{Rejection, RejectionFilter, RejectionsOrderBy};
pub use stats::{Stats, StatsBucket};

use async_graphql::Context;

use super::errors::coded;
use crate::error::ErrorCode;
use crate::store::PageRequest;

/// Relay's page arguments, checked.
pub fn page(
    first: Option<i32>,
    after: Option<&str>,
    last: Option<i32>,
    before: Option<&str>,
) -> async_graphql::Result<PageRequest> {
    PageRequest::new(first, after, last, before)
        .map_err(|err| coded(ErrorCode::BadUserInput, err.to_string()))
}

/// What a page of a top-level list may cost: each of its rows costs what its selection does.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    rows(first, last, crate::store::page::DEFAULT_PAGE_SIZE) * child_complexity
}

/// What a page of a nested list may cost, per parent.
pub fn nested_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    rows(first, last, contact::NESTED_PAGE as u64) * child_complexity
}

fn rows(first: Option<i32>, last: Option<i32>, default: u64) -> usize {
    let asked = first
        .or(last)
        .map_or(default, |n| u64::try_from(n).unwrap_or(0));
    usize::try_from(asked.max(1)).unwrap_or(usize::MAX)
}

/// The one ordering of an `orderBy` list (a single value also reads as a list of one).
pub fn single_order<T: Copy>(order_by: Option<Vec<T>>, default: T) -> async_graphql::Result<T> {
    match order_by.as_deref() {
        None | Some([]) => Ok(default),
        Some([order]) => Ok(*order),
        Some(_) => Err(coded(
            ErrorCode::BadUserInput,
            "orderBy takes one ordering; every ordering already ends with a unique key",
        )),
    }
}

/// A phone number in any format, as E.164.
pub fn normalized_phone(ctx: &Context<'_>, raw: &str) -> async_graphql::Result<String> {
    super::state(ctx)
        .normalizer
        .phones
        .normalize(raw)
        .map_err(|err| coded(ErrorCode::BadUserInput, err.to_string()))
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;

    use super::*;
    use crate::store::{self as db, page::order_name};

    /// A cursor names its ordering as the store does, and a client chose it by its GraphQL
    /// name: the two must be one, or an error would quote a name the client never sent.
    fn store_names_are_graphql_names<G, S>()
    where
        G: EnumType,
        S: From<G> + std::fmt::Debug,
    {
        for item in G::items() {
            assert_eq!(order_name(S::from(item.value)), item.name);
        }
    }

    #[test]
    fn every_ordering_is_named_in_cursors_as_graphql_names_it() {
        store_names_are_graphql_names::<ContactsOrderBy, db::ContactOrder>();
        store_names_are_graphql_names::<DeliveryStatusesOrderBy, db::DeliveryStatusOrder>();
        store_names_are_graphql_names::<EventsOrderBy, db::EventOrder>();
        store_names_are_graphql_names::<MessagesOrderBy, db::MessageOrder>();
        store_names_are_graphql_names::<QuarantineOrderBy, db::QuarantineOrder>();
        store_names_are_graphql_names::<RejectionsOrderBy, db::RejectionOrder>();
    }
}
