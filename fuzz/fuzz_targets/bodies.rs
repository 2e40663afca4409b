//! The request body of every POST and PUT, through the whole service (auth,
//! envelope, router, handler) in process: any body is answered below 500
//! (or 501 for what is not emulated, 504 for a sync call past its time),
//! never a panic or another 5xx.
//!
//! Input: the first byte picks the route, the second the content type, the
//! rest is the body. Faults and rules a body adds are cleared after each
//! input (they would answer the next one 5xx on purpose), and the state is
//! reset now and then so it does not grow without end.
#![no_main]

use std::sync::{Arc, LazyLock, Mutex};

use axum::body::Body;
use axum::http::{Method, Request};
use extend_mock::{AppState, Server, Settings, app};

use libfuzzer_sys::fuzz_target;
use std::convert::Infallible;

use axum::response::Response;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

const TOKEN: &str = "Bearer sk_test_acme";

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/processor_runs"),
    ("POST", "/v1/processor_runs"),
    ("POST", "/processor_runs/{run}/cancel"),
    ("POST", "/processors"),
    ("POST", "/processors/{processor}"),
    ("POST", "/processors/{processor}/publish"),
    ("POST", "/files/upload"),
    ("POST", "/webhook_endpoints"),
    ("POST", "/webhook_endpoints/wh_missing"),
    ("PUT", "/_mock/fixtures"),
    ("POST", "/_mock/processor_runs"),
    ("POST", "/_mock/processor_runs/{run}/finish"),
    ("POST", "/_mock/processor_runs/{run}/fail"),
    ("POST", "/_mock/processor_runs/{run}/hold"),
    ("POST", "/_mock/rules"),
    ("POST", "/_mock/reset"),
    ("POST", "/_mock/faults"),
    ("POST", "/_mock/webhooks/test"),
    ("POST", "/_mock/sandboxes"),
    ("POST", "/_mock/webhooks/deliveries/whd_missing/redeliver"),
    ("POST", "/extract_runs"),
    ("POST", "/extract"),
    ("POST", "/extract_runs/{run}/cancel"),
    ("POST", "/extractors"),
    ("POST", "/extractors/{processor}"),
    ("POST", "/extractors/{processor}/versions"),
    ("POST", "/classify_runs"),
    ("POST", "/classify"),
    ("POST", "/classify_runs/{run}/cancel"),
    ("POST", "/classifiers"),
    ("POST", "/classifiers/{processor}"),
    ("POST", "/classifiers/{processor}/versions"),
    ("POST", "/split_runs"),
    ("POST", "/split"),
    ("POST", "/split_runs/{run}/cancel"),
    ("POST", "/splitters"),
    ("POST", "/splitters/{processor}"),
    ("POST", "/splitters/{processor}/versions"),
    ("POST", "/extract_runs/batch"),
    ("POST", "/classify_runs/batch"),
    ("POST", "/split_runs/batch"),
    ("POST", "/parse_runs"),
    ("POST", "/parse"),
    ("POST", "/parse_runs/batch"),
];

/// The sync calls: past their (short) time they answer 504, the one 5xx
/// besides 501 a request may get.
const SYNC: &[&str] = &["/extract", "/classify", "/split", "/parse"];

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    None,
    Some("multipart/form-data; boundary=X"),
    Some("text/plain"),
];

struct Harness {
    runtime: tokio::runtime::Runtime,
    service: BoxCloneSyncService<Request<Body>, Response, Infallible>,
    run: String,
    processor: String,
    inputs: Mutex<u64>,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let state = AppState::for_tests(
        extend_mock::fixtures::DEFAULT_DOCUMENT,
        "fuzz",
        // Runs end at once, and a sync call past its (short) time answers
        // 504, the one 5xx it may give.
        Settings {
            processing_time: std::time::Duration::ZERO,
            sync_timeout: std::time::Duration::from_millis(50),
            ..Settings::default()
        },
    )
    .expect("the built-in fixtures load");
    let (run, processor) = state
        .store()
        .runs()
        .find(|run| run.workspace_id == "ws_acme" && run.status.as_str() == "PROCESSING")
        .map(|run| (run.id.as_str().to_owned(), run.processor_id.clone()))
        .expect("the built-in fixtures have a run in progress in ws_acme");
    Harness {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        service: BoxCloneSyncService::new(app(Arc::new(Server::new(Arc::new(state))))),
        run,
        processor,
        inputs: Mutex::new(0),
    }
});

fn request(method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .header("authorization", TOKEN)
        .header("x-extend-api-version", "2026-02-09");
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(Body::from(body)).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let [route, content_type, body @ ..] = data else {
        return;
    };
    let h = &*HARNESS;
    let (method, path) = ROUTES[usize::from(*route) % ROUTES.len()];
    let path = path
        .replace("{run}", &h.run)
        .replace("{processor}", &h.processor);
    let content_type = CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()];
    let mut service = h.service.clone();
    h.runtime.block_on(async {
        let response = service
            .ready()
            .await
            .unwrap()
            .call(request(method, &path, content_type, body.to_vec()))
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            status < 500 || status == 501 || (SYNC.contains(&path.as_str()) && status == 504),
            "{method} {path} answered {status} for {:?}",
            String::from_utf8_lossy(body)
        );
        let mut inputs = h.inputs.lock().unwrap();
        *inputs += 1;
        let mut cleanup = vec![("DELETE", "/_mock/faults"), ("DELETE", "/_mock/rules")];
        if *inputs % 1000 == 0 {
            cleanup.push(("POST", "/_mock/reset"));
        }
        for (method, path) in cleanup {
            let response = service
                .ready()
                .await
                .unwrap()
                .call(request(method, path, None, Vec::new()))
                .await
                .unwrap();
            assert!(response.status().is_success(), "{method} {path}");
        }
    });
});
