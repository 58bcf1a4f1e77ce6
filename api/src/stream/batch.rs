//! A stretch of the log, and the projected objects it changed, read at most once per stretch.

use std::sync::Arc;

use entity::{contacts, delivery_statuses, events, messages};
use tokio::sync::OnceCell;

use crate::store::{ReadError, Store};

/// Events with consecutive positions, in order; never empty.
#[derive(Debug)]
pub struct Batch {
    events: Vec<events::Model>,
    messages: OnceCell<Vec<messages::Model>>,
    delivery_statuses: OnceCell<Vec<delivery_statuses::Model>>,
    contacts: OnceCell<Vec<contacts::Model>>,
}

impl Batch {
    /// `events` must be non-empty and consecutive, as [`Store::events_after`] reads them.
    pub(super) fn new(events: Vec<events::Model>) -> Option<Self> {
        (!events.is_empty()).then(|| Self {
            events,
            messages: OnceCell::new(),
            delivery_statuses: OnceCell::new(),
            contacts: OnceCell::new(),
        })
    }

    pub fn first(&self) -> i64 {
        self.events.first().map_or(0, |e| e.position)
    }

    pub fn last(&self) -> i64 {
        self.events.last().map_or(0, |e| e.position)
    }

    /// The position just before the batch.
    fn before(&self) -> i64 {
        self.first() - 1
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
        let index = usize::try_from(position - self.batch.first()).ok()?;
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
            .get_or_try_init(|| store.messages_changed(batch.before(), batch.last()))
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
            .get_or_try_init(|| store.delivery_statuses_changed(batch.before(), batch.last()))
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
            .get_or_try_init(|| store.contacts_changed(batch.before(), batch.last()))
            .await?;
        Ok(rows
            .iter()
            .filter(|c| c.last_event_position > self.after)
            .collect())
    }
}
