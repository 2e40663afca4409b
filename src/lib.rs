//! extend-mock: a local, stateful emulator of the Extend API.
//!
//! `app` builds the `Router` from the shared state and `serve` runs it on a
//! listener, so the binary and the tests run exactly the same service.

pub mod body_cache;
pub mod config;
pub mod control;
pub mod faults;
pub mod fixtures;
pub mod full_run;
pub mod generate;
pub mod healthcheck;
pub mod http;
pub mod journal;
pub mod lifecycle;

pub mod domain;
pub mod page_token;
pub mod routes;
pub mod rules;
pub mod sandboxes;
pub mod startup;
pub mod state;
pub mod store;
pub mod ui;
pub mod webhooks;

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, ServiceExt};
use tokio::net::TcpListener;
use tower::{Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;

use crate::http::error::ApiError;
pub use crate::sandboxes::Server;
use crate::sandboxes::Tasks;
pub use crate::state::{AppState, Seed, Settings};

/// The whole service: the routes inside their envelope (`http::envelope::track`,
/// then panic catching). The envelope wraps the router once, not each route.
pub fn app(
    server: Arc<Server>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send>
+ Clone
+ Send
+ Sync
+ 'static {
    let state = &server.default;
    let routes = Router::new()
        .route(
            "/processor_runs",
            get(routes::processor_runs::list).post(routes::processor_runs::create),
        )
        .route(
            "/v1/processor_runs",
            get(routes::processor_runs::list).post(routes::processor_runs::create),
        )
        .route(
            "/processor_runs/{id}/cancel",
            post(routes::processor_runs::cancel),
        )
        .route(
            "/v1/processor_runs/{id}/cancel",
            post(routes::processor_runs::cancel),
        )
        .route(
            "/processor_runs/{id}",
            get(routes::processor_runs::get).delete(routes::processor_runs::delete),
        )
        .route(
            "/v1/processor_runs/{id}",
            get(routes::processor_runs::get).delete(routes::processor_runs::delete),
        )
        .route(
            "/processors",
            get(routes::processors::list).post(routes::processors::create),
        )
        .route("/processors/{id}", post(routes::processors::update))
        .route(
            "/processors/{id}/versions",
            get(routes::processors::versions),
        )
        .route(
            "/processors/{id}/publish",
            post(routes::processors::publish),
        )
        .route(
            "/processors/{id}/versions/{version_id}",
            get(routes::processors::version),
        )
        .route(
            "/files/upload",
            post(routes::files::upload).layer(DefaultBodyLimit::max(
                state
                    .settings
                    .file_limits
                    .max_file_bytes
                    .saturating_add(64 * 1024),
            )),
        )
        .route("/files", get(routes::files::list))
        .route(
            "/files/{id}",
            get(routes::files::retrieve).delete(routes::files::delete),
        )
        .route("/_download/{id}", get(routes::files::download))
        .route(
            "/webhook_endpoints",
            get(routes::webhook_endpoints::list).post(routes::webhook_endpoints::create),
        )
        .route(
            "/webhook_endpoints/{id}",
            get(routes::webhook_endpoints::retrieve)
                .post(routes::webhook_endpoints::update)
                .delete(routes::webhook_endpoints::delete),
        )
        .nest("/_mock", control::router(state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(Arc::clone(&server));
    ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            server,
            http::envelope::track,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .service(routes)
}

/// The first path segments of the real API (as the official SDKs call it)
/// that extend-mock does not emulate: those answer 501, not a 404 that would
/// read like "this run does not exist".
const NOT_EMULATED: &[&str] = &[
    "batch_processor_runs",
    "batch_runs",
    "classifiers",
    "classify",
    "classify_runs",
    "detect_form",
    "edit",
    "edit_runs",
    "edit_schemas",
    "edit_templates",
    "evaluation_set_runs",
    "evaluation_sets",
    "extract",
    "extract_runs",
    "extractors",
    "form_detection_runs",
    "parse",
    "parse_runs",
    "split",
    "split_runs",
    "splitters",
    "verify",
    "verify_runs",
    "webhook_subscriptions",
    "workflow_runs",
    "workflows",
];

async fn not_found(method: Method, uri: Uri) -> ApiError {
    let path = uri.path();
    let first = path
        .strip_prefix("/v1/")
        .unwrap_or(path.trim_start_matches('/'))
        .split('/')
        .next()
        .unwrap_or("");
    if NOT_EMULATED.contains(&first) {
        return ApiError::NotImplemented {
            method: method.to_string(),
            path: path.to_owned(),
        };
    }
    ApiError::NotFound {
        method: method.to_string(),
        path: path.to_owned(),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

/// A bug must not drop the connection: answer 500 in the API's error shape.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::Internal(anyhow::anyhow!("handler panicked: {detail}")).into_response()
}

/// Serves until the listener fails.
/// `state` is the default sandbox; others are made through `/_mock/sandboxes`.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    let _tasks = Tasks::start(&state);
    let server = Arc::new(Server::new(state));
    axum::serve(listener, app(server).into_make_service()).await
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve_until(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _tasks = Tasks::start(&state);
    let server = Arc::new(Server::new(state));
    axum::serve(listener, app(server).into_make_service())
        .with_graceful_shutdown(shutdown)
        .await
}
