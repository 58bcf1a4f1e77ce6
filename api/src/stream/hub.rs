//! The process's one reader of new events, and the channel that fans them out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, SemaphorePermit, broadcast, watch};

use super::{Batch, listen};
use crate::store::{EventColumns, Store, StoreError};

/// Events read per query, by the tailer and by a subscriber catching up.
pub(super) const PAGE: u64 = 500;
/// Batches the channel keeps for subscribers that are behind; one further behind catches up
/// from the store. Bounds the memory the live stream holds, whatever the subscribers do.
const KEPT_BATCHES: usize = 64;
/// How often the tailer looks at the log without being woken: the most a lost notification
/// can delay an event.
pub const RECHECK: Duration = Duration::from_millis(500);

/// The live stream of this process; cheap to clone. The tailer stops when the last clone is
/// dropped.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    /// The last position handed to the channel.
    published: watch::Sender<i64>,
    batches: broadcast::Sender<Arc<Batch>>,
    /// Subscribers reading the store at once. Bounded below the read pool's size, so that a
    /// crowd of subscribers catching up after an overload never takes every connection from
    /// the queries: they catch up more slowly instead.
    readers: Semaphore,
    /// Whether the tailer stopped reading for want of subscribers.
    idle: AtomicBool,
}

impl Hub {
    /// Starts tailing the log from its current head. At most `readers` subscribers read the
    /// store at once.
    pub async fn start(store: Store, readers: usize) -> Result<Self, StoreError> {
        let head = store.head().await?;
        let (published, _) = watch::channel(head);
        let (batches, _) = broadcast::channel(KEPT_BATCHES);
        let inner = Arc::new(Inner {
            store: store.clone(),
            published,
            batches,
            readers: Semaphore::new(readers.max(1)),
            idle: AtomicBool::new(false),
        });
        let wake = Arc::new(Notify::new());
        listen::spawn(&store, Arc::downgrade(&inner), wake.clone());
        tokio::spawn(tail(Arc::downgrade(&inner), store, wake, head));
        Ok(Self { inner })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The last position handed to live subscribers (or, while there were none, the head when
    /// the last one left).
    pub fn published(&self) -> i64 {
        *self.inner.published.borrow()
    }

    /// Whether [`Hub::published`] is the log's head as the tailer last saw it; after a spell
    /// with no subscriber it is older.
    pub(super) fn is_current(&self) -> bool {
        !self.inner.idle.load(Ordering::Acquire)
    }

    /// A turn to read the store as a subscriber.
    pub(super) async fn reader(&self) -> Option<SemaphorePermit<'_>> {
        self.inner.readers.acquire().await.ok()
    }

    /// Batches published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Batch>> {
        self.inner.batches.subscribe()
    }

    /// Subscribers of the live channel now.
    pub fn live_subscribers(&self) -> usize {
        self.inner.batches.receiver_count()
    }
}

/// Reads what was appended after `last` whenever woken, and publishes it. With no live
/// subscriber it reads nothing: when one comes, it starts again from the log's head, and the
/// subscriber reads what came before from the store.
async fn tail(hub: Weak<Inner>, store: Store, wake: Arc<Notify>, mut last: i64) {
    loop {
        tokio::select! {
            () = store.appended() => {}
            () = wake.notified() => {}
            () = tokio::time::sleep(RECHECK) => {}
        }
        let Some(hub) = hub.upgrade() else { return };
        if hub.batches.receiver_count() == 0 {
            hub.idle.store(true, Ordering::Release);
            continue;
        }
        if hub.idle.load(Ordering::Acquire) {
            match store.head().await {
                Ok(head) => {
                    hub.idle.store(false, Ordering::Release);
                    if head > last {
                        // Subscribers that joined since read what was skipped from the store.
                        last = head;
                        hub.published.send_replace(last);
                        let _ = hub.batches.send(Arc::new(Batch::marker(head)));
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "reading the log's head failed");
                    continue;
                }
            }
        }
        loop {
            let events = match store
                .events_after(last, PAGE, EventColumns::WithPayload)
                .await
            {
                Ok(events) => events,
                Err(err) => {
                    // Subscribers pause; the next wake-up or re-check tries again.
                    tracing::warn!(error = %err, after = last, "reading new events failed");
                    break;
                }
            };
            let full = events.len() as u64 == PAGE;
            let Some(batch) = Batch::new(events) else {
                break;
            };
            last = batch.last();
            // Published before it is sent: a subscriber that joins in between and misses the
            // batch sees the new position and reads the batch from the store.
            hub.published.send_replace(last);
            let _ = hub.batches.send(Arc::new(batch));
            if !full {
                break;
            }
        }
    }
}
