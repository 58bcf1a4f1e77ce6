//! `Message`: an inbound text or an outbound message named in a delivery report.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::{contacts, messages};

use super::{Contact, DeliveryStatus, normalized_phone, single_order};
use crate::domain::category::Category;
use crate::graphql::connection::{Connection, counter};
use crate::graphql::errors::ReadResultExt;
use crate::graphql::loaders::{ContactId, ContactPhone, StatusesOfMessage};
use crate::graphql::scalars::{DateTime, Position};
use crate::graphql::{loader, prefetch, store};
use crate::store::{self as db};

#[derive(Debug, Clone)]
pub struct Message(pub messages::Model);

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "db::MessageDirection")]
pub enum MessageDirection {
    /// A text a contact sent.
    Inbound,
    /// A message sent to a contact, known from a delivery report.
    Outbound,
}

/// What an inbound text is; an inbox usually wants only `REPLY`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "Category")]
pub enum MessageCategory {
    /// A real answer.
    Reply,
    /// A carrier opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT).
    Stop,
    /// A carrier help keyword (HELP, INFO).
    Help,
    /// One of the account's opt-in keywords (`--keywords`).
    Keyword,
}

/// Filters on messages; every field given must hold.
#[derive(InputObject, Debug, Default)]
pub struct MessageFilter {
    pub direction: Option<MessageDirection>,
    /// Any of these categories (inbound messages only have one).
    pub categories: Option<Vec<MessageCategory>>,
    pub contact_id: Option<ID>,
    /// The contact's phone in any format.
    pub phone: Option<String>,
    pub occurred_from: Option<DateTime>,
    pub occurred_to: Option<DateTime>,
    /// Part of the text, ignoring case.
    pub text_contains: Option<String>,
}

/// An ordering of messages. `orderBy` takes one: a value, or a list holding one (as PostGraphile
/// clients send it). Each ordering ends on a unique key, so a second one is an error.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "db::MessageOrder")]
pub enum MessagesOrderBy {
    OccurredAtAsc,
    OccurredAtDesc,
    IdAsc,
    IdDesc,
}

impl MessageFilter {
    pub fn into_store(self, ctx: &Context<'_>) -> async_graphql::Result<db::MessageFilter> {
        Ok(db::MessageFilter {
            direction: self.direction.map(db::MessageDirection::from),
            categories: self
                .categories
                .map(|categories| categories.into_iter().map(Category::from).collect()),
            contact_id: self.contact_id.map(|id| id.0),
            phone: self.phone.map(|p| normalized_phone(ctx, &p)).transpose()?,
            occurred_from: self.occurred_from.map(|t| t.0),
            occurred_to: self.occurred_to.map(|t| t.0),
            text_contains: self.text_contains,
        })
    }
}

/// A page of messages matching a store filter.
pub async fn list_filtered(
    ctx: &Context<'_>,
    filter: db::MessageFilter,
    order_by: Option<Vec<MessagesOrderBy>>,
    page_request: db::PageRequest,
) -> async_graphql::Result<Connection<Message>> {
    let order = single_order(order_by, MessagesOrderBy::OccurredAtDesc)?;
    let store = store(ctx).clone();
    let loader = loader(ctx);
    // The contacts a page selects come in the page's own statement, joined by `contact_id`.
    let contacts_read = prefetch::selects(ctx.field(), "contact");
    let page = if contacts_read {
        let page = store
            .messages_with_contacts(&filter, order.into(), &page_request)
            .await
            .gql()?;
        prefetch::feed_joined(loader, page, |c: &contacts::Model| ContactId(c.id.clone())).await
    } else {
        store
            .messages(&filter, order.into(), &page_request)
            .await
            .gql()?
    };
    let rows: Vec<&messages::Model> = page.rows.iter().map(|(_, row)| row).collect();
    prefetch::messages(loader, ctx.field(), &rows, contacts_read).await?;
    Ok(Connection::new(
        page,
        Message,
        counter(move || {
            let (store, filter) = (store.clone(), filter.clone());
            async move { store.count_messages(&filter).await }
        }),
    ))
}

#[Object]
impl Message {
    /// Mobiniti's id for outbound messages; for inbound ones, which Mobiniti sends without an
    /// id, the id of the event that carried them.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn direction(&self) -> MessageDirection {
        if self.0.direction == db::MessageDirection::Inbound.as_str() {
            MessageDirection::Inbound
        } else {
            MessageDirection::Outbound
        }
    }

    /// For inbound texts: a reply, a STOP or HELP keyword, or an opt-in keyword.
    async fn category(&self) -> Option<MessageCategory> {
        self.0
            .category
            .as_deref()
            .and_then(Category::from_stored)
            .map(MessageCategory::from)
    }

    /// The text, exactly as received.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The contact's phone, E.164.
    async fn phone(&self) -> &str {
        &self.0.phone
    }

    /// The short code an inbound text was sent to.
    async fn short_code(&self) -> Option<&str> {
        self.0.short_code.as_deref()
    }

    /// The sender of an outbound message: E.164, or a short code.
    async fn from(&self) -> Option<&str> {
        self.0.sender.as_deref()
    }

    /// The metadata of an outbound message, as Mobiniti sent it.
    async fn metadata(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.metadata.clone().map(async_graphql::Json)
    }

    /// When an inbound text was received, or an outbound message first reported.
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.0.occurred_at)
    }

    /// Position of the event that first recorded the message.
    async fn event_position(&self) -> Position {
        Position(self.0.event_position)
    }

    /// The contact: the one who sent an inbound text, or the contact with the recipient's phone.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        let contact = match &self.0.contact_id {
            Some(id) => loader(ctx).load_one(ContactId(id.clone())).await,
            None => {
                loader(ctx)
                    .load_one(ContactPhone(self.0.phone.clone()))
                    .await
            }
        };
        Ok(contact.gql()?.map(Contact))
    }

    /// The latest status of an outbound message for each recipient.
    async fn delivery_statuses(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DeliveryStatus>> {
        let rows = loader(ctx)
            .load_one(StatusesOfMessage(self.0.id.clone()))
            .await
            .gql()?
            .unwrap_or_default();
        Ok(rows.into_iter().map(DeliveryStatus).collect())
    }
}
