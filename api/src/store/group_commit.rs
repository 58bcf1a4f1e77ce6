//! Group commit: webhooks that arrive together share one transaction.
//!
//! Each append costs a transaction, and on a durable store each transaction costs a flush to
//! disk. Requests queue here; one task takes whatever is queued (up to `--commit-batch-max`,
//! waiting up to `--commit-batch-wait` for more) and appends it with [`Store::append`], which
//! deduplicates and projects each delivery on its own inside the transaction. Every request is
//! answered only after the transaction that holds it committed.
//!
//! One delivery never fails the others: a batch the store refuses for its content (see
//! `refusal.rs`) is appended again delivery by delivery, so only the refused one is given back,
//! to be quarantined, and its batchmates are stored. A batch that fails because the store is
//! unavailable fails whole, each request with the store's error (503, and Mobiniti retries).
//!
//! If the task itself stops (a panic), every request is answered with the reason and
//! [`GroupCommit::stopped`] says why, which `/readyz` reports.
//!
//! - [`stats`]: the transactions and events counted as they commit, for `/metrics`.

mod stats;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Appended, Store, StoreError};
use crate::domain::event::NewEvent;
use stats::CommitStats;
pub use stats::{BATCH_SIZE_BOUNDS, CommitCounts};

/// How batches form, each a flag.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// The most deliveries in one transaction.
    pub max_batch: usize,
    /// How long the first delivery of a batch may wait for others; zero takes only what is
    /// already queued, which adds no latency: batches form while the previous one commits.
    pub max_wait: Duration,
}

/// Why a delivery was not appended.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The store refused this delivery's content, on its own; it is given back whole so that
    /// the caller can quarantine it.
    #[error("the store refused the delivery: {reason}")]
    Refused {
        reason: String,
        event: Box<NewEvent>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Reply = oneshot::Sender<Result<Appended, AppendError>>;

/// Why the committing task stopped, once it has.
type Stopped = Arc<Mutex<Option<String>>>;

/// The queue in front of [`Store::append`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<(NewEvent, Reply)>,
    stopped: Stopped,
    stats: Arc<CommitStats>,
}

impl GroupCommit {
    /// Starts the committing task; it ends when every clone of the handle is dropped.
    pub fn start(store: Store, settings: BatchSettings) -> Self {
        let settings = BatchSettings {
            max_batch: settings.max_batch.max(1),
            ..settings
        };
        let (queue, requests) = mpsc::channel(settings.max_batch * 4);
        let stats = Arc::new(CommitStats::default());
        let worker = tokio::spawn(commit(store, requests, settings, Arc::clone(&stats)));
        Self::watching(queue, worker, stats)
    }

    /// The handle on a queue served by `worker`, which is watched for stopping.
    fn watching(
        queue: mpsc::Sender<(NewEvent, Reply)>,
        worker: JoinHandle<()>,
        stats: Arc<CommitStats>,
    ) -> Self {
        let stopped = Stopped::default();
        let record = Arc::clone(&stopped);
        tokio::spawn(async move {
            let Err(failure) = worker.await else {
                // Every handle was dropped: the service is stopping.
                return;
            };
            let why = match failure.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned()),
                Err(_) => "it was cancelled".to_owned(),
            };
            tracing::error!(
                reason = %why,
                "the commit worker stopped: webhooks are answered 503 and /readyz fails until the process is restarted"
            );
            if let Ok(mut stopped) = record.lock() {
                *stopped = Some(why);
            }
        });
        Self {
            queue,
            stopped,
            stats,
        }
    }

    /// The transactions and new events committed so far, for `/metrics`.
    pub fn counts(&self) -> CommitCounts {
        self.stats.counts()
    }

    /// Why the committing task stopped, if it has: no delivery can be stored until a restart.
    pub fn stopped(&self) -> Option<String> {
        self.stopped.lock().ok().and_then(|stopped| stopped.clone())
    }

    /// Appends one delivery in the next transaction; returns once that transaction committed.
    pub async fn append(&self, event: NewEvent) -> Result<Appended, AppendError> {
        let (reply, answer) = oneshot::channel();
        if self.queue.send((event, reply)).await.is_err() {
            return Err(self.unanswered().into());
        }
        answer.await.map_err(|_| self.unanswered())?
    }

    /// The error for a request the committing task did not answer.
    fn unanswered(&self) -> StoreError {
        let why = match self.stopped() {
            Some(why) => format!("the commit worker stopped ({why}); restart the service"),
            None => "the service is stopping".to_owned(),
        };
        StoreError::Unavailable(DbErr::Custom(why))
    }
}

