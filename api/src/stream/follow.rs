//! One subscriber's view of the log: every event after its position, from the store while it is
//! behind, then from the live channel, with no gap and no duplicate at the switch-over.

use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::hub::PAGE;
use entity::events;
use tokio::task::JoinHandle;

use super::{Batch, Hub, Slice};
use crate::store::{EventColumns, ReadError};

/// How long a subscriber waits before reading the store again after it failed.
const RETRY: Duration = Duration::from_secs(1);

/// The position a "from now" stream starts after: what the tailer published, unless it has been
/// idle; then the log's head. A store outage makes it wait and retry.
pub async fn now(hub: &Hub) -> i64 {
    if hub.is_current() {
        return hub.published();
    }
    loop {
        let turn = hub.reader().await;
        let head = hub.store().head().await;
        drop(turn);
        match head {
            Ok(head) => return head,
            Err(err) => {
                tracing::warn!(error = %err, "a subscriber cannot read the log's head; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

/// The log after `after` (or after the log's head, for "from now"), as slices in
/// strictly increasing position order. A store outage pauses the stream rather than ending it.
/// What the subscriber reads from the store itself has the `columns` it asks for; the live
/// batches have every column a stream reads.
pub fn follow(
    hub: Hub,
    after: Option<i64>,
    columns: EventColumns,
) -> impl Stream<Item = Slice> + Send + 'static {
    async_stream::stream! {
        // Subscribed before the position is read, so nothing published after it is missed.
        let mut live = hub.subscribe();
        let mut cursor = match after {
            Some(after) => after,
            None => now(&hub).await,
        };
        // Reading the store only when the channel cannot serve: at the start, after falling
        // behind it, and over a stretch it did not carry. A live subscriber that merely woke
        // before the batch it is about to receive must not read the store: with thousands of
        // subscribers that would be thousands of reads per event.
        let mut behind = true;
        loop {
            // A long catch-up reads the next page while the subscriber handles this one.
            let mut ahead: Option<ReadAhead> = None;
            while behind && cursor < hub.published() {
                let read = match ahead.take() {
                    Some(ahead) => ahead.wait().await,
                    None => None,
                };
                let read = match read {
                    Some(read) => read,
                    None => read_page(&hub, cursor, columns).await,
                };
                match read {
                    Ok(events) => {
                        let full = events.len() as u64 == PAGE;
                        let Some(batch) = Batch::new(events) else { break };
                        let slice = Slice { after: cursor, batch: Arc::new(batch) };
                        cursor = slice.batch.last();
                        if full && cursor < hub.published() {
                            ahead = Some(ReadAhead::start(&hub, cursor, columns));
                        }
                        yield slice;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, after = cursor, "a subscriber cannot read the log; retrying");
                        tokio::time::sleep(RETRY).await;
                    }
                }
            }
            behind = false;
            match live.recv().await {
                Ok(batch) if batch.last() <= cursor => {}
                // Starts after the cursor (or is a marker of events the channel did not carry):
                // what was published covers it, so the store has it.
                Ok(batch) if batch.after() > cursor => behind = true,
                Ok(batch) => {
                    let slice = Slice { after: cursor, batch };
                    cursor = slice.batch.last();
                    yield slice;
                }
                // Fell behind the channel: the store has everything it dropped.
                Err(RecvError::Lagged(_)) => behind = true,
                Err(RecvError::Closed) => break,
            }
        }
    }
}

/// One page of the log after `after`, read in a subscriber's turn.
async fn read_page(
    hub: &Hub,
    after: i64,
    columns: EventColumns,
) -> Result<Vec<events::Model>, ReadError> {
    let _turn = hub.reader().await;
    hub.store().events_after(after, PAGE, columns).await
}

/// A page being read in a task of its own; dropping it stops the read.
struct ReadAhead(JoinHandle<Result<Vec<events::Model>, ReadError>>);

impl ReadAhead {
    fn start(hub: &Hub, after: i64, columns: EventColumns) -> Self {
        let hub = hub.clone();
        Self(tokio::spawn(async move {
            read_page(&hub, after, columns).await
        }))
    }

    /// `None` if the read panicked: the caller reads again, and says what is wrong.
    async fn wait(mut self) -> Option<Result<Vec<events::Model>, ReadError>> {
        (&mut self.0).await.ok()
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use futures_util::StreamExt;

    use super::*;
    use crate::store::test_inbound as inbound;
    use crate::store::{Store, StoreOptions};
    use crate::stream::RECHECK;

    async fn store(dir: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
        let store = Store::connect(&StoreOptions {
            url,
            timeout: Duration::from_secs(5),
            max_connections: 4,
            read_statement_timeout: Duration::ZERO,
        })
        .await
        .expect("open the store");
        store.migrate().await.expect("migrate");
        store
    }

    /// A subscriber that reads nothing while far more batches arrive than the live channel
    /// keeps: when it reads again, it gets every event once, in order, from the store.
    #[tokio::test]
    async fn a_subscriber_behind_the_channel_misses_nothing() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = store(&dir).await;
        let hub = Hub::start(store.clone(), 2).await.expect("the hub starts");
        let mut stream = pin!(follow(hub.clone(), Some(0), EventColumns::WithPayload));
        store.append_one(inbound(0)).await.expect("appended");
        let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("the first event comes")
            .expect("the stream is endless");
        assert_eq!(first.events().map(|e| e.position).collect::<Vec<_>>(), [1]);
        // Now subscribed to the live channel, and reading nothing.
        for n in 1..151 {
            store.append_one(inbound(n)).await.expect("appended");
            // Let the tailer publish each one as its own batch.
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let mut seen = vec![1];
        while seen.len() < 151 {
            let slice = tokio::time::timeout(Duration::from_secs(5), stream.next())
                .await
                .expect("the stream goes on")
                .expect("the stream is endless");
            seen.extend(slice.events().map(|e| e.position));
        }
        assert_eq!(seen, (1..=151).collect::<Vec<i64>>());
    }

    /// With nobody listening the tailer reads nothing; a subscriber "from now" that joins later
    /// gets exactly what follows, promptly, not the events it did not ask for.
    #[tokio::test]
    async fn a_subscriber_from_now_after_an_idle_spell_gets_what_follows() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = store(&dir).await;
        let hub = Hub::start(store.clone(), 2).await.expect("the hub starts");
        for n in 0..3 {
            store.append_one(inbound(n)).await.expect("appended");
        }
        let mut stream = pin!(follow(hub.clone(), None, EventColumns::WithPayload));
        let nothing = tokio::time::timeout(Duration::from_millis(100), stream.next()).await;
        assert!(nothing.is_err(), "nothing new yet");
        store.append_one(inbound(3)).await.expect("appended");
        let slice = tokio::time::timeout(RECHECK / 2, stream.next())
            .await
            .expect("the new event comes before any re-check")
            .expect("the stream is endless");
        assert_eq!(slice.events().map(|e| e.position).collect::<Vec<_>>(), [4]);
    }
}
