//! A stretch of the log, and the projected objects it changed, read at most once per stretch.

use std::sync::Arc;

use entity::{contacts, delivery_statuses, events, messages};
use tokio::sync::OnceCell;

use crate::store::{ReadError, Store};

/// Events with consecutive positions, in order, after position `after` up to `last`. Empty only
/// for a marker: "the log is at `last`", sent when the tailer skipped events nobody listened to.
#[derive(Debug)]
pub struct Batch {
    after: i64,
    last: i64,
    events: Vec<events::Model>,
    messages: OnceCell<Vec<messages::Model>>,
    delivery_statuses: OnceCell<Vec<delivery_statuses::Model>>,
    contacts: OnceCell<Vec<contacts::Model>>,
}

impl Batch {
    /// `events` must be consecutive, as [`Store::events_after`] reads them; `None` if empty.
    pub(super) fn new(events: Vec<events::Model>) -> Option<Self> {
        let after = events.first()?.position - 1;
        let last = events.last()?.position;
        Some(Self::of(after, last, events))
    }

    /// A batch with no event that says the log reached `head`.
    pub(super) fn marker(head: i64) -> Self {
        Self::of(head, head, Vec::new())
    }

    fn of(after: i64, last: i64, events: Vec<events::Model>) -> Self {
        Self {
            after,
            last,
            events,
            messages: OnceCell::new(),
            delivery_statuses: OnceCell::new(),
            contacts: OnceCell::new(),
        }
    }

    /// The position just before the batch.
    pub fn after(&self) -> i64 {
        self.after
    }

    pub fn last(&self) -> i64 {
        self.last
    }
}

/// The part of a batch after a subscriber's last position.
#[derive(Debug, Clone)]
pub struct Slice {
    pub batch: Arc<Batch>,
    /// Only positions after this one belong to the slice.
    pub after: i64,
}

impl Slice {
    pub fn events(&self) -> impl Iterator<Item = &events::Model> {
        let after = self.after;
        self.batch.events.iter().filter(move |e| e.position > after)
    }

    /// The event at `position`, if it is in the slice.
    pub fn event(&self, position: i64) -> Option<&events::Model> {
        let index = usize::try_from(position - self.batch.after - 1).ok()?;
        self.batch
            .events
            .get(index)
            .filter(|e| e.position == position && position > self.after)
    }

    /// The messages whose last change is an event of the slice, by position.
    pub async fn messages(&self, store: &Store) -> Result<Vec<&messages::Model>, ReadError> {
        let batch = &self.batch;
        let rows = batch
            .messages
            .get_or_try_init(|| store.messages_changed(batch.after, batch.last))
            .await?;
        Ok(rows
            .iter()
            .filter(|m| m.event_position > self.after)
            .collect())
    }

    /// The delivery statuses whose last change is an event of the slice, by position.
    pub async fn delivery_statuses(
        &self,
        store: &Store,
    ) -> Result<Vec<&delivery_statuses::Model>, ReadError> {
        let batch = &self.batch;
        let rows = batch
            .delivery_statuses
            .get_or_try_init(|| store.delivery_statuses_changed(batch.after, batch.last))
            .await?;
        Ok(rows
            .iter()
            .filter(|s| s.event_position > self.after)
            .collect())
    }

    /// The contacts whose last event is an event of the slice, by position.
    pub async fn contacts(&self, store: &Store) -> Result<Vec<&contacts::Model>, ReadError> {
        let batch = &self.batch;
        let rows = batch
            .contacts
            .get_or_try_init(|| store.contacts_changed(batch.after, batch.last))
            .await?;
        Ok(rows
            .iter()
            .filter(|c| c.last_event_position > self.after)
            .collect())
    }
}
