//! Errors as GraphQL clients see them: a message for people and a stable `extensions.code`.
//! Store failures are logged here with their cause and never described to the client.

use std::sync::Arc;

use async_graphql::{Error, ErrorExtensions, ServerError};

use super::http::Limits;
use super::scalars::{DateTime, Position};
use crate::error::{ErrorCode, log_chain};
use crate::store::ReadError;

/// Every `extensions.code` a GraphQL client can be answered with, by this module's helpers or
/// in front of the schema (`origins`, `auth_guard`), as the README's table lists them
/// (`tests/e2e/readme_codes.rs` compares the two). Spelled by [`ErrorCode::screaming`].
pub const CODES: [ErrorCode; 18] = [
    ErrorCode::BadUserInput,
    ErrorCode::Unauthenticated,
    ErrorCode::Forbidden,
    ErrorCode::StoreUnavailable,
    ErrorCode::ReadTimeout,
    ErrorCode::GraphqlParseFailed,
    ErrorCode::GraphqlValidationFailed,
    ErrorCode::BadRequest,
    ErrorCode::QueryTooLarge,
    ErrorCode::TooManyAliases,
    ErrorCode::HostNotAllowed,
    ErrorCode::OriginNotAllowed,
    ErrorCode::TooManyFailedAuthentications,
    ErrorCode::TooManyConnections,
    ErrorCode::TooManySubscriptions,
    ErrorCode::OperationsTooLarge,
    ErrorCode::PersistedQueryNotFound,
    ErrorCode::PersistedDocumentRequired,
];

/// An error with `extensions.code`.
pub fn coded(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, extensions| extensions.set("code", code.screaming()))
}

/// Turns a read's failure into a GraphQL error. (`?` alone would send the error's text, cause
/// included, to the client: every read goes through here instead.)
pub trait ReadResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> ReadResultExt<T> for Result<T, ReadError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|err| read_error(&err))
    }
}

impl<T> ReadResultExt<T> for Result<T, Arc<ReadError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|err| read_error(&err))
    }
}

pub(crate) fn read_error(err: &ReadError) -> Error {
    match err {
        ReadError::Page(err) => coded(ErrorCode::BadUserInput, err.to_string()),
        ReadError::Invalid(message) => coded(ErrorCode::BadUserInput, message.clone()),
        // Not an outage: this query needed longer than a read is given, which the client can
        // change.
        ReadError::Store(err) if err.is_read_timeout() => {
            tracing::warn!("a GraphQL read ran past --read-statement-timeout and was cancelled");
            coded(
                ErrorCode::ReadTimeout,
                "the query took longer than the store allows and was cancelled: narrow its \
                 `filter` or ask for smaller pages (`first`, `last`), or have the operator raise \
                 --read-statement-timeout",
            )
        }
        ReadError::Store(err) => {
            log_chain("a GraphQL read failed", err);
            coded(
                ErrorCode::StoreUnavailable,
                "the event store is unavailable; retry later",
            )
        }
    }
}

/// A query that did not parse. The parser stops nesting long before the depth limit could be
/// checked, with a message that names neither: this one names both.
pub(crate) fn parse_failed(limits: &Limits, mut err: ServerError) -> ServerError {
    if err.message.starts_with("recursion limit exceeded") {
        err.message = format!(
            "the query is nested too deep to parse; at most {} levels are allowed \
             (--graphql-max-depth)",
            limits.max_depth
        );
    }
    with_code(err, ErrorCode::GraphqlParseFailed)
}

/// A query refused by validation; the limits' own messages say which limit and what to do.
/// A value that does not fit its argument's type, written in the query or given in
/// `variables`, is the client's input rather than the document: `BAD_USER_INPUT`, with what
/// the API's own scalars look like.
pub(crate) fn validation_failed(limits: &Limits, mut err: ServerError) -> ServerError {
    if err.message.starts_with("Invalid value for argument") {
        let expected = [
            ("\"Position\"", Position::EXPECTED),
            ("\"DateTime\"", DateTime::EXPECTED),
        ];
        if let Some((_, expected)) = expected
            .iter()
            .find(|(name, _)| err.message.ends_with(&format!("expected type {name}")))
        {
            err.message = format!("{}: {expected}", err.message);
        }
        return with_code(err, ErrorCode::BadUserInput);
    }
    if err.message == "Query is too complex." {
        err.message = format!(
            "the query is too complex: it could return more than {} objects \
             (--graphql-max-complexity); ask for smaller pages (`first`, `last`) or fewer nested \
             lists",
            limits.max_complexity
        );
    } else if err.message == "Query is nested too deep." {
        err.message = format!(
            "the query is nested too deep: at most {} levels are allowed (--graphql-max-depth)",
            limits.max_depth
        );
    }
    with_code(err, ErrorCode::GraphqlValidationFailed)
}

/// The error with `extensions.code`, unless it has one.
pub(crate) fn with_code(mut err: ServerError, fallback: ErrorCode) -> ServerError {
    let extensions = err.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", fallback.screaming());
    }
    err
}
