//! Live operations, whichever transport carries them: a WebSocket connection ([`super::ws`]) or
//! a GraphQL over SSE stream ([`super::sse`]). Both run an operation the same way
//! ([`operation`]), share one execution among identical live subscriptions ([`shared`]), and
//! draw on the same limits: at most `--live-max-connections` open at once, counted together (more
//! are answered 503), a keep-alive every `--live-keep-alive`, and a client that stops reading
//! dropped after `--live-send-timeout`. What only a WebSocket has (several operations per
//! connection, `connection_init`) is limited by the `--ws-*` flags in [`super::ws`].

pub(super) mod operation;
mod payload;
pub mod shared;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::logging::Throttle;
use crate::stream::Hub;

pub(in crate::graphql) use payload::{Id, OperationPayload};

/// Refusals for capacity come in floods, on both transports; one line each would fill the disk.
pub(super) static REFUSALS_LOGGED: Throttle = Throttle::new();

/// The limits both transports share, each a flag.
#[derive(Debug, Clone)]
pub struct Settings {
    /// WebSocket connections and SSE streams open at once, together.
    pub max_connections: usize,
    pub keep_alive: Duration,
    /// How long one write to a client may make no progress.
    pub send_timeout: Duration,
    /// Results a shared execution keeps for its slowest subscriber.
    pub group_buffer: usize,
}

/// The live connections of this process: their settings, the slots left, the shared
/// executions, and the shutdown signal.
#[derive(Debug, Clone)]
pub struct Live {
    settings: Arc<Settings>,
    slots: Arc<Semaphore>,
    closing: watch::Receiver<bool>,
    /// Identical live subscriptions, executed once for all their connections.
    groups: Arc<shared::Groups>,
}

impl Live {
    /// `closing` turns true when the server shuts down; every connection then closes.
    pub fn new(settings: Settings, closing: watch::Receiver<bool>, hub: Hub) -> Self {
        let slots = Semaphore::new(settings.max_connections.min(Semaphore::MAX_PERMITS));
        let groups = shared::Groups::new(hub, settings.group_buffer);
        Self {
            settings: Arc::new(settings),
            slots: Arc::new(slots),
            closing,
            groups: Arc::new(groups),
        }
    }

    /// The shared executions of identical live subscriptions.
    pub fn groups(&self) -> &shared::Groups {
        &self.groups
    }

    pub(super) fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }

    /// A connection slot, held until the connection ends; `None` when all are taken.
    pub(super) fn slot(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Turns true when the server shuts down.
    pub(super) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.clone()
    }
}

/// Why a connection was refused when `max` are open. The flag's former name is kept in it: a
/// deployment configured before the rename finds what it set.
pub(super) fn too_many_connections(max: usize) -> String {
    format!(
        "{max} connections (WebSocket and SSE) are open, the most allowed \
         (--live-max-connections, formerly --ws-max-connections); retry later"
    )
}
