//! `GET /openapi.json`: the webhook routes as an OpenAPI document, generated from the handler's
//! own annotations, so it cannot drift from the code. `.ci/run` has schemathesis check the
//! service against it.

use axum::Json;
use utoipa::OpenApi;

use super::receive;
use crate::domain::kind::WebhookKind;
use crate::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mobiniti-events webhooks",
        description = "The six webhooks Mobiniti sends. Each delivery is answered 200 only once it \
                       is stored; every error is `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(receive::receive),
    components(schemas(receive::Receipt, ErrorBody, ErrorDetail, WebhookKind))
)]
struct WebhookApi;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(WebhookApi::openapi())
}

/// In the OpenAPI document: the names in `/webhooks/mobiniti/{kind}`. Here, not beside the type:
/// the document is the HTTP edge's, and the domain knows nothing of it.
impl utoipa::PartialSchema for WebhookKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(WebhookKind::ALL.map(WebhookKind::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for WebhookKind {}
