//! A warning that any client can cause, written at most once per period.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Lets a warning that any client can cause through at most once per [`Throttle::PERIOD`],
/// counting those held back: one line per refused request would let a client fill the disk
/// (a flood of wrong keys is tens of thousands of refusals a second). The counters in
/// `/metrics` still count every one.
#[derive(Debug)]
pub struct Throttle {
    /// When the next line may be written.
    next: Mutex<Option<Instant>>,
    held_back: AtomicU64,
}

impl Throttle {
    pub const PERIOD: Duration = Duration::from_secs(10);

    pub const fn new() -> Self {
        Self {
            next: Mutex::new(None),
            held_back: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when a line may be written now, `n` being the lines held back since the last;
    /// `None` when this one is to be held back.
    pub fn allow(&self) -> Option<u64> {
        let now = Instant::now();
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if next.is_some_and(|next| now < next) {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *next = Some(now + Self::PERIOD);
        Some(self.held_back.swap(0, Ordering::Relaxed))
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_lets_one_line_through_per_period_and_counts_the_rest() {
        let throttle = Throttle::new();
        assert_eq!(throttle.allow(), Some(0));
        assert_eq!(throttle.allow(), None);
        assert_eq!(throttle.allow(), None);
        *throttle.next.lock().expect("unpoisoned") = Some(Instant::now());
        assert_eq!(throttle.allow(), Some(2));
    }
}
