//! One subscriber's view of the log: every event after its position, from the store while it is
//! behind, then from the live channel, with no gap and no duplicate at the switch-over.

use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::hub::PAGE;
use super::{Batch, Hub, Slice};

/// How long a subscriber waits before reading the store again after it failed.
const RETRY: Duration = Duration::from_secs(1);

/// The log after `after` (or after the last published position, for "from now"), as slices in
/// strictly increasing position order. A store outage pauses the stream rather than ending it.
pub fn follow(hub: Hub, after: Option<i64>) -> impl Stream<Item = Slice> + Send + 'static {
    async_stream::stream! {
        // Subscribed before the position is read, so nothing published after it is missed.
        let mut live = hub.subscribe();
        let mut cursor = after.unwrap_or_else(|| hub.published());
        loop {
            // Behind what was published (catching up, lagging, or a batch missed at the
            // switch-over): read the store up to it.
            while cursor < hub.published() {
                match hub.store().events_after(cursor, PAGE).await {
                    Ok(events) => {
                        let Some(batch) = Batch::new(events) else { break };
                        let slice = Slice { after: cursor, batch: Arc::new(batch) };
                        cursor = slice.batch.last();
                        yield slice;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, after = cursor, "a subscriber cannot read the log; retrying");
                        tokio::time::sleep(RETRY).await;
                    }
                }
            }
            match live.recv().await {
                Ok(batch) if batch.last() <= cursor => {}
                // Starts after the cursor: the loop's catch-up reads the missing stretch first.
                Ok(batch) if batch.first() > cursor + 1 => {}
                Ok(batch) => {
                    let slice = Slice { after: cursor, batch };
                    cursor = slice.batch.last();
                    yield slice;
                }
                // Fell behind the channel: the store has everything it dropped.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    }
}
