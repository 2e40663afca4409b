//! JSON request bodies of the API's routes: parsed with the field at fault
//! named (`config.type`), `null` read as absent (the Python SDK sends it for
//! parameters left out), fields the emulator does not know ignored as the
//! API ignores them.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use serde::de::DeserializeOwned;

use crate::fixtures;
use crate::http::error::ApiError;

pub(crate) const REQUEST_BODY: &str = "request body";

pub fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| ApiError::InvalidRequest(format!("{REQUEST_BODY}: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidRequest(format!(
            "{REQUEST_BODY}: empty; send a JSON object"
        )));
    }
    fixtures::parse_json(REQUEST_BODY, &bytes).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

/// A required text field that must say something.
pub fn non_empty(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "{REQUEST_BODY}: {field}: must not be empty"
        )));
    }
    Ok(())
}

/// A rule broken by one field of the body.
pub fn invalid_field(field: &str, reason: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidRequest(format!("{REQUEST_BODY}: {field}: {reason}"))
}
