//! How a connection ends: its operations stopped, its close frame sent, and the client's
//! answer awaited, each within a bound.

use axum::extract::ws::{CloseFrame, Message};
use tokio::time::Instant;

use super::{Connection, End};
use crate::graphql::ws::Protocol;
use crate::graphql::ws::close::{CLOSE_GRACE, Close, Unsent};
use crate::graphql::ws::message::ServerMessage;

impl Connection {
    /// Stops the operations, then closes: the close frame, and the client's answer to it.
    pub(super) async fn finish(mut self, end: End) {
        self.operations.clear();
        // No result is sent any more: free those queued now, not when the connection ends,
        // which may be another `--live-send-timeout` away.
        self.queue.close();
        while self.queue.try_recv().is_ok() {}
        let answer_by = match end {
            End::Gone => return,
            End::ClosedByClient => Instant::now() + CLOSE_GRACE,
            End::Close(close) => {
                tracing::debug!(code = close.code(), reason = %close, "closing a WebSocket");
                let deadline = Instant::now() + close.patience();
                if let Err(unsent) = self.send_close(&close, deadline).await {
                    tracing::debug!(
                        code = close.code(),
                        "dropping a WebSocket without its close frame: {unsent}"
                    );
                    return;
                }
                deadline.max(Instant::now() + CLOSE_GRACE)
            }
        };
        // Reading on sends the answer to a client's close frame, and waits for the client's
        // answer to ours: closing TCP with unread input could reset the connection before the
        // client reads the close frame.
        let drained = async { while let Some(Ok(_)) = self.socket.recv().await {} };
        let _ = tokio::time::timeout_at(answer_by, drained).await;
    }

    /// Writes the close frame (after a legacy `connection_error`, for a refusal) by `deadline`.
    /// It goes after every frame already written, so it is out only once the client has read
    /// enough of those to make room for it.
    async fn send_close(&mut self, close: &Close, deadline: Instant) -> Result<(), Unsent> {
        if self.protocol == Protocol::Legacy && close.is_refusal() {
            let refusal = ServerMessage::ConnectionError(close.reason());
            if let Some(text) = self.protocol.encode(refusal) {
                let sent = self.socket.send(Message::text(text));
                tokio::time::timeout_at(deadline, sent)
                    .await
                    .map_err(|_| Unsent::Timeout)?
                    .map_err(Unsent::Failed)?;
            }
        }
        let frame = CloseFrame {
            code: close.code(),
            reason: close.reason().into(),
        };
        let sent = self.socket.send(Message::Close(Some(frame)));
        tokio::time::timeout_at(deadline, sent)
            .await
            .map_err(|_| Unsent::Timeout)?
            .map_err(Unsent::Failed)
    }
}
