//! `GET /openapi.json`: the webhook routes as an OpenAPI document, generated from the handler's
//! own annotations, so it cannot drift from the code. `.ci/run` has schemathesis check the
//! service against it.

use axum::Json;
use utoipa::OpenApi;

use super::receive;
use crate::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mobiniti-events webhooks",
        description = "The six webhooks Mobiniti sends. Each delivery is answered 200 only once it \
                       is stored; every error is `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(receive::receive),
    components(schemas(receive::Receipt, ErrorBody, ErrorDetail, super::WebhookKind))
)]
struct WebhookApi;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(WebhookApi::openapi())
}
