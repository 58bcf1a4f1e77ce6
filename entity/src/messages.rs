//! SMS messages: inbound ones from inbound-message events, outbound ones from delivery reports.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    /// Mobiniti's message id for outbound messages; the event id for inbound ones, which Mobiniti
    /// sends without a message id of their own.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub body: String,
    /// E.164 phone of the contact.
    pub phone: String,
    /// The short code an inbound message was sent to, as given.
    pub short_code: Option<String>,
    /// The sender of an outbound message (E.164, or a short code as given).
    pub sender: Option<String>,
    pub contact_id: Option<String>,
    /// What an inbound text is: `reply`, `stop`, `help` or `keyword`; none for outbound ones.
    pub category: Option<String>,
    pub metadata: Option<Json>,
    /// When the message was received (inbound) or first reported (outbound).
    pub occurred_at: DateTimeUtc,
    /// Position of the event that first recorded the message.
    pub event_position: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
