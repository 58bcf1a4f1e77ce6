//! Answers in the order their selection asks for.
//!
//! The specification serializes an object's fields in the order `CollectFields` meets them in
//! the document. async-graphql 7 resolves the fields of an object side by side and writes each
//! one as it finishes, so an answer's order depended on which read came back first, and
//! changed from one identical request to the next. Snapshot tests, byte comparisons and cached
//! copies all need the same bytes for the same data, so each answer is put back in order after
//! execution, over every transport.
//!
//! The order is taken from the document alone: a field's place is where its response key first
//! appears, fragments spread in place. Type conditions are not consulted (an answer holds only
//! the fields that applied), which differs from `CollectFields` only for a key that appears
//! first under a fragment that did not apply and again, later, under one that did.

use async_graphql::Name;
use async_graphql::Value;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};

/// Where each response key goes, and the order inside each composite field's value.
#[derive(Debug, Default)]
pub(super) struct Shape {
    fields: Vec<(Name, Shape)>,
}

impl Shape {
    /// The shape of `operation` in `document` (the only one, when it is not named); `None` if
    /// there is no such operation, in which case nothing ran.
    pub fn of(document: &ExecutableDocument, operation: Option<&str>) -> Option<Self> {
        let definition = chosen(document, operation)?;
        Some(Self::from_sets(document, &[&definition.selection_set.node]))
    }

    fn from_sets(document: &ExecutableDocument, sets: &[&SelectionSet]) -> Self {
        let mut keys: Vec<(&Name, Vec<&SelectionSet>)> = Vec::new();
        for set in sets {
            collect(document, set, &mut keys);
        }
        let fields = keys
            .into_iter()
            .map(|(key, children)| {
                let shape = if children.is_empty() {
                    Self::default()
                } else {
                    Self::from_sets(document, &children)
                };
                (key.clone(), shape)
            })
            .collect();
        Self { fields }
    }

    /// Puts the objects of `value` in this shape's order, at every level.
    pub fn arrange(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let place = |key: &Name| {
                    self.fields
                        .iter()
                        .position(|(name, _)| name == key)
                        .unwrap_or(usize::MAX)
                };
                let sorted = map
                    .keys()
                    .map(place)
                    .is_sorted_by(|before, after| before <= after);
                if !sorted {
                    map.sort_by_cached_key(|key, _| place(key));
                }
                for (key, value) in map.iter_mut() {
                    // A leaf's value may be a JSON object (a payload): its keys are data.
                    if let Some((_, shape)) = self.fields.iter().find(|(name, _)| name == key)
                        && !shape.fields.is_empty()
                    {
                        shape.arrange(value);
                    }
                }
            }
            Value::List(items) => {
                for item in items {
                    self.arrange(item);
                }
            }
            _ => {}
        }
    }
}

fn chosen<'a>(
    document: &'a ExecutableDocument,
    operation: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, operation) {
        (DocumentOperations::Single(definition), _) => Some(&definition.node),
        (DocumentOperations::Multiple(definitions), Some(name)) => {
            definitions.get(name).map(|definition| &definition.node)
        }
        (DocumentOperations::Multiple(definitions), None) if definitions.len() == 1 => definitions
            .values()
            .next()
            .map(|definition| &definition.node),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The response keys of `set` in the order they first appear, each with the selection sets of
/// every field under that key (merged, as execution merges them).
fn collect<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    keys: &mut Vec<(&'a Name, Vec<&'a SelectionSet>)>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                let key = &field.response_key().node;
                let children = &field.selection_set.node;
                let index = match keys.iter().position(|(seen, _)| *seen == key) {
                    Some(index) => index,
                    None => {
                        keys.push((key, Vec::new()));
                        keys.len() - 1
                    }
                };
                if !children.items.is_empty() {
                    keys[index].1.push(children);
                }
            }
            Selection::InlineFragment(fragment) => {
                collect(document, &fragment.node.selection_set.node, keys);
            }
            // Validation has refused unknown fragments and cycles before anything executes.
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(document, &fragment.node.selection_set.node, keys);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::indexmap::IndexMap;
    use async_graphql::parser::parse_query;

    use super::*;

    fn arranged(query: &str, operation: Option<&str>, answer: serde_json::Value) -> String {
        let document = parse_query(query).expect("a query");
        let shape = Shape::of(&document, operation).expect("an operation");
        let mut value = Value::from_json(answer).expect("a value");
        shape.arrange(&mut value);
        // The value itself, not serde_json's map, which would sort the keys again.
        serde_json::to_string(&value).expect("JSON")
    }

    #[test]
    fn fields_follow_the_selection_through_fragments_lists_and_aliases() {
        let query = "query Q { contacts(first: 1) { totalCount nodes { phone id ...More } } \
                     totals { contacts } r: __typename } \
                     fragment More on Contact { ... on Contact { b: phone } a: id }";
        let answer = serde_json::json!({
            "r": "Query",
            "totals": { "contacts": 1 },
            "contacts": { "nodes": [
                { "a": "1", "id": "1", "b": "+1", "phone": "+1" },
                { "id": "2", "a": "2", "phone": "+2", "b": "+2" },
            ], "totalCount": 2 },
        });
        assert_eq!(
            arranged(query, Some("Q"), answer),
            r#"{"contacts":{"totalCount":2,"nodes":[{"phone":"+1","id":"1","b":"+1","a":"1"},{"phone":"+2","id":"2","b":"+2","a":"2"}]},"totals":{"contacts":1},"r":"Query"}"#
        );
    }

    #[test]
    fn a_leaf_object_keeps_its_own_order() {
        let document = parse_query("{ event { payload kind } }").expect("a query");
        let shape = Shape::of(&document, None).expect("an operation");
        let payload = Value::Object(IndexMap::from_iter([
            (Name::new("z"), Value::from(1)),
            (Name::new("a"), Value::from(2)),
        ]));
        let event = Value::Object(IndexMap::from_iter([
            (Name::new("kind"), Value::from("X")),
            (Name::new("payload"), payload),
        ]));
        let mut value = Value::Object(IndexMap::from_iter([(Name::new("event"), event)]));
        shape.arrange(&mut value);
        assert_eq!(
            serde_json::to_string(&value).expect("JSON"),
            r#"{"event":{"payload":{"z":1,"a":2},"kind":"X"}}"#
        );
    }
}
