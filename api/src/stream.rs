//! The event stream behind the subscriptions.
//!
//! The log by position is the only truth. Positions are handed out under the append lock and
//! commit in order with no gap ([`crate::store::Store::append`]), so reading forward from the
//! last position seen can never pass over an event that commits later with a smaller position.
//!
//! One [`Hub`] per process tails the log: woken by this process's appends, by PostgreSQL
//! notifications from other processes ([`listen`]), and by a periodic re-check in case a
//! notification was lost. It reads each new stretch of the log once and hands it, as a
//! [`Batch`], to every live subscriber through a bounded broadcast channel. A subscriber reads
//! the store itself only while it catches up from an older position or after it fell behind the
//! channel ([`follow`]); 10,000 subscribers cost one query per wake-up.

mod batch;
mod follow;
mod hub;
mod listen;

pub use batch::{Batch, Slice};
pub use follow::{follow, now};
pub use hub::{Hub, RECHECK};
