//! Why the server closes a connection, with the close code each reason is sent with, and how
//! long its close frame may take to go out.
//!
//! The 44xx codes and their reasons are graphql-transport-ws's own; the legacy protocol, which
//! has none, uses the same ones.

use std::time::Duration;

use super::message::Invalid;

/// The longest close reason a close frame carries, in bytes.
const MAX_REASON_BYTES: usize = 123;

/// How long a closing connection waits to send its close frame, then for the client's answer.
pub(super) const CLOSE_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub(super) enum Close {
    /// 4400: a message that is not part of the protocol.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// 4401: an operation before the connection was acknowledged.
    #[error("Unauthorized")]
    Unauthorized,
    /// 4403: a missing or wrong API key.
    #[error("Forbidden")]
    Forbidden,
    /// 4408: no `connection_init` within `--ws-init-timeout`.
    #[error("Connection initialisation timeout")]
    InitTimeout,
    /// 4409: an operation id that is already running.
    #[error("Subscriber for {0} already exists")]
    SubscriberExists(String),
    /// 4429: a second `connection_init`.
    #[error("Too many initialisation requests")]
    TooManyInits,
    /// 1008: one write did not finish within `--live-send-timeout`.
    #[error(
        "not reading: no progress for {}; resume with afterPosition",
        humantime::format_duration(*.0)
    )]
    NotReading(Duration),
    /// 1001: the server is stopping.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// 1000: the legacy client's `connection_terminate`.
    #[error("terminated by the client")]
    Terminated,
}

impl Close {
    pub(super) fn code(&self) -> u16 {
        match self {
            Self::Invalid(_) => 4400,
            Self::Unauthorized => 4401,
            Self::Forbidden => 4403,
            Self::InitTimeout => 4408,
            Self::SubscriberExists(_) => 4409,
            Self::TooManyInits => 4429,
            Self::NotReading(_) => 1008,
            Self::ShuttingDown => 1001,
            Self::Terminated => 1000,
        }
    }

    /// Whether the client did something wrong (legacy clients are told with
    /// `connection_error` first, as they may not read close codes).
    pub(super) fn is_refusal(&self) -> bool {
        (4400..4500).contains(&self.code())
    }

    /// How long the close frame may take to go out, with what was written before it. A client
    /// that stopped reading has up to a socket's worth of results ahead of its close frame, and
    /// gets as long again as `--live-send-timeout` to read them and the close: once dropped, it
    /// could get neither.
    pub(super) fn patience(&self) -> Duration {
        match self {
            Self::NotReading(timeout) => (*timeout).max(CLOSE_GRACE),
            _ => CLOSE_GRACE,
        }
    }

    /// The reason, cut to what a close frame carries.
    pub(super) fn reason(&self) -> String {
        let mut reason = self.to_string();
        if reason.len() > MAX_REASON_BYTES {
            let mut end = MAX_REASON_BYTES;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
        }
        reason
    }
}

/// Why a close frame was not sent.
#[derive(Debug, thiserror::Error)]
pub(super) enum Unsent {
    #[error("the client did not read what was written before it in time")]
    Timeout,
    #[error("the connection failed: {0}")]
    Failed(axum::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_are_cut_on_a_character_boundary() {
        let close = Close::SubscriberExists("é".repeat(100));
        let reason = close.reason();
        assert!(reason.len() <= MAX_REASON_BYTES);
        assert!(reason.starts_with("Subscriber for é"));
    }

    #[test]
    fn the_send_timeout_is_named_in_the_reason() {
        let close = Close::NotReading(Duration::from_secs(30));
        assert_eq!(
            close.reason(),
            "not reading: no progress for 30s; resume with afterPosition"
        );
        assert_eq!(close.code(), 1008);
    }

    #[test]
    fn a_client_that_stopped_reading_gets_the_send_timeout_again_for_its_close() {
        assert_eq!(
            Close::NotReading(Duration::from_secs(30)).patience(),
            Duration::from_secs(30)
        );
        assert_eq!(
            Close::NotReading(Duration::from_millis(300)).patience(),
            CLOSE_GRACE
        );
        assert_eq!(Close::ShuttingDown.patience(), CLOSE_GRACE);
    }
}
