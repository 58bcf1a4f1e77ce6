//! Storage types of mobiniti-events, one module per table.
//!
//! `events` is the append-only log and the source of truth; `contacts`, `messages`,
//! `delivery_statuses` and `rejections` are projections derived from it (and rebuilt from it);
//! `quarantine` keeps the deliveries that failed validation; `log_head` and `settings` are the
//! store's own bookkeeping; `totals` holds counts the projections keep; `persisted_queries`
//! the GraphQL documents clients registered by their hash.

pub mod contacts;
pub mod delivery_statuses;
pub mod events;
pub mod log_head;
pub mod messages;
pub mod persisted_queries;
pub mod quarantine;
pub mod rejections;
pub mod settings;
pub mod totals;
