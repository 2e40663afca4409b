//! The demo page at `/_mock/ui`: one HTML file, a stylesheet and a script,
//! compiled into the binary (no build step, no CDN), so it works offline and
//! in the Docker image. It reads and steers the server through the same API
//! and control plane a test suite uses, marking its own requests with
//! `x-extend-mock-ui: <the server's ui_key>` so they stay out of the
//! journal and the faults.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;
use crate::sandboxes::Server;

const PAGE: &str = include_str!("../ui/index.html");
const SCRIPT: &str = include_str!("../ui/app.js");
const STYLE: &str = include_str!("../ui/app.css");

/// Every request the page makes goes to the server it came from; nothing
/// else runs or loads.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// The total size of the page's files, as docs/demo-page.md states it.
pub const ASSET_BYTES: usize = PAGE.len() + SCRIPT.len() + STYLE.len();

fn serve(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The page, with the server's `ui_key` in a `<meta>` for the script to
/// mark its requests with; none with `--admin-token` (the page, which is
/// served without it, then marks them with the token it asks for).
pub async fn page(State(server): State<Arc<Server>>) -> Response {
    let key = match server.default.settings.admin_token {
        Some(_) => "",
        None => &server.ui_key,
    };
    let marked = PAGE.replacen(
        "<meta charset=\"utf-8\">",
        &format!(
            "<meta charset=\"utf-8\">\n<meta name=\"extend-mock-ui\" content=\"{}\">",
            key
        ),
        1,
    );
    serve(marked, "text/html; charset=utf-8")
}

pub async fn asset(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.js" => serve(SCRIPT, "text/javascript; charset=utf-8"),
        "app.css" => serve(STYLE, "text/css; charset=utf-8"),
        _ => ApiError::NotFound {
            method: "GET".into(),
            path: format!("/_mock/ui/{name}"),
        }
        .into_response(),
    }
}
