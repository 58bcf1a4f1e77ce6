//! Mobiniti's model: the six kinds of webhook, their payloads read and normalized, phone numbers
//! in E.164, inbound-text categories, dedupe keys, and the event a raw body becomes
//! ([`event::from_body`]) or why it cannot ([`event::Unreadable`]).
//!
//! The lowest layer: it imports nothing else of this crate (only `crate::domain::…`), and knows
//! no HTTP, SQL or GraphQL, so the edges, the store and the commands all build on it and it
//! reads the same wherever it runs (ingest, `rebuild`, `replay-quarantine`, the fuzz targets).
//!
//! Invariants:
//! - A payload reads the same every time: a projection rebuilt from the log equals the one built
//!   as events arrived.
//! - A phone number's normalization normalizes to itself: one number lands on one contact.
//! - A dedupe key depends only on the kind and the content delivered, never on when or at random.
//! - U+0000 never reaches a projection or the payload the API answers; the raw body keeps it.
//! - A body that cannot become an event is given back whole, so that the quarantine keeps it.

pub mod category;
pub mod dedupe;
pub mod event;
pub mod kind;
pub mod payload;
pub mod phone;
