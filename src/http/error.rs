//! `ApiError`: every way an API request can fail, and the one place that writes
//! error bodies. Each body carries the legacy shape (`success`, `error`) and the
//! current one (`code`, `message`, `retryable`, `requestId`) at once, so any
//! client's parser finds what it looks for (SPEC Part 2).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::context;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: bad or missing token, or a workspace the key may not use.
    #[error("{0}")]
    Unauthorized(String),
    /// 400: the message names the header or parameter at fault.
    #[error("{0}")]
    InvalidRequest(String),
    #[error("No route for {method} {path}")]
    NotFound { method: String, path: String },
    /// 404 for a run that does not exist, belongs to another workspace, or
    /// has an id that could not exist: the same words for all three, so a
    /// caller learns nothing about other workspaces (SPEC Part 4).
    #[error("Processor run `{0}` not found")]
    RunNotFound(String),
    /// 404 for a processor, with the same no-leak rule as runs.
    #[error("Processor `{0}` not found")]
    ProcessorNotFound(String),
    #[error("Processor version `{0}` not found")]
    VersionNotFound(String),
    #[error("File `{0}` not found")]
    FileNotFound(String),
    /// 404 with its own words (`Extractor `ex_…` not found`): the same
    /// no-leak rule as runs.
    #[error("{0}")]
    Missing(String),
    #[error("Webhook endpoint `{0}` not found")]
    EndpointNotFound(String),
    #[error("Webhook delivery `{0}` not found")]
    DeliveryNotFound(String),
    #[error("No journal entry for request `{0}`")]
    RequestNotFound(String),
    /// 404 for a sandbox a control request or download link names.
    #[error("Sandbox `{0}` not found; GET /_mock/sandboxes lists them")]
    SandboxNotFound(String),
    /// 404 for a request that waited on a run (`sync: true`) of a sandbox
    /// that was dropped meanwhile: answered at once, not at the timeout.
    #[error(
        "Sandbox `{0}` was dropped while this request waited for its run; the run went with it"
    )]
    SandboxDropped(String),
    /// 409: a name already taken (sandboxes).
    #[error("{0}")]
    Conflict(String),
    /// 503 with `Retry-After: 1`: the server is at `--max-connections`.
    #[error("{0}")]
    Unavailable(String),
    /// 413: an upload over a size limit; the message names the flag.
    #[error("{0}")]
    TooLarge(String),
    /// 501: a path of the real API that extend-mock does not emulate.
    #[error(
        "`{method} {path}` is part of the Extend API that extend-mock does not emulate (yet). \
         Emulated: /extract_runs, /classify_runs, /split_runs, /parse_runs, their sync calls \
         (/extract, /classify, /split, /parse) and batches (/batch_runs), /extractors, \
         /classifiers and /splitters with their versions, /workflows with their versions, \
         /workflow_runs, /webhook_subscriptions, /edit_runs and /edit (with /edit_templates), \
         /form_detection_runs, /detect_form and /edit_schemas/generate (the current API), /processor_runs (list, get, \
         create, cancel, delete), /processors and their versions, /files, /webhook_endpoints; \
         see the README's \"What is emulated\" (also served at /_mock/docs/project-readme.md)"
    )]
    NotImplemented { method: String, path: String },
    /// 504 from a sync call (`POST /extract`…) whose run did not end within
    /// `--sync-timeout`: the run goes on, and `runId` in the body says which
    /// to poll (the API's `ApiError.runId`).
    #[error(
        "The run did not finish within {seconds} s (--sync-timeout); it goes on: poll it by its \
         id ({run_id})"
    )]
    SyncTimeout { run_id: String, seconds: u64 },
    /// 501 for a part of a call extend-mock does not emulate (a body field).
    #[error("{0}")]
    NotEmulated(String),
    /// 403: a download link that is expired or not signed by this server.
    #[error("{0}")]
    Forbidden(String),
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    /// 400, 414 or 431: a request the HTTP layer could not read (hyper
    /// answers it before any route; `http::unreadable` reshapes that answer).
    #[error(
        "The request could not be read as HTTP/1.1 ({0}); nothing was done. Check the request \
         line and headers"
    )]
    Unreadable(StatusCode),
    /// 429 from the per-key limit (`--rate-limit`).
    #[error("Rate limit exceeded for this API key; retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// A fault a test asked for through `POST /_mock/faults`.
    #[error("Injected fault: {status} (set through /_mock/faults)")]
    Injected {
        status: StatusCode,
        retry_after: Option<u64>,
    },
    /// Our own fault. The cause is logged; the client sees only "Internal error".
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a store refusal means to a caller; a run, processor, version or file
/// that is not there (or is another workspace's) is the same 404.
impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match err {
            StoreError::RunNotFound(id) => ApiError::RunNotFound(id),
            StoreError::ProcessorNotFound(id) => ApiError::ProcessorNotFound(id),
            StoreError::VersionNotFound(id) => ApiError::VersionNotFound(id),
            StoreError::FileNotFound(id) => ApiError::FileNotFound(id),
            StoreError::EndpointNotFound(id) => ApiError::EndpointNotFound(id),
            StoreError::TooLarge(message) => ApiError::TooLarge(message),
            StoreError::Invalid { field, reason } => {
                crate::http::body::invalid_field(&field, reason)
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. }
            | ApiError::RunNotFound(_)
            | ApiError::ProcessorNotFound(_)
            | ApiError::VersionNotFound(_)
            | ApiError::FileNotFound(_)
            | ApiError::Missing(_)
            | ApiError::EndpointNotFound(_)
            | ApiError::DeliveryNotFound(_)
            | ApiError::RequestNotFound(_)
            | ApiError::SandboxNotFound(_)
            | ApiError::SandboxDropped(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotImplemented { .. } | ApiError::NotEmulated(_) => {
                StatusCode::NOT_IMPLEMENTED
            }
            ApiError::SyncTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Injected { status, .. } => *status,
            ApiError::Unreadable(status) => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The API's error code. 405 and 503 have none documented;
    /// `METHOD_NOT_ALLOWED` and `SERVICE_UNAVAILABLE` are ours.
    pub fn code(&self) -> &'static str {
        match self.status() {
            StatusCode::BAD_REQUEST => "INVALID_REQUEST",
            StatusCode::UNAUTHORIZED => "UNAUTHORIZED",
            StatusCode::FORBIDDEN => "FORBIDDEN",
            StatusCode::PAYLOAD_TOO_LARGE => "FILE_TOO_LARGE",
            StatusCode::NOT_FOUND => "NOT_FOUND",
            StatusCode::CONFLICT => "CONFLICT",
            StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
            StatusCode::TOO_MANY_REQUESTS => "RATE_LIMIT_EXCEEDED",
            StatusCode::SERVICE_UNAVAILABLE => "SERVICE_UNAVAILABLE",
            StatusCode::NOT_IMPLEMENTED => "NOT_IMPLEMENTED",
            StatusCode::GATEWAY_TIMEOUT => "TIMEOUT",
            s if s.is_server_error() => "INTERNAL_ERROR",
            _ => "INVALID_REQUEST",
        }
    }

    /// What the API says a client may retry: rate limits and server errors.
    pub fn retryable(&self) -> bool {
        // A sync call past its time made its run: retrying makes another.
        if matches!(self, ApiError::Unreadable(_) | ApiError::SyncTimeout { .. }) {
            return false;
        }
        let status = self.status();
        status == StatusCode::TOO_MANY_REQUESTS
            || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED)
    }

    /// The error body, as every error answers it.
    pub fn body(&self, request_id: &str) -> Vec<u8> {
        let message = self.client_message();
        serde_json::to_vec(&ErrorBody {
            success: false,
            error: &message,
            code: self.code(),
            message: &message,
            retryable: self.retryable(),
            request_id,
            run_id: match self {
                ApiError::SyncTimeout { run_id, .. } => Some(run_id),
                _ => None,
            },
        })
        .expect("an error body always serializes")
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after } => Some(*retry_after),
            ApiError::Injected { retry_after, .. } => *retry_after,
            ApiError::Unavailable(_) => Some(1),
            _ => None,
        }
    }

    pub fn client_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "Internal error".to_owned(),
            // Messages quote what the client sent; none is sent back whole
            // past a few hundred characters.
            other => crate::fixtures::clip(other.to_string(), 4096),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    success: bool,
    error: &'a str,
    code: &'a str,
    message: &'a str,
    retryable: bool,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = context::current().unwrap_or_else(context::generate);
        if let ApiError::Internal(cause) = &self {
            tracing::error!(request_id = %request_id, "internal error: {cause:#}");
        }
        let body = self.body(&request_id);
        let mut response = (
            self.status(),
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if matches!(
            self,
            ApiError::NotImplemented { .. } | ApiError::NotEmulated(_)
        ) {
            let headers = response.headers_mut();
            let (retry_after, retry_after_ms) = not_implemented_retry_hints(SystemTime::now());
            headers.insert(axum::http::header::RETRY_AFTER, retry_after);
            headers.insert("retry-after-ms", retry_after_ms);
        }
        response
    }
}

