//! Identical live subscriptions share one execution.
//!
//! Dashboards and integrators mostly subscribe with the same few documents. A subscription
//! "from now" (no `afterPosition`) runs once per process for each (scope, document, operation,
//! variables): each result is resolved and encoded once, and handed to every subscriber of the
//! group through a bounded broadcast channel, so a delivery costs a subscriber one frame.
//!
//! Every result carries the position of the item it resolved ([`PositionTap`]). A subscriber
//! that falls more than `--live-group-buffer` results behind the group leaves it and goes on alone, as if
//! it had subscribed with `afterPosition` set to the last result it received ([`ResumeAfter`]):
//! it reads what it missed from the store, then follows live, and skips nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection,
};
use async_graphql::{Request, Response};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::AbortHandle;

use super::OperationPayload;
use super::operation::{Event, Results, event_for};
use crate::graphql::RouteState;
use crate::graphql::Scope;
use crate::graphql::measure::StreamedOperation;
use crate::graphql::subscription::{PositionTap, ResumeAfter};
use crate::stream::{self, Hub};

/// What makes two subscriptions the same. Made from the subscriber's payload, which it
/// replaces: a subscriber holds its operation once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    scope: Scope,
    query: String,
    operation_name: Option<String>,
    /// The variables as JSON text; empty without variables.
    variables: String,
}

impl Key {
    pub(super) fn of(scope: Scope, payload: OperationPayload) -> Self {
        let OperationPayload {
            query,
            operation_name,
            variables,
            ..
        } = payload;
        Self {
            scope,
            query,
            operation_name,
            variables: variables
                .map(|variables| serde_json::Value::Object(variables).to_string())
                .unwrap_or_default(),
        }
    }

    /// The payload again, for a subscriber that goes on alone. Text written from a JSON map
    /// reads back as that map, so the error is for form's sake.
    pub(super) fn into_payload(self) -> Result<OperationPayload, serde_json::Error> {
        let variables = match self.variables.as_str() {
            "" => None,
            text => Some(serde_json::from_str(text)?),
        };
        Ok(OperationPayload {
            query: self.query,
            operation_name: self.operation_name,
            variables,
            extensions: None,
        })
    }
}

/// The running groups of this process.
#[derive(Debug)]
pub struct Groups {
    hub: Hub,
    /// Results a group keeps for subscribers that have not taken them yet.
    buffer: usize,
    groups: Mutex<HashMap<Key, Weak<Group>>>,
    /// Subscribers that fell behind their group and went on alone, for `/metrics`.
    departures: AtomicU64,
}

/// One shared execution; it stops when its last subscriber leaves.
#[derive(Debug)]
struct Group {
    channel: Arc<Channel>,
    task: AbortHandle,
}

impl Drop for Group {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The group's sending side; `None` once its execution ended, so that nobody joins it after
/// its last word.
#[derive(Debug)]
struct Channel(Mutex<Option<Open>>);

#[derive(Debug)]
struct Open {
    sender: broadcast::Sender<Shared>,
    /// The position of the last result sent (at first, where the group started).
    last: i64,
}

impl Channel {
    fn lock(&self) -> MutexGuard<'_, Option<Open>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A result of the group, and the position of the item it resolved.
#[derive(Debug, Clone)]
struct Shared {
    position: i64,
    event: Event,
}

/// A subscriber of a group.
struct Member {
    /// Keeps the group running.
    _group: Arc<Group>,
    receiver: broadcast::Receiver<Shared>,
    /// The position of the last result this subscriber received, or where it joined.
    last: i64,
}

impl Groups {
    pub(super) fn new(hub: Hub, buffer: usize) -> Self {
        Self {
            hub,
            buffer,
            groups: Mutex::default(),
            departures: AtomicU64::new(0),
        }
    }

    /// Shared executions running now.
    pub fn running(&self) -> usize {
        self.lock()
            .values()
            .filter(|group| group.strong_count() > 0)
            .count()
    }

