//! `GET /`: what this server is and where to go from here (the demo page,
//! the docs, the OpenAPI document, health), and the docs themselves under
//! `/_mock/docs/`: the pages of `docs/`, compiled in, so a Docker container
//! carries the guide to the version it runs.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;

/// Every page of `docs/`, by file name (tests/docs.rs checks none is missing),
/// after the project's README.
pub const DOCS: &[(&str, &str)] = &[
    ("project-readme.md", include_str!("../README.md")),
    ("README.md", include_str!("../docs/README.md")),
    ("batches.md", include_str!("../docs/batches.md")),
    (
        "classification-and-splitting.md",
        include_str!("../docs/classification-and-splitting.md"),
    ),
    ("configuration.md", include_str!("../docs/configuration.md")),
    ("control-plane.md", include_str!("../docs/control-plane.md")),
    ("demo-page.md", include_str!("../docs/demo-page.md")),
    ("dependencies.md", include_str!("../docs/dependencies.md")),
    ("docker.md", include_str!("../docs/docker.md")),
    ("editing.md", include_str!("../docs/editing.md")),
    ("extraction.md", include_str!("../docs/extraction.md")),
    ("files.md", include_str!("../docs/files.md")),
    ("fixtures.md", include_str!("../docs/fixtures.md")),
    ("limitations.md", include_str!("../docs/limitations.md")),
    (
        "markers-and-rules.md",
        include_str!("../docs/markers-and-rules.md"),
    ),
    ("openapi.md", include_str!("../docs/openapi.md")),
    ("parsing.md", include_str!("../docs/parsing.md")),
    (
        "processor-runs.md",
        include_str!("../docs/processor-runs.md"),
    ),
    ("processors.md", include_str!("../docs/processors.md")),
    ("sandboxes.md", include_str!("../docs/sandboxes.md")),
    ("sdk-suites.md", include_str!("../docs/sdk-suites.md")),
    ("test-suites.md", include_str!("../docs/test-suites.md")),
    ("webhooks.md", include_str!("../docs/webhooks.md")),
    ("workflows.md", include_str!("../docs/workflows.md")),
    ("DECISIONS.md", include_str!("../docs/DECISIONS.md")),
    ("LIMITS.md", include_str!("../docs/LIMITS.md")),
];

/// A page's title: its first `# ` heading, else its file name.
fn title<'a>(name: &'a str, text: &'a str) -> &'a str {
    text.lines()
        .find_map(|line| line.strip_prefix("# "))
        .map(str::trim)
        .unwrap_or(name)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page `GET /` answers: links, the same with or without the control
/// plane except the demo page's. Written once, when the router is made.
pub fn page(control_plane: bool) -> Bytes {
    let demo = if control_plane {
        "<li><a href=\"/_mock/ui\">The demo page</a>: the runs of a workspace, their outputs, \
         and buttons that finish, fail or cancel them</li>"
    } else {
        "<li>The demo page (<code>/_mock/ui</code>) is off: this server runs with \
         <code>--no-control-plane</code></li>"
    };
    let docs: String = DOCS
        .iter()
        .map(|(name, text)| {
            format!(
                "<li><a href=\"/_mock/docs/{name}\">{}</a></li>",
                escape(title(name, text))
            )
        })
        .collect();
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>extend-mock {version}</title>\
         <style>body{{font:18px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;\
         padding:0 1rem}}code{{font-size:.9em}}</style></head><body>\
         <h1>extend-mock {version}</h1>\
         <p>A local, stateful emulator of the Extend document-processing API. Point an official \
         SDK here (<code>base_url</code> / <code>baseUrl</code>) with a key from the start-up \
         banner; the API's paths answer as <code>https://api.extend.ai</code> does, and the ones \
         it does not emulate answer <code>501</code>.</p>\
         <ul>{demo}\
         <li><a href=\"/_mock/openapi.json\">The OpenAPI document</a> of every path it serves</li>\
         <li><a href=\"/_mock/health\">Health</a></li></ul>\
         <h2>Docs</h2><ul>{docs}</ul></body></html>\n",
        version = env!("CARGO_PKG_VERSION"),
    );
    Bytes::from(page)
}

/// `GET /`: the page made by `page`.
pub async fn home(page: Bytes) -> Response {
    let mut response = page.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

/// `GET /_mock/docs` and `/_mock/docs/{page}`: a page of `docs/` as the
/// Markdown it is, shown as text.
pub async fn doc(page: Option<Path<String>>) -> Response {
    let name = page.map_or_else(|| "README.md".to_owned(), |Path(name)| name);
    match DOCS.iter().find(|(page, _)| *page == name) {
        Some((_, text)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            *text,
        )
            .into_response(),
        None => ApiError::NotFound {
            method: "GET".into(),
            path: format!("/_mock/docs/{name}"),
        }
        .into_response(),
    }
}