/// A 501 will answer a retry the same way, but the official SDKs retry every
/// 5xx twice, by default after about 1 s and then 2 s. What they honour
/// instead (read in extend-ai 1.20.0's `http_client.py` and 1.17.0's
/// `requestWithRetries.js`): a `Retry-After` of whole seconds above 0, or an
/// HTTP date still ahead of them. The earliest that both take is the next
/// whole second, at least 100 ms ahead so a slow reader does not find it past
/// (a date past falls back to the backoff). `retry-after-ms: 1` is for the
/// SDKs that read it: Python 1.20.0 means to (a `str > int` comparison makes
/// it skip the header), TypeScript 1.17.0 does not.
fn not_implemented_retry_hints(now: SystemTime) -> (HeaderValue, HeaderValue) {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let next_second = (since_epoch + Duration::from_millis(100)).as_secs() + 1;
    let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(next_second));
    (
        HeaderValue::from_str(&date).expect("an HTTP date is a header value"),
        HeaderValue::from_static("1"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_501_asks_for_a_retry_at_the_next_whole_second_at_least_100_ms_ahead() {
        let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
        let date = |ms: u64| not_implemented_retry_hints(at(ms)).0;
        // 2026-12-02T16:00:00Z = 1796227200 s.
        assert_eq!(date(1_796_227_200_000), "Wed, 02 Dec 2026 16:00:01 GMT");
        assert_eq!(date(1_796_227_200_899), "Wed, 02 Dec 2026 16:00:01 GMT");
        assert_eq!(date(1_796_227_200_900), "Wed, 02 Dec 2026 16:00:02 GMT");
        assert_eq!(not_implemented_retry_hints(at(0)).1, "1");
    }
}