    /// Subscribers so far that fell behind their group and went on alone.
    pub fn departures(&self) -> u64 {
        self.departures.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Weak<Group>>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `request` as a member of its group, which it starts if there is none. Returns the
    /// position to go on from alone when the subscriber fell behind the group, `None` when the
    /// operation is over.
    pub(super) async fn run(
        &self,
        state: &RouteState,
        key: &Key,
        request: Request,
        out: &Results,
        counter: &mut StreamedOperation,
    ) -> Option<i64> {
        let member = match self.join(key) {
            // A running group has passed validation.
            Some(member) => {
                counter.first_poll(None);
                // The group runs its own; this one would be held for nothing.
                drop(request);
                member
            }
            None => {
                let start = stream::now(&self.hub).await;
                self.join_or_start(state, key, request, start, counter)
            }
        };
        let resume = forward(member, out).await;
        if resume.is_some() {
            self.departures.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("a subscriber fell behind its group; it goes on alone");
        }
        resume
    }

    fn join(&self, key: &Key) -> Option<Member> {
        let group = self.lock().get(key).and_then(Weak::upgrade)?;
        member_of(group)
    }

    fn join_or_start(
        &self,
        state: &RouteState,
        key: &Key,
        request: Request,
        start: i64,
        counter: &mut StreamedOperation,
    ) -> Member {
        let mut groups = self.lock();
        // Another subscriber may have started the group while this one read where "now" is.
        if let Some(member) = groups.get(key).and_then(Weak::upgrade).and_then(member_of) {
            counter.first_poll(None);
            return member;
        }
        let (sender, receiver) = broadcast::channel(self.buffer);
        let channel = Arc::new(Channel(Mutex::new(Some(Open {
            sender,
            last: start,
        }))));
        let tap = PositionTap::default();
        let request = request.data(ResumeAfter(start)).data(tap.clone());
        // Polled once here, where the subscriber is counted: parsing and validation happen
        // before the stream first waits.
        let mut responses = state.schema.execute_stream(request);
        let ready = responses.next().now_or_never();
        counter.first_poll(ready.as_ref());
        let execution = execute(state.clone(), responses, ready, tap, channel.clone());
        let task = tokio::spawn(execution);
        let group = Arc::new(Group {
            channel,
            task: task.abort_handle(),
        });
        groups.retain(|_, group| group.strong_count() > 0);
        groups.insert(key.clone(), Arc::downgrade(&group));
        Member {
            _group: group,
            receiver,
            last: start,
        }
    }
}

fn member_of(group: Arc<Group>) -> Option<Member> {
    let (receiver, last) = {
        let open = group.channel.lock();
        let open = open.as_ref()?;
        (open.sender.subscribe(), open.last)
    };
    Some(Member {
        _group: group,
        receiver,
        last,
    })
}

/// The group's execution: every result, encoded once, to every member.
async fn execute(
    state: RouteState,
    mut responses: BoxStream<'static, Response>,
    mut ready: Option<Option<Response>>,
    tap: PositionTap,
    channel: Arc<Channel>,
) {
    let mut first = true;
    let last_word = loop {
        let next = match ready.take() {
            Some(next) => next,
            None => responses.next().await,
        };
        let Some(response) = next else {
            break Event::Complete;
        };
        let event = event_for(&state.graphql_limits, response, first);
        first = false;
        if matches!(event, Event::Error(_)) {
            break event;
        }
        let mut open = channel.lock();
        let Some(open) = open.as_mut() else { return };
        open.last = tap.get();
        // No receiver is no error: a subscriber may be about to join.
        let _ = open.sender.send(Shared {
            position: open.last,
            event,
        });
    };
    if let Some(open) = channel.lock().take() {
        let _ = open.sender.send(Shared {
            position: open.last,
            event: last_word,
        });
    }
}

/// Hands the group's results to one subscriber; see [`Groups::run`] for what it returns.
async fn forward(mut member: Member, out: &Results) -> Option<i64> {
    loop {
        match member.receiver.recv().await {
            Ok(Shared { position, event }) => {
                let last_word = !matches!(event, Event::Next(_));
                if !out.send(event).await || last_word {
                    return None;
                }
                member.last = position;
            }
            // Fell behind, or the group's task died: going on alone loses nothing.
            Err(RecvError::Lagged(_) | RecvError::Closed) => return Some(member.last),
        }
    }
}

/// Whether the operation to run is a subscription from now with a single root field, the
/// kind a group can serve.
pub(super) fn shareable(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => match operations.get(name) {
            Some(operation) => operation,
            None => return false,
        },
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            match operations.values().next() {
                Some(operation) => operation,
                None => return false,
            }
        }
        _ => return false,
    };
    let operation = &operation.node;
    let [root] = operation.selection_set.node.items.as_slice() else {
        return false;
    };
    let Selection::Field(field) = &root.node else {
        return false;
    };
    operation.ty == OperationType::Subscription
        && field
            .node
            .arguments
            .iter()
            .all(|(name, _)| name.node.as_str() != "afterPosition")
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::shareable;

    fn check(query: &str, operation: Option<&str>) -> bool {
        shareable(&parse_query(query).expect("a document"), operation)
    }

    #[test]
    fn only_a_single_field_subscription_from_now_is_shared() {
        assert!(check("subscription { events { position } }", None));
        assert!(check(
            "subscription S($k: [EventKind!]) { events(filter: {kinds: $k}) { position } }",
            None
        ));
        assert!(check(
            "query Q { stats } subscription S { contacts { position } }",
            Some("S")
        ));
        assert!(!check(
            r#"subscription { events(afterPosition: "5") { position } }"#,
            None
        ));
        assert!(!check(
            "subscription($a: Position) { events(afterPosition: $a) { position } }",
            None
        ));
        assert!(!check("{ events { totalCount } }", None));
        assert!(!check(
            "subscription { ...F } fragment F on Subscription { events { position } }",
            None
        ));
        assert!(!check(
            "query Q { stats } subscription S { events { position } }",
            None
        ));
        assert!(!check("subscription S { events { position } }", Some("T")));
    }
}
