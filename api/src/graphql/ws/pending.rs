//! Connections not acknowledged yet, counted per client address.
//!
//! A connection takes one of the `--live-max-connections` slots at its upgrade, before the client
//! has said anything, and keeps it for up to `--ws-init-timeout` if the client never sends
//! `connection_init`. Without a count per address, one client upgrading over and over could
//! hold every slot. So an address (an IPv4 address or an IPv6 /64, as the auth guard counts
//! it) may hold at most `--ws-max-pending-per-address` connections that are open and not yet
//! acknowledged; one more upgrade is answered 429 before it is taken. A connection stops
//! counting once its `connection_init` is acknowledged, or when it ends ([`Unacknowledged`]).
//!
//! The map holds one entry per address with a count above zero, so never more entries than
//! open connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::auth_guard::Client;

/// The unacknowledged connections of every address.
#[derive(Debug)]
pub(super) struct Pending {
    max_per_address: usize,
    counts: Mutex<HashMap<Client, usize>>,
}

/// One unacknowledged connection of `client`; dropping it stops counting it.
#[derive(Debug)]
pub(super) struct Unacknowledged {
    pending: Arc<Pending>,
    client: Client,
}

impl Pending {
    pub(super) fn new(max_per_address: usize) -> Self {
        Self {
            max_per_address,
            counts: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Client, usize>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection of `client`; `None` when the address holds the most allowed.
    pub(super) fn take(self: &Arc<Self>, client: Client) -> Option<Unacknowledged> {
        let mut counts = self.lock();
        if counts.get(&client).copied().unwrap_or_default() >= self.max_per_address {
            return None;
        }
        *counts.entry(client).or_default() += 1;
        Some(Unacknowledged {
            pending: self.clone(),
            client,
        })
    }

    /// Unacknowledged connections of `client` now.
    #[cfg(test)]
    fn count(&self, client: Client) -> usize {
        self.lock().get(&client).copied().unwrap_or_default()
    }

    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.lock().len()
    }
}

impl Drop for Unacknowledged {
    fn drop(&mut self) {
        let mut counts = self.pending.lock();
        if let Some(count) = counts.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn client(address: &str) -> Client {
        Client::of(address.parse::<IpAddr>().expect("an address"))
    }

    #[test]
    fn an_address_holds_at_most_its_share_and_gets_it_back_as_connections_end() {
        let pending = Arc::new(Pending::new(2));
        let a = client("192.0.2.1");
        let first = pending.take(a).expect("the first");
        let second = pending.take(a).expect("the second");
        assert!(pending.take(a).is_none(), "a third of the same address");
        assert!(
            pending.take(client("192.0.2.2")).is_some(),
            "another address"
        );

        drop(first);
        assert_eq!(pending.count(a), 1);
        let third = pending.take(a).expect("room again");
        drop((second, third));
        assert_eq!(pending.count(a), 0);
        assert_eq!(
            pending.addresses(),
            0,
            "no entry is left for an address at 0"
        );
    }

    #[test]
    fn an_ipv6_64_is_one_address() {
        let pending = Arc::new(Pending::new(1));
        let _held = pending.take(client("2001:db8::1")).expect("the first");
        assert!(pending.take(client("2001:db8::2")).is_none());
        assert!(pending.take(client("2001:db8:0:1::1")).is_some());
    }
}
