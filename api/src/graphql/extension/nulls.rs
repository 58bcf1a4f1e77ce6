//! Null propagation, as the specification's "Handling Field Errors" describes it.
//!
//! A field whose resolver fails is `null`, and its error is reported once. If its type is
//! non-null, the `null` moves to its parent: a list item (whose type the list's says), or the
//! object's own field, and so on up to the first position that may be null, or to `data`.
//!
//! Fields resolve inside their parents, so the parent learns about a child's `null` once the
//! child is done: a failed non-null field is noted here as *pending*, and the nearest field
//! around it takes the pending ones below it when it completes, nulling the nearest nullable
//! position between them or itself (passing it on when it is non-null too). What is still
//! pending at the root when the operation ends makes `data` null.
//!
//! A request without a failing non-null field costs one atomic read per field.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{PathSegment, QueryPathNode, QueryPathSegment, Response, ServerError, Value};

use super::lock;
use crate::error::ErrorCode;
use crate::graphql::errors::with_code;

#[derive(Debug, Default)]
pub(super) struct Nulls {
    /// The errors of the fields made null, in the order they failed.
    errors: Mutex<Vec<ServerError>>,
    /// The paths of non-null fields that are null, for their parent to be null instead.
    pending: Mutex<Vec<Vec<PathSegment>>>,
    /// How many paths `pending` holds, read without the lock.
    pending_count: AtomicUsize,
}

impl Nulls {
    /// A field failed: it is null, and its error is kept for the response.
    pub(super) fn failed(
        &self,
        node: &QueryPathNode<'_>,
        return_type: &str,
        mut error: ServerError,
    ) -> Value {
        let path = path_of(node);
        if error.path.is_empty() {
            error.path.clone_from(&path);
        }
        // Every error this API's resolvers and guards return carries its code; one without
        // comes from async-graphql reading an argument that passed validation but does not
        // fit its input type (a string given for an input object, say).
        lock(&self.errors).push(with_code(error, ErrorCode::BadUserInput));
        if !nullable_at(return_type, 0) {
            self.push_pending(path);
        }
        Value::Null
    }

    /// A field resolved: its value, with the nulls of its failed non-null children moved to
    /// where they belong.
    pub(super) fn settle(
        &self,
        node: &QueryPathNode<'_>,
        return_type: &str,
        mut value: Option<Value>,
    ) -> Option<Value> {
        if self.pending_count.load(Ordering::Acquire) == 0 {
            return value;
        }
        let field = path_of(node);
        let below: Vec<Vec<PathSegment>> = {
            let mut pending = lock(&self.pending);
            let (below, elsewhere) = pending
                .drain(..)
                .partition(|path| items_between(&field, path).is_some());
            *pending = elsewhere;
            self.pending_count.fetch_sub(below.len(), Ordering::AcqRel);
            below
        };
        let mut null_field = false;
        for child in &below {
            let Some(items) = items_between(&field, child) else {
                continue;
            };
            // The child's parent is `items.len()` list levels into this field's value; the
            // nearest of those levels that may be null takes the null.
            let nullable = (1..=items.len())
                .rev()
                .find(|&depth| nullable_at(return_type, depth));
            match (nullable, value.as_mut()) {
                (Some(depth), Some(value)) => set_null(value, &items[..depth]),
                _ => null_field = true,
            }
        }
        if null_field {
            if !nullable_at(return_type, 0) {
                self.push_pending(field);
            }
            value = Some(Value::Null);
        }
        value
    }

    /// The operation (or one result of a subscription) is over: the errors join the response,
    /// and a root field's pending null makes `data` null.
    pub(super) fn finish(&self, response: &mut Response) {
        let errors = std::mem::take(&mut *lock(&self.errors));
        let pending = {
            let mut pending = lock(&self.pending);
            self.pending_count.store(0, Ordering::Release);
            std::mem::take(&mut *pending)
        };
        if pending.iter().any(|path| path.len() == 1) {
            response.data = Value::Null;
        }
        response.errors.extend(errors);
    }

    fn push_pending(&self, path: Vec<PathSegment>) {
        let mut pending = lock(&self.pending);
        pending.push(path);
        self.pending_count.fetch_add(1, Ordering::AcqRel);
    }
}

fn path_of(node: &QueryPathNode<'_>) -> Vec<PathSegment> {
    let mut path: Vec<PathSegment> = std::iter::once(node)
        .chain(node.parents())
        .map(|node| match node.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
            QueryPathSegment::Index(index) => PathSegment::Index(index),
        })
        .collect();
    path.reverse();
    path
}

/// The list indices from `field` to the object holding `child`, when `field` is the nearest
/// field around `child` (only list items between them).
fn items_between(field: &[PathSegment], child: &[PathSegment]) -> Option<Vec<usize>> {
    let (_, parent) = child.split_last()?;
    let between = parent.strip_prefix(field)?;
    between
        .iter()
        .map(|segment| match segment {
            PathSegment::Index(index) => Some(*index),
            PathSegment::Field(_) => None,
        })
        .collect()
}

/// Whether a value `depth` list levels into a field of type `return_type` (`[Event!]!`, say)
/// may be null. A level the type does not have is taken as non-null, so the null moves up.
fn nullable_at(return_type: &str, depth: usize) -> bool {
    let mut ty = return_type;
    for _ in 0..depth {
        let list = ty.strip_suffix('!').unwrap_or(ty);
        match list
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
        {
            Some(item) => ty = item,
            None => return false,
        }
    }
    !ty.ends_with('!')
}

/// Sets the item at `indices` (list in list) of `value` to null, if it is there.
fn set_null(value: &mut Value, indices: &[usize]) {
    let mut value = value;
    for index in indices {
        match value {
            Value::List(items) => match items.get_mut(*index) {
                Some(item) => value = item,
                None => return,
            },
            _ => return,
        }
    }
    *value = Value::Null;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> PathSegment {
        PathSegment::Field(name.to_owned())
    }

    #[test]
    fn nullability_is_read_level_by_level() {
        assert!(nullable_at("Contact", 0));
        assert!(!nullable_at("EventConnection!", 0));
        assert!(!nullable_at("[Event!]!", 0));
        assert!(!nullable_at("[Event!]!", 1));
        assert!(nullable_at("[Event]!", 1));
        assert!(nullable_at("[[Int!]]", 1));
        assert!(!nullable_at("[[Int!]]", 2));
        assert!(!nullable_at("Event", 1));
    }

    #[test]
    fn only_the_nearest_field_takes_a_pending_null() {
        let nodes = [field("contacts"), field("nodes")];
        let child = [
            field("contacts"),
            field("nodes"),
            PathSegment::Index(3),
            field("messages"),
        ];
        assert_eq!(items_between(&nodes, &child), Some(vec![3]));
        assert_eq!(items_between(&nodes[..1], &child), None);
        assert_eq!(items_between(&child, &nodes), None);
        let direct = [field("contact"), field("messages")];
        assert_eq!(items_between(&direct[..1], &direct), Some(vec![]));
    }

    #[test]
    fn a_null_item_is_set_in_place() {
        let mut value = Value::List(vec![Value::Number(1.into()), Value::Number(2.into())]);
        set_null(&mut value, &[1]);
        assert_eq!(
            value,
            Value::List(vec![Value::Number(1.into()), Value::Null])
        );
        set_null(&mut value, &[7]);
        assert_eq!(
            value,
            Value::List(vec![Value::Number(1.into()), Value::Null])
        );
    }
}
