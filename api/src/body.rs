//! Reading a request body up to a limit, and refusing one over it so the client hears why.
//!
//! A client still sending a large body when the server answers 413 and closes usually sees a
//! reset connection, not the 413, and cannot tell a refusal from an outage: a sender that
//! retries would send it again, a GraphQL client would report a network error. So the rest of
//! an oversize body is read and dropped, up to [`DRAIN_BYTES`], before the answer; memory holds
//! at most `limit` bytes either way.

use axum::body::Body;
use futures_util::StreamExt;

/// The most of an oversize body read and dropped; past it the connection is closed.
pub const DRAIN_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body is over the limit")]
    TooLarge,
    #[error("the body could not be read: {0}")]
    Unreadable(String),
}

/// The whole body, if it is at most `limit` bytes.
pub async fn read_limited(body: Body, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut chunks = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen: u64 = 0;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|err| BodyError::Unreadable(err.to_string()))?;
        seen += chunk.len() as u64;
        if seen <= limit as u64 {
            kept.extend_from_slice(&chunk);
        } else {
            kept = Vec::new();
            if seen > DRAIN_BYTES {
                return Err(BodyError::TooLarge);
            }
        }
    }
    if seen > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    Ok(kept)
}
