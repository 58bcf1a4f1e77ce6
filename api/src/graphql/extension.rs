//! What the GraphQL specification asks of execution and async-graphql 7 leaves out, as one
//! extension that every request (HTTP, WebSocket, SSE) runs with.
//!
//! - **Null propagation** ([`nulls`]). async-graphql drops a field that fails from its parent
//!   object, whatever its type. The specification makes it `null`, and when its type is non-null
//!   the `null` moves to its parent, up to the nearest nullable field or list item, or to `data`
//!   itself. Clients generated from the schema rely on a non-null field being there.
//! - **Required variables** ([`variables`]). async-graphql checks the variables that arguments
//!   use against the arguments' types before anything runs, but not that a non-null variable
//!   was given at all, which it finds out only once a field asks for it. Such a request cannot
//!   run: it is refused with the validation errors, as the specification's
//!   `CoerceVariableValues` does.
//!
//! - **Answers in selection order** ([`order`]). async-graphql writes an object's fields as
//!   they finish; the specification, and anyone comparing bytes, wants the selection's order.
//!
//! async-graphql creates the extension afresh for each request, so its state is the request's.
//! A subscription keeps it for its whole stream; each result is settled before the next starts.

mod nulls;
mod order;
mod variables;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextResolve, NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};

use nulls::Nulls;
use order::Shape;

/// Creates the extension for each request.
#[derive(Debug, Clone, Copy)]
pub(super) struct SpecRules;

impl ExtensionFactory for SpecRules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestRules::default())
    }
}

#[derive(Debug, Default)]
struct RequestRules {
    operation_name: Mutex<Option<String>>,
    /// Errors for the non-null variables the request left out, found once its document is
    /// parsed and reported with validation's.
    unset_variables: Mutex<Vec<ServerError>>,
    nulls: Nulls,
    /// The document, kept from parsing for the order of the answers; its shape, worked out at
    /// the first result (after validation, so over a document known to be sound).
    document: Mutex<Option<ExecutableDocument>>,
    shape: OnceLock<Option<Shape>>,
}

/// The lock's value; a panic elsewhere while it was held leaves nothing half-written here.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestRules {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        lock(&self.operation_name).clone_from(&request.operation_name);
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let name = lock(&self.operation_name).clone();
        *lock(&self.unset_variables) = variables::unset(&document, name.as_deref(), variables);
        *lock(&self.document) = Some(document.clone());
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let unset = std::mem::take(&mut *lock(&self.unset_variables));
        match next.run(ctx).await {
            Ok(result) if unset.is_empty() => Ok(result),
            Ok(_) => Err(unset),
            Err(mut errors) => {
                errors.extend(unset);
                Err(errors)
            }
        }
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        self.nulls.finish(&mut response);
        let shape = self.shape.get_or_init(|| {
            let document = lock(&self.document).take()?;
            Shape::of(&document, operation_name)
        });
        if let Some(shape) = shape {
            shape.arrange(&mut response.data);
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let (path, return_type) = (info.path_node, info.return_type);
        Ok(match next.run(ctx, info).await {
            Ok(value) => self.nulls.settle(path, return_type, value),
            Err(error) => Some(self.nulls.failed(path, return_type, error)),
        })
    }
}
