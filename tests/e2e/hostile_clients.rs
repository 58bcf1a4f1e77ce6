//! Hostile clients against the real binary, each beside a well-behaved client running at the
//! same time: connections that never read, megabytes of aliases, and a flood of
//! `connection_init` with wrong keys. Each test asserts that the attack is contained (refused as
//! it should be, the process's memory within a stated bound, the process alive and stopping
//! cleanly) and that the well-behaved client is served, every answer right, within a bound.
//!
//! The bounds are guards against an attack starving or exhausting the service, not performance
//! figures: the latency bound is many times the few milliseconds an answer takes, and the
//! memory bounds many times what was measured (BENCHMARKS.md, "Hostile clients: memory (RSS)").

mod aliases;
mod bad_keys;
mod never_read;

use std::time::Duration;

/// The longest the well-behaved client may wait for any one answer during an attack.
const SERVED_WITHIN: Duration = Duration::from_secs(2);

/// How long each attack runs.
const ATTACK: Duration = Duration::from_secs(3);