async fn commit(
    store: Store,
    mut requests: mpsc::Receiver<(NewEvent, Reply)>,
    settings: BatchSettings,
    stats: Arc<CommitStats>,
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
        match store.append(&events).await {
            Ok(outcomes) => {
                stats.commit(events.len(), written(&outcomes));
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // A request whose client went away has nobody to tell; its delivery stays.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(StoreError::Refused(_)) => {
                // Not the store's reason: it may quote the refused value, which stays out of the
                // logs; the quarantine keeps it.
                tracing::warn!(
                    deliveries = events.len(),
                    "the store refused a batch for its content; appending its deliveries one by one"
                );
                one_by_one(&store, events, replies, &stats).await;
            }
            Err(err) => {
                tracing::warn!(error = %err, deliveries = events.len(), "a group commit failed; its deliveries are answered 503");
                let message = err.to_string();
                for reply in replies {
                    let failed = StoreError::Unavailable(DbErr::Custom(message.clone()));
                    let _ = reply.send(Err(failed.into()));
                }
            }
        }
    }
}

/// Appends each delivery of a refused batch in a transaction of its own, in arrival order.
async fn one_by_one(
    store: &Store,
    events: Vec<NewEvent>,
    replies: Vec<Reply>,
    stats: &CommitStats,
) {
    for (event, reply) in events.into_iter().zip(replies) {
        let answer = match store.append(std::slice::from_ref(&event)).await {
            Ok(outcomes) => {
                stats.commit(1, written(&outcomes));
                outcomes.into_iter().next().ok_or_else(|| {
                    StoreError::Unavailable(DbErr::Custom("the append returned no outcome".into()))
                        .into()
                })
            }
            Err(StoreError::Refused(reason)) => Err(AppendError::Refused {
                reason,
                event: Box::new(event),
            }),
            Err(err) => Err(err.into()),
        };
        let _ = reply.send(answer);
    }
}

fn written(outcomes: &[Appended]) -> usize {
    outcomes.iter().filter(|outcome| !outcome.duplicate).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_worker_that_panics_is_reported_and_its_requests_answered() {
        let (queue, mut requests) = mpsc::channel::<(NewEvent, Reply)>(4);
        let worker = tokio::spawn(async move {
            let _request = requests.recv().await;
            panic!("the disk caught fire");
        });
        let commits = GroupCommit::watching(queue, worker, Arc::default());
        assert_eq!(commits.stopped(), None);
        let event = crate::store::test_inbound(1);
        let answer = commits.append(event).await;
        let Err(AppendError::Store(StoreError::Unavailable(err))) = answer else {
            panic!("expected the store to be unavailable, got {answer:?}");
        };
        // The reason is recorded by the watching task, which runs once the worker has ended.
        for _ in 0..100 {
            if commits.stopped().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(commits.stopped().as_deref(), Some("the disk caught fire"));
        let again = commits.append(crate::store::test_inbound(2)).await;
        let Err(AppendError::Store(StoreError::Unavailable(later))) = again else {
            panic!("expected the store to be unavailable, got {again:?}");
        };
        assert!(
            later.to_string().contains("the disk caught fire"),
            "{later} (first answer: {err})"
        );
    }
}
