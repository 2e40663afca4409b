//! Start the real service on 127.0.0.1:0 and speak HTTP to it.

use std::sync::Arc;

use extend_mock::domain::PagingRules;
use extend_mock::{AppState, Settings};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::openapi::{SchemaCheck, Violations};

pub const SECRET: &str = "test-page-secret";
pub const VERSION: &str = "2026-02-09";

/// Keys of `FIXTURE`.
pub const KEY_A: &str = "key_a"; // workspace key, ws_a
pub const KEY_B: &str = "key_b"; // workspace key, ws_b
pub const KEY_ORG_A: &str = "key_org_a"; // organization key, org_a (ws_a, ws_b)
pub const KEY_C: &str = "key_c"; // workspace key, ws_c in org_c
pub const KEY_LEGACY: &str = "key_legacy"; // workspace key, ws_a, default version 2024-12-23

/// Query pairs as a test table writes them.
pub type Query<'a> = &'a [(&'a str, &'a str)];

pub const DEFAULT_RULES: PagingRules = PagingRules {
    default_page_size: 10,
    strict_tokens: false,
};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Responses that broke the OpenAPI document (`openapi.rs`).
    violations: Violations,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let violations = self.violations.lock().unwrap();
        if !std::thread::panicking() {
            assert!(
                violations.is_empty(),
                "responses that break openapi/openapi.json:\n{}",
                violations.join("\n")
            );
        }
    }
}

pub async fn spawn_app(fixture: &Value) -> TestApp {
    spawn_app_with(fixture, SECRET, DEFAULT_RULES).await
}

pub async fn spawn_app_with(fixture: &Value, secret: &str, rules: PagingRules) -> TestApp {
    let settings = Settings {
        paging: rules,
        ..Settings::default()
    };
    spawn_app_with_settings(fixture, secret, settings).await
}

