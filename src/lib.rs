//! extend-mock: a local, stateful emulator of the Extend API.
//!
//! `app` builds the `Router` from the shared state and `serve` runs it on a
//! listener, so the binary and the tests run exactly the same service.

pub mod body_cache;
pub mod config;
pub mod configs;
pub mod control;
pub mod families;
pub mod faults;
pub mod fixtures;
pub mod full_run;
pub mod generate;
pub mod healthcheck;
pub mod home;
pub mod http;
pub mod journal;
pub mod lifecycle;
pub mod links;
pub mod log_sink;
pub mod openapi;

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

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    // The legacy run routes, also under their documented `/v1` prefix.
    let runs = Router::new()
        .route(
            "/processor_runs",
            get(routes::processor_runs::list).post(routes::processor_runs::create),
        )
        .route(
            "/processor_runs/{id}/cancel",
            post(routes::processor_runs::cancel),
        )
        .route(
            "/processor_runs/{id}",
            get(routes::processor_runs::get).delete(routes::processor_runs::delete),
        );
    let routes = Router::new()
        .merge(runs.clone())
        .nest("/v1", runs)
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
        .route("/_parse_output/{id}", get(families::parse::output))
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
        .merge(families::router())
        .route("/", {
            let page = home::page(server.default.settings.control_plane);
            get(move || home::home(page.clone()))
        })
        .nest("/_mock", control::router(&server))
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
    "evaluation_set_runs",
    "evaluation_sets",
    "verify",
    "verify_runs",
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
/// Serves until the listener fails. `state` is the default sandbox; others
/// are made through `/_mock/sandboxes`.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    serve_until(listener, state, std::future::pending()).await
}

/// Serves until `shutdown` resolves, then stops accepting and lets the
/// connections finish what they are answering.
///
/// Each connection is HTTP/1.1 with a deadline for a request's head
/// (`--header-timeout`): a client that sends half a header, or keeps an idle
/// connection open, is closed when it passes. At most `--max-connections`
/// are open at once; one more is answered `503` in the API's error shape
/// and closed, so the server always keeps descriptors to work with.
pub async fn serve_until(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = app(Arc::new(Server::new(Arc::clone(&state))));
    serve_service(listener, state, service, shutdown).await
}

/// `serve_until` with the whole service wrapped in the embedder's own tower
/// layers (a test suite's response check, a recorder): `wrap` gets the
/// service boxed and answers the one to serve.
pub async fn serve_until_wrapped<S: Served>(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    wrap: impl FnOnce(BoxedService) -> S,
) -> std::io::Result<()> {
    let service = wrap(BoxedService::new(app(Arc::new(Server::new(Arc::clone(
        &state,
    ))))));
    serve_service(listener, state, service, shutdown).await
}

/// The service `serve_until_wrapped` hands its `wrap`.
pub type BoxedService = tower::util::BoxCloneSyncService<Request, Response, Infallible>;

/// What the connection loop serves: the app, or the app in an embedder's
/// own layers (`serve_until_wrapped`).
pub trait Served:
    Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + 'static
{
}

impl<S> Served for S where
    S: Service<Request, Response = Response, Error = Infallible, Future: Send>
        + Clone
        + Send
        + 'static
{
}

async fn serve_service<S: Served>(
    listener: TcpListener,
    state: Arc<AppState>,
    service: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let _tasks = Tasks::start(&state);
    let settings = state.settings.clone();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout);
    let open = Arc::new(tokio::sync::Semaphore::new(settings.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset while queued:
                    // wait a moment rather than spin, as axum::serve does.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            tokio::spawn(refuse(stream, settings.max_connections));
            continue;
        };
        let service = service.clone();
        let hyper_service = TowerToHyperService::new(tower::service_fn(
            move |request: Request<hyper::body::Incoming>| {
                let mut service = service.clone();
                async move { service.call(request.map(axum::body::Body::new)).await }
            },
        ));
        // hyper's own answer to a request it cannot read, in the API's shape.
        let stream = crate::http::unreadable::ErrorShaped::new(stream);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), hyper_service));
        tokio::spawn(async move {
            // A client that goes away or passes the header deadline ends here.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The answer to a connection past `--max-connections`: a `503` in the
/// API's error shape, then the connection is closed.
async fn refuse(mut stream: tokio::net::TcpStream, max: usize) {
    use tokio::io::AsyncWriteExt;
    let id = crate::http::context::generate();
    let refusal = ApiError::Unavailable(format!(
        "This server holds {max} connections, the most it takes (--max-connections); \
         retry shortly"
    ));
    let body = refusal.body(&id);
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: {}\r\nx-request-id: {id}\r\n\
         connection: close\r\n\r\n",
        body.len(),
        refusal.retry_after().unwrap_or(1)
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), write).await;
    tracing::warn!(max, "a connection past --max-connections was answered 503");
}
