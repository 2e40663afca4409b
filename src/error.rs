//! `ApiError`: every way an API request can fail, and the one place that writes
//! error bodies. Each body carries the legacy shape (`success`, `error`) and the
//! current one (`code`, `message`, `retryable`, `requestId`) at once, so any
//! client's parser finds what it looks for (SPEC Part 2).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::request_id;

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
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    /// Our own fault. The cause is logged; the client sees only "Internal error".
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The API's error code. 405 has none documented; `METHOD_NOT_ALLOWED` is ours.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "UNAUTHORIZED",
            ApiError::InvalidRequest(_) => "INVALID_REQUEST",
            ApiError::NotFound { .. } => "NOT_FOUND",
            ApiError::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            ApiError::Internal(_) => "INTERNAL_ERROR",
        }
    }

    pub fn retryable(&self) -> bool {
        matches!(self, ApiError::Internal(_))
    }

    fn client_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "Internal error".to_owned(),
            other => other.to_string(),
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
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = request_id::current().unwrap_or_else(request_id::generate);
        if let ApiError::Internal(cause) = &self {
            tracing::error!(request_id = %request_id, "internal error: {cause:#}");
        }
        let message = self.client_message();
        let body = ErrorBody {
            success: false,
            error: &message,
            code: self.code(),
            message: &message,
            retryable: self.retryable(),
            request_id: &request_id,
        };
        (self.status(), axum::Json(body)).into_response()
    }
}
