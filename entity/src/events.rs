//! The event log: one row per accepted webhook delivery, ordered by `position`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// Gap-free, commit-ordered, starting at 1; assigned under the `log_head` row lock.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i64,
    #[sea_orm(unique)]
    pub id: Uuid,
    /// The webhook kind as it appears in the URL (`inbound-message`, ...).
    pub kind: String,
    /// Deterministic key derived from the payload; a redelivery maps onto the same row.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub received_at: DateTimeUtc,
    /// The payload's own time (`received_at` of an inbound message, `updated_at` of a contact).
    pub occurred_at: Option<DateTimeUtc>,
    pub contact_id: Option<String>,
    /// E.164 phone of the contact the event is about, where the payload names one.
    pub phone: Option<String>,
    /// The body exactly as received, byte for byte: the delivery is kept once, as this. The API
    /// reads its payload from it, leniently and with U+0000 replaced.
    pub raw_body: Vec<u8>,
    /// How many times this delivery was received (1 + redeliveries).
    pub deliveries: i32,
    pub last_seen_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
