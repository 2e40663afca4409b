//! The OpenAPI document (`openapi/openapi.json`, served at
//! `/_mock/openapi.json`) holds for everything the server answers: every
//! test server of this suite is wrapped in `SchemaCheck`, which checks each
//! response against the document (operation, status, content type, JSON
//! Schema of the body, formats included) and `TestApp` fails its test when
//! any did not. So the document cannot drift from the server unnoticed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use extend_mock::BoxedService;
use jsonschema::Validator;
use reqwest::Method as ClientMethod;
use serde_json::{Value, json};
use tower::Service;

use crate::helpers::{KEY_A, VERSION, fixture, spawn_app};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(extend_mock::openapi::DOCUMENT).expect("the OpenAPI document is JSON")
});

/// Compiled once per schema for the whole test binary.
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<Validator>>>> = LazyLock::new(Mutex::default);

/// What the responses of one test server broke, one line each.
pub type Violations = Arc<Mutex<Vec<String>>>;

#[derive(Clone)]
pub struct SchemaCheck {
    inner: BoxedService,
    violations: Violations,
}

impl SchemaCheck {
    pub fn new(inner: BoxedService, violations: Violations) -> Self {
        SchemaCheck { inner, violations }
    }
}

impl Service<Request> for SchemaCheck {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let violations = Arc::clone(&self.violations);
        Box::pin(async move {
            let response = inner.call(request).await?;
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            if let Err(problem) = check(&method, &path, parts.status, content_type, &bytes) {
                violations
                    .lock()
                    .unwrap()
                    .push(format!("{method} {path} -> {}: {problem}", parts.status));
            }
            Ok(Response::from_parts(parts, Body::from(bytes)))
        })
    }
}

/// The document's operation for a request: the path template that matches
/// with the most literal segments, then the method.
fn operation<'d>(method: &Method, path: &str) -> Option<&'d Value> {
    let segments: Vec<&str> = path.split('/').collect();
    let (_, item) = DOCUMENT["paths"]
        .as_object()?
        .iter()
        .filter_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, item))
        })
        .max_by_key(|(literal, _)| *literal)?;
    let method = if method == Method::HEAD {
        "get".to_owned()
    } else {
        method.as_str().to_ascii_lowercase()
    };
    item.get(method)
}

/// `{"$ref": "#/components/…"}` followed, once.
fn resolve(value: &Value) -> &Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => DOCUMENT
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => value,
    }
}

fn check(
    method: &Method,
    path: &str,
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let fallback = json!({"default": {"$ref": "#/components/responses/Error"}});
    let responses = match operation(method, path) {
        Some(operation) => &operation["responses"],
        // A path or method the server does not serve answers an error.
        None if status.is_client_error() || status.is_server_error() => &fallback,
        None => return Err("no operation in the document".into()),
    };
    let response = responses
        .get(status.as_str())
        .or_else(|| responses.get("default"))
        .map(resolve)
        .ok_or("status not in the document")?;
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return match body.is_empty() {
            true => Ok(()),
            false => Err("a body where the document has none".into()),
        };
    };
    if *method == Method::HEAD {
        return Ok(());
    }
    let media = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    let entry = content
        .get(media)
        .or_else(|| content.get("*/*"))
        .ok_or_else(|| format!("content type `{media}` not in the document"))?;
    if media != "application/json" {
        return Ok(());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    validate(&entry["schema"], &value)
}

fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    let key = schema.to_string();
    let validator = {
        let mut cache = VALIDATORS.lock().unwrap();
        let entry = cache.entry(key).or_insert_with(|| {
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": DOCUMENT["components"],
                "allOf": [schema],
            });
            Arc::new(
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .expect("the document's schemas compile"),
            )
        });
        Arc::clone(entry)
    };
    let errors: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect();
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors.join("; ")),
    }
}

#[tokio::test]
async fn the_server_serves_the_checked_in_document_to_anyone() {
    let app = spawn_app(&fixture()).await;
    let response = app
        .client
        .get(format!("{}/_mock/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served = response.text().await.unwrap();
    let file =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    assert_eq!(served, file);
    let doc: Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn every_route_of_the_router_is_in_the_document() {
    // A request to each operation's path (ids made up) must find its
    // operation: a 404 for a missing object is fine, a route the document
    // lacks is not (the check records it as a violation).
    let app = spawn_app(&fixture()).await;
    let mut count = 0;
    for (template, item) in DOCUMENT["paths"].as_object().unwrap() {
        let path = template
            .split('/')
            .map(|s| if s.starts_with('{') { "x_1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let method = ClientMethod::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), format!("{}{path}", app.base))
                .bearer_auth(KEY_A)
                .header("x-extend-api-version", VERSION)
                .send()
                .await
                .unwrap();
            assert_ne!(response.status(), 405, "{method} {path}");
            count += 1;
        }
    }
    assert_eq!(count, 141, "operations in the document");
}

#[test]
fn the_check_refuses_what_the_document_does_not_say() {
    let json = Some("application/json");
    let list = br#"{"success":true,"processorRuns":[],"nextPageToken":null}"#;
    assert_eq!(
        check(&Method::GET, "/processor_runs", StatusCode::OK, json, list),
        Ok(())
    );
    // An undeclared field, a wrong type, a status or path the document lacks.
    let extra = br#"{"success":true,"processorRuns":[],"surprise":1}"#;
    assert!(check(&Method::GET, "/processor_runs", StatusCode::OK, json, extra).is_err());
    let wrong = br#"{"success":"yes","processorRuns":[]}"#;
    assert!(check(&Method::GET, "/processor_runs", StatusCode::OK, json, wrong).is_err());
    assert!(check(&Method::GET, "/nowhere", StatusCode::OK, json, list).is_err());
    let error = br#"{"success":false,"error":"e","code":"NOT_FOUND","message":"e","retryable":false,"requestId":"req_1"}"#;
    assert_eq!(
        check(&Method::GET, "/nowhere", StatusCode::NOT_FOUND, json, error),
        Ok(())
    );
    assert!(
        check(
            &Method::GET,
            "/processor_runs",
            StatusCode::OK,
            Some("text/plain"),
            list
        )
        .is_err()
    );
    // A bad timestamp fails its `date-time` format.
    let run = br#"{"success":true,"processorRun":{"id":"exr_1","status":"PROCESSED","createdAt":"yesterday"}}"#;
    assert!(
        check(
            &Method::GET,
            "/processor_runs/exr_1",
            StatusCode::OK,
            json,
            run
        )
        .is_err()
    );
}
