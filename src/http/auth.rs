//! `Caller`: who is asking, as one typed value built from `Authorization`,
//! `x-extend-api-version` and `x-extend-workspace-id`, checked in the SPEC's order
//! (token, then version, then workspace) so the first failure is the one answered.
//! Header names are case-insensitive by HTTP; `HeaderMap` already folds them.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::domain::ApiKey;
use crate::domain::{ApiVersion, KeyScope};
use crate::http::context::{self, Sandbox};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::Store;

pub const API_VERSION_HEADER: &str = "x-extend-api-version";
pub const WORKSPACE_HEADER: &str = "x-extend-workspace-id";

#[derive(Clone, Debug)]
pub struct Caller {
    /// The key's fixture name, safe to log; never the token.
    pub key_name: Arc<str>,
    pub api_version: ApiVersion,
    pub workspace_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Sandbox(state) = Sandbox::from_request_parts(parts, &()).await?;
        let store = state.store();
        authenticate(&parts.headers, &store, &state)
    }
}

fn supported_versions() -> String {
    ApiVersion::ALL
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The headers that say who asks and for what, each sent at most once: with
/// two, which one counts would be a guess.
pub fn once(headers: &HeaderMap) -> Result<(), ApiError> {
    for name in [
        axum::http::header::AUTHORIZATION.as_str(),
        API_VERSION_HEADER,
        WORKSPACE_HEADER,
    ] {
        let count = headers.get_all(name).iter().count();
        if count > 1 {
            return Err(ApiError::InvalidRequest(format!(
                "Header `{name}` was sent {count} times; send it once"
            )));
        }
    }
    Ok(())
}

/// A header's value as text, with a 400 naming the header when it is not.
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str().map(str::trim).map_err(|_| {
                ApiError::InvalidRequest(format!("Header `{name}` is not readable text"))
            })
        })
        .transpose()
}

/// The key is rate-limited (`--rate-limit`) as soon as it is known, so a flood
/// with a valid key is refused before any other work, as the real API does.
pub fn authenticate(
    headers: &HeaderMap,
    store: &Store,
    state: &AppState,
) -> Result<Caller, ApiError> {
    once(headers)?;
    let token = bearer_token(headers).map_err(|msg| ApiError::Unauthorized(msg.to_owned()))?;
    let (key, key_name) = store
        .key(token)
        .ok_or_else(|| ApiError::Unauthorized("Invalid API key".to_owned()))?;
    let key_name = Arc::clone(key_name);
    context::note_caller(|note| note.key_name = Some(Arc::clone(&key_name)));
    if !context::is_observer() {
        state
            .check_rate(&key.token)
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    }
    let api_version = api_version(headers, key)?;
    let workspace_id = workspace(headers, key, store)?;
    context::note_caller(|note| note.workspace_id = Some(workspace_id.clone()));
    Ok(Caller {
        key_name,
        api_version,
        workspace_id,
    })
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any
/// case), or the reason the header is not one. The control plane's admin token
/// is read the same way.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, &'static str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or("Missing Authorization header; send `Authorization: Bearer <API key>`")?;
    let malformed = "The Authorization header must be `Bearer <API key>`";
    value
        .to_str()
        .map_err(|_| malformed)?
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or(malformed)
}

fn api_version(headers: &HeaderMap, key: &ApiKey) -> Result<ApiVersion, ApiError> {
    match header_text(headers, API_VERSION_HEADER)? {
        Some(raw) => ApiVersion::parse(raw).map_err(|_| {
            ApiError::InvalidRequest(format!(
                "Unsupported `{API_VERSION_HEADER}` `{raw}`; supported versions: {}",
                supported_versions()
            ))
        }),
        None => key.default_api_version.ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "Missing `{API_VERSION_HEADER}` header; this API key requires one of: {}",
                supported_versions()
            ))
        }),
    }
}

fn workspace(headers: &HeaderMap, key: &ApiKey, store: &Store) -> Result<String, ApiError> {
    let requested = header_text(headers, WORKSPACE_HEADER)?.filter(|v| !v.is_empty());
    let forbidden =
        |ws: &str| ApiError::Unauthorized(format!("This API key may not access workspace `{ws}`"));
    match key.scope {
        KeyScope::Workspace => {
            let own = key
                .workspace_id
                .as_deref()
                .expect("the store only admits workspace keys that name their workspace");
            match requested {
                Some(ws) if ws != own => Err(forbidden(ws)),
                _ => Ok(own.to_owned()),
            }
        }
        KeyScope::Organization => {
            let ws = requested.ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "Organization API keys must name the target workspace in the \
                     `{WORKSPACE_HEADER}` header"
                ))
            })?;
            let belongs = store
                .workspace_org(ws)
                .is_some_and(|org| Some(org) == key.organization_id.as_deref());
            if belongs {
                Ok(ws.to_owned())
            } else {
                Err(forbidden(ws))
            }
        }
    }
}
