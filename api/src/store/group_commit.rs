//! Group commit: webhooks that arrive together share one transaction.
//!
//! Each append costs a transaction, and on a durable store each transaction costs a flush to
//! disk. Requests queue here; one task takes whatever is queued (up to `--commit-batch-max`,
//! waiting up to `--commit-batch-wait` for more) and appends it with [`Store::append`], which
//! deduplicates and projects each delivery on its own inside the transaction. Every request is
//! answered only after the transaction that holds it committed. A commit that fails fails its
//! whole batch, each request with the store's error (503, and Mobiniti retries).

use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{Appended, NewEvent, Store, StoreError};
use crate::metrics::Metrics;

/// How batches form, each a flag.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// The most deliveries in one transaction.
    pub max_batch: usize,
    /// How long the first delivery of a batch may wait for others; zero takes only what is
    /// already queued, which adds no latency: batches form while the previous one commits.
    pub max_wait: Duration,
}

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// The queue in front of [`Store::append`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<(NewEvent, Reply)>,
}

impl GroupCommit {
    /// Starts the committing task; it ends when every clone of the handle is dropped.
    pub fn start(store: Store, settings: BatchSettings, metrics: Metrics) -> Self {
        let settings = BatchSettings {
            max_batch: settings.max_batch.max(1),
            ..settings
        };
        let (queue, requests) = mpsc::channel(settings.max_batch * 4);
        tokio::spawn(commit(store, requests, settings, metrics));
        Self { queue }
    }

    /// Appends one delivery in the next transaction; returns once that transaction committed.
    pub async fn append(&self, event: NewEvent) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((event, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable(DbErr::Custom("the service is stopping".into()))
}

async fn commit(
    store: Store,
    mut requests: mpsc::Receiver<(NewEvent, Reply)>,
    settings: BatchSettings,
    metrics: Metrics,
) {
    while let Some(first) = requests.recv().await {
        let deadline = Instant::now() + settings.max_wait;
        let mut batch = vec![first];
        while batch.len() < settings.max_batch {
            match requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) if settings.max_wait.is_zero() => break,
                Err(_) => match tokio::time::timeout_at(deadline, requests.recv()).await {
                    Ok(Some(request)) => batch.push(request),
                    Ok(None) | Err(_) => break,
                },
            }
        }
        let (events, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let size = events.len();
        match store.append(events).await {
            Ok(outcomes) => {
                let written = outcomes.iter().filter(|outcome| !outcome.duplicate).count();
                metrics.commit(size, written);
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // A request whose client went away has nobody to tell; its delivery stays.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, deliveries = size, "a group commit failed; its deliveries are answered 503");
                let message = err.to_string();
                for reply in replies {
                    let failed = StoreError::Unavailable(DbErr::Custom(message.clone()));
                    let _ = reply.send(Err(failed));
                }
            }
        }
    }
}