pub async fn spawn_app_with_settings(fixture: &Value, secret: &str, settings: Settings) -> TestApp {
    let state = Arc::new(
        AppState::for_tests(&fixture.to_string(), secret, settings).expect("test fixture is valid"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let violations = Violations::default();
    let check = Arc::clone(&violations);
    let server = tokio::spawn(extend_mock::serve_until_wrapped(
        listener,
        Arc::clone(&state),
        std::future::pending(),
        move |service| SchemaCheck::new(service, check),
    ));
    TestApp {
        base,
        client: reqwest::Client::new(),
        state,
        server,
        violations,
    }
}

/// One run for a fixture document. Times are minutes after 2024-03-01T00:00:00Z.
#[allow(clippy::too_many_arguments)]
pub fn run(
    id: &str,
    workspace: &str,
    status: &str,
    processor_id: &str,
    processor_type: Option<&str>,
    source: &str,
    source_id: Option<&str>,
    file_name: &str,
    created_min: u32,
    updated_min: u32,
) -> Value {
    let mut run = json!({
        "id": id,
        "workspaceId": workspace,
        "status": status,
        "processorId": processor_id,
        "processorName": format!("Processor {processor_id}"),
        "processorVersionId": format!("exv_{processor_id}"),
        "source": source,
        "fileName": file_name,
        "createdAt": minutes(created_min),
        "updatedAt": minutes(updated_min),
    });
    if let Some(t) = processor_type {
        run["type"] = json!(t);
    }
    if let Some(s) = source_id {
        run["sourceId"] = json!(s);
    }
    run
}

pub fn minutes(m: u32) -> String {
    let base = time::macros::datetime!(2024-03-01 00:00:00 UTC);
    (base + time::Duration::minutes(i64::from(m)))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

pub fn organizations_and_keys() -> Value {
    json!({
        "organizations": [
            { "id": "org_a", "name": "Org A", "workspaces": [
                { "id": "ws_a", "name": "A" }, { "id": "ws_b", "name": "B" } ] },
            { "id": "org_c", "name": "Org C", "workspaces": [ { "id": "ws_c", "name": "C" } ] }
        ],
        "apiKeys": [
            { "token": KEY_A, "scope": "workspace", "workspaceId": "ws_a" },
            { "token": KEY_B, "scope": "workspace", "workspaceId": "ws_b" },
            { "token": KEY_ORG_A, "scope": "organization", "organizationId": "org_a" },
            { "token": KEY_C, "scope": "workspace", "workspaceId": "ws_c" },
            { "token": KEY_LEGACY, "scope": "workspace", "workspaceId": "ws_a",
              "defaultApiVersion": "2024-12-23" }
        ],
        "processorRuns": []
    })
}

/// Six runs in ws_a with ties on both sort fields, one in ws_b, one in ws_c.
///
/// | id    | status     | processor | type     | source        | sourceId | created | updated |
/// | exr_1 | PROCESSED  | ex_inv    | EXTRACT  | WORKFLOW_RUN  | wf_1     | 60      | 300     |
/// | exr_2 | FAILED     | ex_cls    | CLASSIFY | API           |          | 120     | 150     |
/// | exr_3 | PENDING    | ex_split  | SPLITTER | BATCH_…       | batch_1  | 180     | 180     |
/// | exr_4 | PROCESSING | ex_inv    | EXTRACT  | WORKFLOW_RUN  | wf_1     | 240     | 360     |
/// | exr_5 | CANCELLED  | ex_old    | (none)   | PLAYGROUND    |          | 300     | 300     |
/// | exr_6 | PROCESSED  | ex_inv    | EXTRACT  | STUDIO        |          | 60      | 420     |
pub fn fixture() -> Value {
    let mut doc = organizations_and_keys();
    doc["processorRuns"] = json!([
        run(
            "exr_1",
            "ws_a",
            "PROCESSED",
            "ex_inv",
            Some("EXTRACT"),
            "WORKFLOW_RUN",
            Some("wf_1"),
            "Invoice_March.pdf",
            60,
            300
        ),
        run(
            "exr_2",
            "ws_a",
            "FAILED",
            "ex_cls",
            Some("CLASSIFY"),
            "API",
            None,
            "W-2 2023.pdf",
            120,
            150
        ),
        run(
            "exr_3",
            "ws_a",
            "PENDING",
            "ex_split",
            Some("SPLITTER"),
            "BATCH_PROCESSOR_RUN",
            Some("batch_1"),
            "loan packet.PDF",
            180,
            180
        ),
        run(
            "exr_4",
            "ws_a",
            "PROCESSING",
            "ex_inv",
            Some("EXTRACT"),
            "WORKFLOW_RUN",
            Some("wf_1"),
            "INVOICE-0042.pdf",
            240,
            360
        ),
        run(
            "exr_5",
            "ws_a",
            "CANCELLED",
            "ex_old",
            None,
            "PLAYGROUND",
            None,
            "Rechnung_Müller.pdf",
            300,
            300
        ),
        run(
            "exr_6",
            "ws_a",
            "PROCESSED",
            "ex_inv",
            Some("EXTRACT"),
            "STUDIO",
            None,
            "Kontoauszug_ÜBER.pdf",
            60,
            420
        ),
        run(
            "exr_7",
            "ws_b",
            "PROCESSED",
            "ex_inv",
            Some("EXTRACT"),
            "ADMIN",
            None,
            "invoice_b.pdf",
            10,
            20
        ),
        run(
            "exr_8",
            "ws_c",
            "FAILED",
            "ex_c",
            Some("CLASSIFY"),
            "WORKFLOW_CONFIGURATION",
            None,
            "invoice_c.pdf",
            10,
            20
        ),
    ]);
    doc
}

/// `count` runs in ws_a, one minute apart, ids zero-padded so id order is time order.
pub fn many_runs(count: u32) -> Value {
    let mut doc = organizations_and_keys();
    doc["processorRuns"] = (0..count)
        .map(|i| {
            run(
                &format!("exr_{i:04}"),
                "ws_a",
                "PROCESSED",
                "ex_inv",
                Some("EXTRACT"),
                "API",
                None,
                &format!("file_{i}.pdf"),
                i,
                i,
            )
        })
        .collect();
    doc
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /processor_runs` with a bearer key, the SDKs' version header and
    /// the given query pairs (percent-encoded, as the SDKs do).
    pub async fn list(&self, key: &str, query: &[(&str, &str)]) -> Response {
        self.list_with(key, &[], query).await
    }

    pub async fn list_with(
        &self,
        key: &str,
        headers: &[(&str, &str)],
        query: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .client
            .get(self.url("/processor_runs"))
            .bearer_auth(key)
            .header("x-extend-api-version", VERSION)
            .query(query);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// A successful list's body; fails the test on any other status.
    pub async fn list_ok(&self, key: &str, query: &[(&str, &str)]) -> Value {
        let res = self.list(key, query).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "query {query:?} failed: {body}");
        body
    }

    /// Every page from the first, following `nextPageToken` until it is absent.
    /// Returns the ids in the order served, and the number of pages.
    pub async fn walk_all_pages(&self, key: &str, query: &[(&str, &str)]) -> (Vec<String>, usize) {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            if let Some(t) = &token {
                q.push(("nextPageToken", t));
            }
            let body = self.list_ok(key, &q).await;
            pages += 1;
            all.extend(ids(&body));
            match body.get("nextPageToken") {
                Some(Value::String(t)) => token = Some(t.clone()),
                None => return (all, pages),
                Some(other) => panic!("nextPageToken should be a string or absent, got {other}"),
            }
            assert!(pages < 10_000, "paging does not terminate");
        }
    }
}

pub fn ids(body: &Value) -> Vec<String> {
    body["processorRuns"]
        .as_array()
        .unwrap_or_else(|| panic!("no processorRuns in {body}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts an error response: status, code, the message containing `needle`,
/// both body shapes, and `requestId` equal to the `x-request-id` header.
pub async fn assert_error(
    res: Response,
    status: u16,
    code: &str,
    needle: &str,
    case: &str,
) -> Value {
    assert_eq!(res.status().as_u16(), status, "{case}: wrong status");
    let header = res
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("{case}: no x-request-id header"))
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{case}: {body}");
    assert_eq!(body["success"], false, "{case}: {body}");
    assert_eq!(body["error"], body["message"], "{case}: {body}");
    assert_eq!(body["requestId"], header.as_str(), "{case}: {body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(needle),
        "{case}: message `{message}` lacks `{needle}`"
    );
    body
}

impl TestApp {
    /// A request on one run's path (`/processor_runs/{id}`, or with the `/v1`
    /// prefix) with a bearer key and the SDKs' version header.
    pub async fn run_request(
        &self,
        method: reqwest::Method,
        prefix: &str,
        key: &str,
        id: &str,
    ) -> Response {
        self.client
            .request(method, self.url(&format!("{prefix}/processor_runs/{id}")))
            .bearer_auth(key)
            .header("x-extend-api-version", VERSION)
            .send()
            .await
            .unwrap()
    }

    /// `GET /processor_runs/{id}`'s body; fails the test on any other status.
    pub async fn get_run_ok(&self, key: &str, id: &str) -> Value {
        let res = self.run_request(reqwest::Method::GET, "", key, id).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "get {id}: {body}");
        assert_eq!(body["success"], true, "get {id}: {body}");
        body["processorRun"].clone()
    }

    pub async fn delete_run(&self, key: &str, id: &str) -> Response {
        self.run_request(reqwest::Method::DELETE, "", key, id).await
    }
}

impl TestApp {
    /// A request to `/_mock{path}`, with a JSON body if given.
    pub async fn mock(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(&format!("/_mock{path}")));
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// A control-plane request that must succeed; its JSON body.
    pub async fn mock_ok(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let res = self.mock(method.clone(), path, body).await;
        let status = res.status();
        let value: Value = res.json().await.unwrap();
        assert!(
            status.is_success(),
            "{method} /_mock{path}: {status} {value}"
        );
        value
    }

    /// The key the demo page marks its own requests with, read from the
    /// page as a browser gets it.
    pub async fn ui_key(&self) -> String {
        let page = self
            .mock(Method::GET, "/ui", None)
            .await
            .text()
            .await
            .unwrap();
        let marker = "<meta name=\"extend-mock-ui\" content=\"";
        let at = page.find(marker).expect("the page carries its key") + marker.len();
        page[at..at + page[at..].find('"').unwrap()].to_owned()
    }

    /// The whole state, as `GET /_mock/fixtures` exports it.
    pub async fn state_document(&self) -> Value {
        self.mock_ok(Method::GET, "/fixtures", None).await
    }
}

impl TestApp {
    /// Any API request with a bearer key and the SDKs' version header, with a
    /// JSON body if given.
    pub async fn api(
        &self,
        method: Method,
        key: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(key)
            .header("x-extend-api-version", VERSION);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    /// An API request that must answer 200; its JSON body.
    pub async fn api_ok(
        &self,
        method: Method,
        key: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Value {
        let res = self.api(method.clone(), key, path, body).await;
        let status = res.status();
        let value: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{method} {path}: {value}");
        assert_eq!(value["success"], true, "{method} {path}: {value}");
        value
    }

    /// An API request that must fail with `status`; its error message.
    pub async fn api_err(
        &self,
        method: Method,
        key: &str,
        path: &str,
        body: Option<&Value>,
        status: u16,
    ) -> String {
        let res = self.api(method.clone(), key, path, body).await;
        let got = res.status().as_u16();
        let value: Value = res.json().await.unwrap();
        assert_eq!(got, status, "{method} {path}: {value}");
        assert_eq!(value["success"], false, "{method} {path}: {value}");
        value["message"].as_str().unwrap().to_owned()
    }
}

impl TestApp {
    /// An API request that must answer 200, whatever its body's shape.
    pub async fn api_ok_bare(&self, method: Method, key: &str, path: &str) -> Value {
        let res = self.api(method.clone(), key, path, None).await;
        let status = res.status();
        let value: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{method} {path}: {value}");
        value
    }
}

impl TestApp {
    /// An API request with a JSON body that must answer 200, whatever its
    /// body's shape.
    pub async fn api_ok_bare_with(
        &self,
        method: Method,
        key: &str,
        path: &str,
        body: &Value,
    ) -> Value {
        let res = self.api(method.clone(), key, path, Some(body)).await;
        let status = res.status();
        let value: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{method} {path}: {value}");
        value
    }
}

/// A query value, percent-encoded.
pub fn urlencode(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

/// Every leaf path of a value, as `output.metadata` names them.
pub fn leaf_paths(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, sub) in map {
                let next = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                leaf_paths(sub, next, out);
            }
        }
        Value::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                leaf_paths(sub, format!("{path}[{i}]"), out);
            }
        }
        _ => out.push(path),
    }
}

impl TestApp {
    /// `GET path` (a current-API run, key A) every 10 ms until its status is
    /// neither PENDING nor PROCESSING (at most 3 s); that answer.
    pub async fn until_ended(&self, path: &str) -> Value {
        for _ in 0..300 {
            let run = self.api_ok_bare(Method::GET, KEY_A, path).await;
            if !["PENDING", "PROCESSING"].contains(&run["status"].as_str().unwrap()) {
                return run;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{path} never ended");
    }

    /// `POST /files/upload` of `content` named `name` with `key`.
    pub async fn upload(&self, key: &str, name: &str, content: Vec<u8>) -> Response {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(content).file_name(name.to_owned()),
        );
        self.client
            .post(self.url("/files/upload"))
            .bearer_auth(key)
            .header("x-extend-api-version", VERSION)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}
