//! Non-null variables must be given: the part of `CoerceVariableValues` that async-graphql's
//! validation leaves to execution. (Values that are given are checked against the types of the
//! arguments that use them, by validation, with each scalar's `is_valid`.)

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerError, Value, Variables};

use crate::error::ErrorCode;
use crate::graphql::errors::with_code;
use crate::graphql::http::operation;

/// An error for each non-null variable without a default that `variables` leaves out or sets
/// to `null`, in the operation that would run.
pub(super) fn unset(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Vec<ServerError> {
    let Some(operation) = operation(document, operation_name) else {
        // No such operation: validation says so.
        return Vec::new();
    };
    let definitions = operation.node.variable_definitions.iter();
    definitions
        .filter_map(|definition| {
            let (pos, definition) = (definition.pos, &definition.node);
            let ty = &definition.var_type.node;
            if ty.nullable || definition.default_value.is_some() {
                return None;
            }
            let name = &definition.name.node;
            let message = match variables.get(name) {
                Some(Value::Null) => {
                    format!("the variable `${name}` is of type `{ty}`, which cannot be null")
                }
                Some(_) => return None,
                None => format!(
                    "the variable `${name}` is of type `{ty}` and has no default: give it in \
                     `variables`"
                ),
            };
            let error = ServerError::new(message, Some(pos));
            Some(with_code(error, ErrorCode::BadUserInput))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn messages(query: &str, variables: serde_json::Value) -> Vec<String> {
        let document = parse_query(query).expect("a document");
        unset(&document, None, &Variables::from_json(variables))
            .into_iter()
            .map(|error| error.message)
            .collect()
    }

    #[test]
    fn a_non_null_variable_needs_a_value() {
        let query = "query($a: Position!, $b: Position, $c: Int! = 3) { events { totalCount } }";
        assert_eq!(messages(query, json!({"a": "1"})), Vec::<String>::new());
        let missing = messages(query, json!({}));
        assert_eq!(missing.len(), 1);
        assert!(missing[0].contains("`$a`") && missing[0].contains("Position!"));
        let null = messages(query, json!({"a": null}));
        assert!(null[0].contains("cannot be null"), "{null:?}");
    }
}
