//! The failures of each client in its current window, for at most [`CAPACITY`] clients.
//!
//! A new client always gets a place: when every place is taken, the client whose window started
//! first is forgotten. A flood of new addresses can push older ones out early, but it never
//! stops the limit from applying to the newest. Windows start in the order the clock is read,
//! under the lock, so a queue of (client, start) is oldest first: expiry and eviction both take
//! from its front, and each entry is pushed and popped once. Nothing scans the map under the
//! lock, and a map entry and a queue entry always come and go together.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// Clients remembered at most: about 100 bytes each, so some 10 MB when full.
pub const CAPACITY: usize = 100_000;

/// What failures count against: an IPv4 address, or an IPv6 /64. One subscriber line or
/// server is usually given a whole /64 and may send from any address in it; counted one by one,
/// it would have 2^64 limits. An IPv4-mapped IPv6 address is the IPv4 address it maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl Client {
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => Self(address),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => Self(IpAddr::V6(Ipv6Addr::from_bits(
                    v6.to_bits() & (u128::MAX << 64),
                ))),
            },
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => v4.fmt(f),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[derive(Debug)]
struct Window {
    started: Instant,
    failures: u32,
}

#[derive(Debug)]
pub struct Failures {
    capacity: usize,
    window: Duration,
    windows: HashMap<Client, Window>,
    /// Every entry of `windows`, by the start of its window, oldest first.
    starts: VecDeque<(Client, Instant)>,
}

impl Failures {
    pub fn new(capacity: usize, window: Duration) -> Self {
        Self {
            capacity: capacity.max(1),
            window,
            windows: HashMap::new(),
            starts: VecDeque::new(),
        }
    }

    /// How long `client` stays over `limit`, if it is over it at `now`.
    pub fn wait(&self, client: Client, limit: u32, now: Instant) -> Option<Duration> {
        let current = self.windows.get(&client)?;
        let elapsed = now.saturating_duration_since(current.started);
        (current.failures >= limit && elapsed < self.window).then(|| self.window - elapsed)
    }

    /// Counts a failure of `client` at `now`, which is never earlier than the last call's.
    pub fn fail(&mut self, client: Client, now: Instant) {
        self.expire(now);
        // Every window left is running, this client's too if it has one.
        if let Some(current) = self.windows.get_mut(&client) {
            current.failures = current.failures.saturating_add(1);
            return;
        }
        if self.windows.len() >= self.capacity {
            self.forget_oldest();
        }
        self.windows.insert(
            client,
            Window {
                started: now,
                failures: 1,
            },
        );
        self.starts.push_back((client, now));
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(_, started)) = self.starts.front() {
            if now.saturating_duration_since(started) < self.window {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((client, _)) = self.starts.pop_front() {
            self.windows.remove(&client);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.windows.len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn v6(text: &str) -> Client {
        Client::of(text.parse().expect("an IPv6 address"))
    }

    #[test]
    fn an_ipv6_64_counts_as_one_client() {
        assert_eq!(
            v6("2001:db8:1:2::1"),
            v6("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_eq!(v6("2001:db8:1:2::77").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv4_counts_by_the_address_mapped_or_not() {
        let v4 = Client::of(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(v6("::ffff:192.0.2.1"), v4);
        assert_ne!(Client::of(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))), v4);
        assert_eq!(v4.to_string(), "192.0.2.1");
    }

    #[test]
    fn failures_past_the_limit_wait_out_the_window() {
        let window = Duration::from_secs(60);
        let mut failures = Failures::new(10, window);
        let client = v6("2001:db8::1");
        let start = Instant::now();
        failures.fail(client, start);
        assert_eq!(failures.wait(client, 2, start), None);
        failures.fail(v6("2001:db8::2"), start + Duration::from_secs(10));
        let wait = failures.wait(v6("2001:db8::3"), 2, start + Duration::from_secs(20));
        assert_eq!(wait, Some(Duration::from_secs(40)));
        assert_eq!(failures.wait(client, 2, start + window), None);
        failures.fail(client, start + window);
        assert_eq!(
            failures.wait(client, 2, start + window),
            None,
            "a new window"
        );
    }

    #[test]
    fn a_full_map_forgets_its_oldest_and_still_limits_a_new_client() {
        let mut failures = Failures::new(3, Duration::from_secs(60));
        let start = Instant::now();
        let client = |n: u8| Client::of(IpAddr::V4(Ipv4Addr::new(198, 51, 100, n)));
        for n in 1..=3 {
            let at = start + Duration::from_secs(u64::from(n));
            failures.fail(client(n), at);
            failures.fail(client(n), at);
        }
        let later = start + Duration::from_secs(10);
        failures.fail(client(4), later);
        failures.fail(client(4), later);
        assert_eq!(failures.len(), 3);
        assert!(
            failures.wait(client(4), 2, later).is_some(),
            "the newest is limited"
        );
        assert_eq!(
            failures.wait(client(1), 2, later),
            None,
            "the oldest is forgotten"
        );
        assert!(failures.wait(client(2), 2, later).is_some());
        assert!(failures.wait(client(3), 2, later).is_some());
    }

    #[test]
    fn ended_windows_are_forgotten_as_new_failures_come() {
        let mut failures = Failures::new(10, Duration::from_secs(60));
        let start = Instant::now();
        for n in 1..=5 {
            failures.fail(Client::of(IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))), start);
        }
        let after = start + Duration::from_secs(61);
        failures.fail(Client::of(IpAddr::V4(Ipv4Addr::LOCALHOST)), after);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures.starts.len(), 1);
    }
}
