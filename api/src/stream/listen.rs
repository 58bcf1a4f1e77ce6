//! Wake-ups from other processes: each append on PostgreSQL notifies a channel at commit
//! ([`crate::store::NOTIFY_CHANNEL`]). A notification only wakes the tailer; what it reads comes
//! from the log. sqlx drops notifications while it reconnects a lost listener, which the
//! tailer's periodic re-check covers: a lost notification costs latency, never an event.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::DbBackend;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use crate::store::{NOTIFY_CHANNEL, Store};

/// On PostgreSQL, listens for other processes' appends until `alive` is gone.
pub(super) fn spawn<T: Send + Sync + 'static>(store: &Store, alive: Weak<T>, wake: Arc<Notify>) {
    let db = store.connection();
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        while alive.strong_count() > 0 {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for other replicas' events; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(err) = listener.listen(NOTIFY_CHANNEL).await {
                tracing::warn!(error = %err, "LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            // Anything committed while not listening is read now.
            wake.notify_one();
            loop {
                // Bounded, so a listener of a stopped hub notices and ends.
                match tokio::time::timeout(Duration::from_secs(1), listener.try_recv()).await {
                    Err(_) if alive.strong_count() == 0 => return,
                    Err(_) => {}
                    Ok(Ok(Some(_))) => wake.notify_one(),
                    // The connection was lost; sqlx reconnects on the next call.
                    Ok(Ok(None)) => wake.notify_one(),
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, "the replica listener failed; reconnecting");
                        break;
                    }
                }
            }
        }
    });
}
