//! Every error code the service answers with, in one list.
//!
//! A code has two spellings: HTTP error bodies (`{"error": {"code": …}}`) and the quarantine's
//! `error_code` write it in snake_case (`store_unavailable`), GraphQL's `extensions.code` in
//! SCREAMING_SNAKE_CASE (`STORE_UNAVAILABLE`). The list writes the first; the second is derived
//! from it at compile time, so the two cannot drift apart. The wire strings are a contract
//! (README, `tests/e2e/readme_codes.rs`): a code is added here, never renamed.

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $code:ident = $snake:literal,)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ $code,)+
        }

        impl ErrorCode {
            pub const ALL: &[ErrorCode] = &[$(Self::$code),+];

            /// The spelling of HTTP error bodies and of the quarantine: `store_unavailable`.
            pub const fn snake(self) -> &'static str {
                match self {
                    $(Self::$code => $snake,)+
                }
            }

            /// The spelling of GraphQL's `extensions.code`: [`Self::snake`] in capitals,
            /// `STORE_UNAVAILABLE`.
            pub const fn screaming(self) -> &'static str {
                match self {
                    $(Self::$code => {
                        const CAPITALS: [u8; $snake.len()] = capitals($snake);
                        const TEXT: &str = ascii(&CAPITALS);
                        TEXT
                    })+
                }
            }
        }
    };
}

error_codes! {
    /// A GraphQL argument or variable the query cannot use.
    BadUserInput = "bad_user_input",
    /// GraphQL without a key, or with a wrong one.
    Unauthenticated = "unauthenticated",
    /// A GraphQL field for `admin` keys asked with a `read` key.
    Forbidden = "forbidden",
    /// The store failed: a GraphQL read, a webhook, `/readyz`.
    StoreUnavailable = "store_unavailable",
    /// A GraphQL read cancelled at `--read-statement-timeout`.
    ReadTimeout = "read_timeout",
    /// A GraphQL query that does not parse.
    GraphqlParseFailed = "graphql_parse_failed",
    /// A GraphQL query that does not validate, or is over a depth or complexity limit.
    GraphqlValidationFailed = "graphql_validation_failed",
    /// Not a GraphQL-over-HTTP request.
    BadRequest = "bad_request",
    /// A GraphQL query, or request body, over its limit.
    QueryTooLarge = "query_too_large",
    /// A GraphQL query with more aliases than `--graphql-max-aliases`.
    TooManyAliases = "too_many_aliases",
    /// Without API keys, a `Host` the open API does not answer.
    HostNotAllowed = "host_not_allowed",
    /// A browser's request from a page that may not use the API.
    OriginNotAllowed = "origin_not_allowed",
    /// An address past `--auth-failure-limit`: webhooks and GraphQL.
    TooManyFailedAuthentications = "too_many_failed_authentications",
    /// `--live-max-connections` WebSocket and Server-Sent Events connections are open.
    TooManyConnections = "too_many_connections",
    /// A WebSocket connection would run more operations than `--ws-max-subscriptions`.
    TooManySubscriptions = "too_many_subscriptions",
    /// A WebSocket connection's running operations would hold too much query text.
    OperationsTooLarge = "operations_too_large",
    /// A WebSocket upgrade naming no subprotocol the service speaks.
    UnknownSubprotocol = "unknown_subprotocol",
    /// Too many WebSocket upgrades waiting for their first message.
    TooManyPendingConnections = "too_many_pending_connections",
    /// A persisted query's hash that neither the manifest nor the registered queries know.
    PersistedQueryNotFound = "persisted_query_not_found",
    /// Free text, or a document not in the manifest, from a `read` key under
    /// `--only-persisted-documents`.
    PersistedDocumentRequired = "persisted_document_required",
    /// A request to the WebSocket path that is not a well-formed upgrade.
    NotAWebsocketUpgrade = "not_a_websocket_upgrade",
    /// A webhook body that is not JSON.
    InvalidJson = "invalid_json",
    /// A webhook without a live token.
    Unauthorized = "unauthorized",
    /// A webhook path naming no Mobiniti webhook.
    UnknownWebhook = "unknown_webhook",
    /// A webhook body over `--webhook-body-limit`.
    PayloadTooLarge = "payload_too_large",
    /// A webhook body of the wrong shape for its kind, or one the store refused.
    InvalidPayload = "invalid_payload",
    /// A webhook body that stalled or broke off.
    BodyUnreadable = "body_unreadable",
    /// `/readyz` while the task that commits webhooks has stopped.
    CommitWorkerStopped = "commit_worker_stopped",
    /// A dashboard or GraphiQL file that does not exist.
    NotFound = "not_found",
}

/// `snake` in capitals, as bytes: `N` is its length.
const fn capitals<const N: usize>(snake: &str) -> [u8; N] {
    let bytes = snake.as_bytes();
    let mut capitals = [0; N];
    let mut i = 0;
    while i < N {
        capitals[i] = bytes[i].to_ascii_uppercase();
        i += 1;
    }
    capitals
}

/// ASCII bytes as text; evaluated at compile time only, where a panic fails the build.
const fn ascii(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("an error code is ASCII"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_capital_spelling_is_the_snake_one_in_capitals() {
        for code in ErrorCode::ALL {
            assert_eq!(code.screaming(), code.snake().to_ascii_uppercase());
        }
        assert_eq!(ErrorCode::StoreUnavailable.snake(), "store_unavailable");
        assert_eq!(ErrorCode::StoreUnavailable.screaming(), "STORE_UNAVAILABLE");
    }

    #[test]
    fn every_code_is_spelled_once() {
        let spelled: BTreeSet<&str> = ErrorCode::ALL.iter().map(|code| code.snake()).collect();
        assert_eq!(spelled.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            let snake = code.snake();
            assert!(
                snake.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{snake}"
            );
        }
    }
}
