//! Webhooks: endpoints through the API, and deliveries to a receiver on
//! 127.0.0.1:0 that records what it got and answers what a test tells it,
//! with the signature recomputed here independently of the server's code.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;

use crate::helpers::*;

/// What a receiver got, and what it answers next (200 when told nothing).
#[derive(Default)]
struct Inbox {
    got: Vec<(HeaderMap, Bytes)>,
    answers: VecDeque<u16>,
}

struct Receiver {
    url: String,
    inbox: Arc<Mutex<Inbox>>,
    _server: tokio::task::JoinHandle<()>,
}

async fn receive(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut inbox = inbox.lock().unwrap();
    inbox.got.push((headers, body));
    let answer = inbox.answers.pop_front().unwrap_or(200);
    StatusCode::from_u16(answer).unwrap()
}

async fn receiver() -> Receiver {
    let inbox = Arc::new(Mutex::new(Inbox::default()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hooks", post(receive))
        .with_state(Arc::clone(&inbox));
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url,
        inbox,
        _server: server,
    }
}

impl Receiver {
    fn answer(&self, statuses: &[u16]) {
        self.inbox.lock().unwrap().answers.extend(statuses);
    }

    /// Waits (at most 10 s) until `count` requests arrived; their events.
    async fn events(&self, count: usize) -> Vec<(HeaderMap, Value, Bytes)> {
        let started = Instant::now();
        loop {
            {
                let inbox = self.inbox.lock().unwrap();
                if inbox.got.len() >= count {
                    return inbox
                        .got
                        .iter()
                        .map(|(h, b)| (h.clone(), serde_json::from_slice(b).unwrap(), b.clone()))
                        .collect();
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{count} deliveries never arrived"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn count(&self) -> usize {
        self.inbox.lock().unwrap().got.len()
    }
}

/// The signature as the SDKs check it, computed here from scratch.
fn verify(headers: &HeaderMap, body: &[u8], secret: &str) {
    let timestamp = headers["x-extend-request-timestamp"].to_str().unwrap();
    let age = time::OffsetDateTime::now_utc().unix_timestamp() - timestamp.parse::<i64>().unwrap();
    assert!(
        (0..=5).contains(&age),
        "timestamp {timestamp} is {age} s old"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(headers["x-extend-request-signature"], expected.as_str());
    assert_eq!(headers["content-type"], "application/json");
}

async fn app() -> TestApp {
    let settings = extend_mock::Settings {
        processing_time: Duration::from_millis(30),
        webhook_backoff: Duration::from_millis(20),
        webhook_retries: 3,
        webhook_timeout: Duration::from_millis(500),
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&fixture(), SECRET, settings).await
}

async fn endpoint(app: &TestApp, url: &str, version: &str, events: &[&str]) -> Value {
    let body = json!({"url": url, "name": "hooks", "enabledEvents": events, "apiVersion": version});
    let res = app
        .api(Method::POST, KEY_A, "/webhook_endpoints", Some(&body))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn create_run(app: &TestApp, processor: &str, text: &str) -> String {
    let body = json!({"processorId": processor, "rawText": text});
    app.api_ok(Method::POST, KEY_A, "/processor_runs", Some(&body))
        .await["processorRun"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn deliveries(app: &TestApp, query: &str) -> Vec<Value> {
    app.mock_ok(Method::GET, &format!("/webhooks/deliveries{query}"), None)
        .await["deliveries"]
        .as_array()
        .unwrap()
        .clone()
}

/// Polls the control plane until `count` deliveries exist and none is
/// pending (at most 10 s).
async fn settled(app: &TestApp, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let all = deliveries(app, "").await;
        if all.len() >= count && all.iter().all(|d| d["state"] != "pending") {
            return all;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never settled: {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn endpoints_are_made_read_listed_changed_and_deleted() {
    let app = app().await;
    let made = endpoint(
        &app,
        "http://127.0.0.1:9/x",
        "2026-02-09",
        &["extract_run.processed"],
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("wh_") && id.len() == 24, "{id}");
    assert!(made["signingSecret"].as_str().unwrap().starts_with("wss_"));
    assert_eq!(made["object"], "webhook_endpoint");
    assert_eq!(made["status"], "enabled");
    // Every key the SDK's type declares, null where empty.
    assert_eq!(made["advancedOptions"], Value::Null);
    assert_eq!(made["createdBy"], Value::Null);
    assert!(made.get("advancedOptions").is_some() && made.get("createdBy").is_some());
    let read = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/webhook_endpoints/{id}"))
        .await;
    assert!(
        read.get("signingSecret").is_none(),
        "the secret is shown once: {read}"
    );
    let mut expected = made.clone();
    expected.as_object_mut().unwrap().remove("signingSecret");
    assert_eq!(read, expected);

    // Another workspace does not see it; the v1 of its list neither.
    let res = app
        .api(
            Method::GET,
            KEY_B,
            &format!("/webhook_endpoints/{id}"),
            None,
        )
        .await;
    assert_error(res, 404, "NOT_FOUND", "Webhook endpoint", "foreign").await;
    let listed = app
        .api_ok_bare(Method::GET, KEY_B, "/webhook_endpoints")
        .await;
    assert_eq!(listed, json!({"object": "list", "data": []}));

    // Pages, newest first by default, and a status filter.
    for n in 0..2 {
        endpoint(&app, &format!("http://127.0.0.1:9/{n}"), "2025-04-21", &[]).await;
    }
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/webhook_endpoints?maxPageSize=2")
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let token = page["nextPageToken"].as_str().unwrap();
    let rest = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/webhook_endpoints?maxPageSize=2&nextPageToken={}",
                urlencode(token)
            ),
        )
        .await;
    assert_eq!(rest["data"][0]["id"], id.as_str());
    assert!(rest.get("nextPageToken").is_none());

    let changed = app
        .api(
            Method::POST,
            KEY_A,
            &format!("/webhook_endpoints/{id}"),
            Some(&json!({"status": "disabled", "name": "renamed"})),
        )
        .await;
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        (&changed["status"], &changed["name"]),
        (&json!("disabled"), &json!("renamed"))
    );
    assert_eq!(changed["url"], made["url"]);
    let disabled = app
        .api_ok_bare(Method::GET, KEY_A, "/webhook_endpoints?status=disabled")
        .await;
    assert_eq!(disabled["data"].as_array().unwrap().len(), 1);

    let gone = app
        .api_ok_bare(Method::DELETE, KEY_A, &format!("/webhook_endpoints/{id}"))
        .await;
    assert_eq!(gone, json!({"id": id}));
    let res = app
        .api(
            Method::DELETE,
            KEY_A,
            &format!("/webhook_endpoints/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn bad_endpoints_name_the_field_and_make_nothing() {
    let app = app().await;
    let good = json!({"url": "http://127.0.0.1:9/x", "name": "n", "enabledEvents": [],
                      "apiVersion": "2026-02-09"});
    let cases = [
        ("url", json!(null), "url: is required"),
        ("url", json!("ftp://x/"), "url: must be an http:// URL"),
        ("name", json!(" "), "name: must not be empty"),
        (
            "enabledEvents",
            json!(["run.done"]),
            "`run.done` is not one of",
        ),
        (
            "apiVersion",
            json!("2020-01-01"),
            "apiVersion: `2020-01-01` is not one of",
        ),
        ("status", json!("paused"), "`paused` is not one of"),
        (
            "advancedOptions",
            json!({"headers": {"x-extend-request-signature": "forged"}}),
            "is set by the delivery itself",
        ),
    ];
    for (field, value, needle) in cases {
        let mut body = good.clone();
        body[field] = value;
        let res = app
            .api(Method::POST, KEY_A, "/webhook_endpoints", Some(&body))
            .await;
        assert_error(res, 400, "INVALID_REQUEST", needle, field).await;
    }
    let mut body = good.clone();
    body["advancedOptions"] = json!({"payload": {"format": "url", "urlThresholdBytes": 10}});
    let res = app
        .api(Method::POST, KEY_A, "/webhook_endpoints", Some(&body))
        .await;
    assert_error(res, 501, "NOT_IMPLEMENTED", "signed links", "url payloads").await;
    let listed = app
        .api_ok_bare(Method::GET, KEY_A, "/webhook_endpoints")
        .await;
    assert_eq!(listed["data"], json!([]));

    let made = endpoint(&app, "http://127.0.0.1:9/x", "2026-02-09", &[]).await;
    let res = app
        .api(
            Method::POST,
            KEY_A,
            &format!("/webhook_endpoints/{}", made["id"].as_str().unwrap()),
            Some(&json!({"apiVersion": "2025-04-21"})),
        )
        .await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "cannot be changed",
        "apiVersion",
    )
    .await;
}

#[tokio::test]
async fn a_run_that_ends_is_sent_signed_in_each_endpoints_version() {
    let app = app().await;
    let current = receiver().await;
    let legacy = receiver().await;
    let deaf = receiver().await;
    let new = endpoint(
        &app,
        &current.url,
        "2026-02-09",
        &[
            "extract_run.processed",
            "extract_run.failed",
            "classify_run.processed",
        ],
    )
    .await;
    let old = endpoint(
        &app,
        &legacy.url,
        "2025-04-21",
        &["processor_run.processed"],
    )
    .await;
    endpoint(&app, &deaf.url, "2026-02-09", &["split_run.processed"]).await;

    let processed = create_run(&app, "ex_inv", "an invoice").await;
    let got = current.events(1).await;
    let (headers, event, body) = &got[0];
    verify(headers, body, new["signingSecret"].as_str().unwrap());
    assert_eq!(event["eventType"], "extract_run.processed");
    assert!(event["eventId"].as_str().unwrap().starts_with("evt_"));
    let run = &event["payload"];
    assert_eq!(run["object"], "extract_run");
    assert_eq!(run["id"], processed.as_str());
    assert_eq!(run["status"], "PROCESSED");
    assert_eq!(run["extractor"]["id"], "ex_inv");
    assert_eq!(run["extractorVersion"]["extractorId"], "ex_inv");
    let full = app.get_run_ok(KEY_A, &processed).await;
    assert_eq!(run["output"]["value"], full["output"]["value"]);
    // The newer families give a citation's page as an object.
    let legacy_citation = &full["output"]["metadata"]["document_title"]["citations"][0];
    let citation = &run["output"]["metadata"]["document_title"]["citations"][0];
    assert_eq!(
        citation["page"],
        json!({"number": legacy_citation["page"], "width": legacy_citation["pageWidth"],
               "height": legacy_citation["pageHeight"]})
    );
    assert_eq!(citation["polygon"], legacy_citation["polygon"]);
    assert!(citation.get("pageWidth").is_none(), "{citation}");
    assert_eq!(run["dashboardUrl"], full["url"]);

    // The legacy endpoint gets the full run exactly as GET serves it.
    let got = legacy.events(1).await;
    let (headers, event, body) = &got[0];
    verify(headers, body, old["signingSecret"].as_str().unwrap());
    assert_eq!(event["eventType"], "processor_run.processed");
    assert_eq!(event["payload"], full);

    // A failure goes to who asked for failures only.
    let failed = create_run(&app, "ex_inv", "__fail_INTERNAL_ERROR__").await;
    let got = current.events(2).await;
    assert_eq!(got[1].1["eventType"], "extract_run.failed");
    assert_eq!(got[1].1["payload"]["id"], failed.as_str());
    assert_eq!(got[1].1["payload"]["failureReason"], "INTERNAL_ERROR");
    let all = settled(&app, 3).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(legacy.count(), 1);
    assert_eq!(deaf.count(), 0);

    // Cancelled runs send nothing: no API version has an event for them.
    let held = create_run(&app, "ex_inv", "__hold__").await;
    app.api_ok(
        Method::POST,
        KEY_A,
        &format!("/processor_runs/{held}/cancel"),
        None,
    )
    .await;
    // Ended through the control plane: sent like any other end.
    let second = create_run(&app, "ex_cls", "__hold__").await;
    app.mock_ok(
        Method::POST,
        &format!("/processor_runs/{second}/finish"),
        None,
    )
    .await;
    let got = current.events(3).await;
    assert_eq!(got[2].1["eventType"], "classify_run.processed");
    assert_eq!(got[2].1["payload"]["object"], "classify_run");
    assert_eq!(got[2].1["payload"]["classifier"]["id"], "ex_cls");
    // The legacy endpoint's processor_run.processed covers every kind of run.
    assert_eq!(
        legacy.events(2).await[1].1["payload"]["id"],
        second.as_str()
    );
    assert_eq!(settled(&app, 5).await.len(), 5);
}

#[tokio::test]
async fn failed_attempts_are_retried_with_backoff_then_given_up() {
    let app = app().await;
    let hooks = receiver().await;
    let made = endpoint(&app, &hooks.url, "2026-02-09", &["extract_run.processed"]).await;
    hooks.answer(&[500, 503]);
    let run = create_run(&app, "ex_inv", "x").await;
    let got = hooks.events(3).await;
    // The same event three times, each signed anew.
    let ids: Vec<&Value> = got.iter().map(|(_, e, _)| &e["eventId"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    for (headers, _, body) in &got {
        verify(headers, body, made["signingSecret"].as_str().unwrap());
    }
    let all = settled(&app, 1).await;
    let delivery = &all[0];
    assert_eq!(delivery["state"], "delivered");
    assert_eq!(delivery["runId"], run.as_str());
    let statuses: Vec<&Value> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(503), &json!(200)]);
    let at = |n: usize| {
        time::OffsetDateTime::parse(
            delivery["attempts"][n]["at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    // 20 ms, then 40 ms: the backoff doubles.
    assert!(at(1) - at(0) >= time::Duration::milliseconds(20));
    assert!(at(2) - at(1) >= time::Duration::milliseconds(40));

    // Four failures (one attempt and three retries): given up.
    hooks.answer(&[500, 500, 500, 500]);
    create_run(&app, "ex_inv", "y").await;
    let all = settled(&app, 2).await;
    assert_eq!(all[1]["state"], "failed");
    assert_eq!(all[1]["attempts"].as_array().unwrap().len(), 4);
    assert_eq!(hooks.count(), 3 + 4);

    // Redelivered on demand: the same event, a new delivery.
    let again = app
        .mock(
            Method::POST,
            &format!(
                "/webhooks/deliveries/{}/redeliver",
                all[1]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["eventId"], all[1]["eventId"]);
    assert_eq!(again["redeliveryOf"], all[1]["id"]);
    let got = hooks.events(8).await;
    assert_eq!(got[7].1["eventId"], all[1]["eventId"]);
    assert_eq!(settled(&app, 3).await[2]["state"], "delivered");
}

#[tokio::test]
async fn a_receiver_that_is_down_then_up_gets_every_event_in_order() {
    // Retries enough for the receiver to come up however slow this machine.
    let settings = extend_mock::Settings {
        processing_time: Duration::from_millis(30),
        webhook_backoff: Duration::from_millis(50),
        webhook_retries: 12,
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    // A port nobody listens on yet.
    let parked = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = parked.local_addr().unwrap();
    drop(parked);
    let url = format!("http://{address}/hooks");
    endpoint(
        &app,
        &url,
        "2026-02-09",
        &["extract_run.processed", "extract_run.failed"],
    )
    .await;
    let mut runs = Vec::new();
    for n in 0..3 {
        let text = if n == 1 { "__fail__" } else { "doc" };
        runs.push(create_run(&app, "ex_inv", text).await);
    }
    // The first delivery fails while the receiver is down, and holds the others.
    let started = Instant::now();
    while deliveries(&app, "")
        .await
        .first()
        .is_none_or(|d| d["attempts"] == json!([]))
    {
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let first = &deliveries(&app, "").await[0];
    assert_eq!(
        first["attempts"][0]["error"],
        "connection refused or unreachable"
    );

    // Up again, on the same address.
    let listener = TcpListener::bind(address).await.unwrap();
    let inbox = Arc::new(Mutex::new(Inbox::default()));
    let router = axum::Router::new()
        .route("/hooks", post(receive))
        .with_state(Arc::clone(&inbox));
    let _server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let all = settled(&app, 3).await;
    assert!(all.iter().all(|d| d["state"] == "delivered"), "{all:?}");
    let got = inbox.lock().unwrap();
    let order: Vec<String> = got
        .got
        .iter()
        .map(|(_, b)| {
            let event: Value = serde_json::from_slice(b).unwrap();
            event["payload"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(order, runs);
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_never_holds_the_api() {
    let app = app().await;
    // Accepts connections, never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", silent.local_addr().unwrap());
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        loop {
            let (socket, _) = silent.accept().await.unwrap();
            open.push(socket);
        }
    });
    endpoint(&app, &url, "2026-02-09", &["extract_run.processed"]).await;
    // A sync create answers when its run ends: the delivery that end made
    // is still waiting on its receiver, and the API goes on meanwhile.
    let body = json!({"processorId": "ex_inv", "rawText": "x", "sync": true});
    let made = app
        .api_ok(Method::POST, KEY_A, "/processor_runs", Some(&body))
        .await;
    assert_eq!(made["processorRun"]["status"], "PROCESSED");
    app.list_ok(KEY_A, &[]).await;
    let now = deliveries(&app, "").await;
    assert_eq!(now[0]["state"], "pending", "{now:?}");
    assert_eq!(now[0]["attempts"], json!([]), "{now:?}");
    let all = settled(&app, 1).await;
    assert_eq!(all[0]["state"], "failed");
    let error = all[0]["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("--webhook-timeout"), "{error}");
}

#[tokio::test]
async fn only_harness_addresses_are_sent_to_and_secrets_stay_out_of_the_journal() {
    let app = app().await;
    endpoint(
        &app,
        "http://8.8.8.8:9/hooks",
        "2026-02-09",
        &["extract_run.processed"],
    )
    .await;
    create_run(&app, "ex_inv", "x").await;
    let all = settled(&app, 1).await;
    let error = all[0]["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("--webhook-allow-public"), "{error}");
    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    assert!(!journal.to_string().contains("wss_"), "{journal}");
}

#[tokio::test]
async fn fixtures_declare_endpoints_with_a_known_secret_and_test_events_go_on_demand() {
    let mut doc = fixture();
    let hooks = receiver().await;
    doc["webhookEndpoints"] = json!([{
        "id": "wh_fixture", "workspaceId": "ws_a", "url": hooks.url, "name": "fixture",
        "enabledEvents": [], "apiVersion": "2025-04-21", "signingSecret": "wss_known",
        "createdAt": minutes(1)
    }]);
    let app = spawn_app(&doc).await;
    let exported = app.state_document().await;
    let mut expected = doc["webhookEndpoints"].clone();
    expected[0]["status"] = json!("enabled");
    assert_eq!(exported["webhookEndpoints"], expected);
    // Subscribed to nothing, but a test event goes all the same: the latest ended run.
    let res = app
        .mock(
            Method::POST,
            "/webhooks/test",
            Some(&json!({"endpointId": "wh_fixture"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    let got = hooks.events(1).await;
    verify(&got[0].0, &got[0].2, "wss_known");
    assert_eq!(got[0].1["eventType"], "processor_run.processed");
    assert_eq!(got[0].1["payload"]["id"], "exr_6");
    let res = app
        .mock(
            Method::POST,
            "/webhooks/test",
            Some(&json!({"endpointId": "wh_fixture", "runId": "exr_2"})),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        hooks.events(2).await[1].1["eventType"],
        "processor_run.failed"
    );
    let res = app
        .mock(
            Method::POST,
            "/webhooks/test",
            Some(&json!({"endpointId": "wh_fixture", "runId": "exr_3"})),
        )
        .await;
    assert_error(res, 400, "INVALID_REQUEST", "has not ended", "pending run").await;

    let mut bad = fixture();
    bad["webhookEndpoints"] = json!([{"id": "wh_x", "workspaceId": "ws_zz", "url": "http://x/",
        "name": "x", "enabledEvents": [], "apiVersion": "2025-04-21", "signingSecret": "wss_x",
        "createdAt": minutes(1)}]);
    let res = app.mock(Method::PUT, "/fixtures", Some(&bad)).await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "webhookEndpoints[0]: workspaceId: unknown workspace",
        "bad fixture",
    )
    .await;
}

#[tokio::test]
async fn a_sandbox_sends_its_own_runs_to_its_own_endpoints() {
    let app = app().await;
    let hooks = receiver().await;
    let made = app.mock(Method::POST, "/sandboxes?name=w1", None).await;
    assert_eq!(made.status(), 201);
    let body = json!({"url": hooks.url, "name": "w1", "enabledEvents": ["extract_run.processed"],
                      "apiVersion": "2026-02-09"});
    let endpoint: Value = app
        .api(Method::POST, "key_a.w1", "/webhook_endpoints", Some(&body))
        .await
        .json()
        .await
        .unwrap();
    // A run in the default sandbox: its workspace there has no endpoint.
    create_run(&app, "ex_inv", "default").await;
    let body = json!({"processorId": "ex_inv", "rawText": "sandboxed"});
    let run = app
        .api_ok(Method::POST, "key_a.w1", "/processor_runs", Some(&body))
        .await["processorRun"]["id"]
        .clone();
    let got = hooks.events(1).await;
    verify(
        &got[0].0,
        &got[0].2,
        endpoint["signingSecret"].as_str().unwrap(),
    );
    assert_eq!(got[0].1["payload"]["id"], run);
    let listed = app
        .client
        .get(app.url("/_mock/webhooks/deliveries"))
        .header("x-extend-mock-sandbox", "w1")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        listed["deliveries"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
    assert_eq!(deliveries(&app, "").await, Vec::<Value>::new());
    assert_eq!(hooks.count(), 1);
}

/// A classify or split run made through its family is announced as
/// `classify_run.*` / `split_run.*` with the object its routes answer, key
/// for key (the SDK's `verify_and_parse` validates it).
#[tokio::test]
async fn classify_and_split_runs_are_sent_as_their_families_objects() {
    let app = app().await;
    let hooks = receiver().await;
    let made = endpoint(
        &app,
        &hooks.url,
        "2026-02-09",
        &["classify_run.processed", "split_run.failed"],
    )
    .await;
    let secret = made["signingSecret"].as_str().unwrap();
    let classify = json!({"classifier": {"id": "ex_cls"}, "file": {"text": "a W-2 form"}});
    let classified = app
        .api_ok_bare_with(Method::POST, KEY_A, "/classify", &classify)
        .await;
    let split = json!({"splitter": {"id": "ex_split"},
                       "file": {"url": "https://example.com/__fail__.pdf"}});
    let failed = app
        .api_ok_bare_with(Method::POST, KEY_A, "/split", &split)
        .await;
    assert_eq!(failed["status"], "FAILED");
    let got = hooks.events(2).await;
    let mut by_type: Vec<(String, Value)> = got
        .iter()
        .map(|(headers, event, body)| {
            verify(headers, body, secret);
            (
                event["eventType"].as_str().unwrap().to_owned(),
                event["payload"].clone(),
            )
        })
        .collect();
    by_type.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(by_type[0].0, "classify_run.processed");
    assert_eq!(by_type[0].1, classified);
    assert_eq!(by_type[1].0, "split_run.failed");
    assert_eq!(by_type[1].1, failed);
    assert_eq!(hooks.count(), 2, "nothing else was subscribed to");
}

/// A batch's end is announced once, when its last run ends, with the
/// `BatchRun` as `GET /batch_runs/{id}` then answers it.
#[tokio::test]
async fn a_batch_is_announced_when_its_last_run_ends() {
    let app = app().await;
    let hooks = receiver().await;
    let made = endpoint(
        &app,
        &hooks.url,
        "2026-02-09",
        &["batch_processor_run.processed"],
    )
    .await;
    let body = json!({"extractor": {"id": "ex_inv"}, "inputs": [
        {"file": {"url": "https://example.com/a.pdf"}},
        {"file": {"url": "https://example.com/b.pdf"}},
        {"file": {"url": "https://example.com/c.pdf"}}]});
    let batch = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs/batch", &body)
        .await;
    let got = hooks.events(1).await;
    let (headers, event, raw) = &got[0];
    verify(headers, raw, made["signingSecret"].as_str().unwrap());
    assert_eq!(event["eventType"], "batch_processor_run.processed");
    let id = batch["id"].as_str().unwrap();
    let now = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/batch_runs/{id}"))
        .await;
    assert_eq!(now["status"], "PROCESSED");
    assert_eq!(event["payload"], now);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hooks.count(), 1, "one event for the batch, none per run");
}

/// A parse run's end is `parse_run.processed` / `.failed` with its short
/// `parse_run_status`; a parse batch's, `batch_parse_run.processed`.
#[tokio::test]
async fn parse_runs_and_their_batches_are_announced() {
    let app = app().await;
    let hooks = receiver().await;
    endpoint(
        &app,
        &hooks.url,
        "2026-02-09",
        &[
            "parse_run.processed",
            "parse_run.failed",
            "batch_parse_run.processed",
        ],
    )
    .await;
    let body = json!({"inputs": [
        {"file": {"url": "https://example.com/a.pdf"}, "metadata": {"n": 0}},
        {"file": {"url": "https://example.com/__fail__.pdf"}}]});
    let batch = app
        .api_ok_bare_with(Method::POST, KEY_A, "/parse_runs/batch", &body)
        .await;
    let got = hooks.events(3).await;
    let mut events: Vec<(String, Value)> = got
        .iter()
        .map(|(_, e, _)| {
            (
                e["eventType"].as_str().unwrap().to_owned(),
                e["payload"].clone(),
            )
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "batch_parse_run.processed",
            "parse_run.failed",
            "parse_run.processed"
        ]
    );
    assert_eq!(events[0].1["id"], batch["id"]);
    assert_eq!(events[0].1["status"], "PROCESSED");
    let failed = &events[1].1;
    assert_eq!(failed["object"], "parse_run_status");
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["failureReason"], "FILE_TYPE_NOT_SUPPORTED");
    let processed = &events[2].1;
    let mut keys: Vec<&String> = processed.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "failureMessage",
            "failureReason",
            "id",
            "metadata",
            "object",
            "status"
        ]
    );
    assert_eq!(processed["status"], "PROCESSED");
    assert_eq!(processed["metadata"], json!({"n": 0}));
    assert!(processed["id"].as_str().unwrap().starts_with("pr_"));
}

/// Deleting the last unfinished run of a batch ends the batch: its event
/// goes then (a delete is no run end of its own).
#[tokio::test]
async fn a_batch_whose_last_run_is_deleted_is_announced() {
    let app = app().await;
    let hooks = receiver().await;
    endpoint(
        &app,
        &hooks.url,
        "2026-02-09",
        &["batch_processor_run.processed"],
    )
    .await;
    let body = json!({"extractor": {"id": "ex_inv"}, "inputs": [
        {"file": {"url": "https://example.com/__hold__.pdf"}}]});
    let batch = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs/batch", &body)
        .await;
    let id = batch["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(hooks.count(), 0, "the held run has not ended");
    let page = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/extract_runs?batchId={id}"))
        .await;
    let run = page["data"][0]["id"].as_str().unwrap();
    app.api_ok_bare(Method::DELETE, KEY_A, &format!("/extract_runs/{run}"))
        .await;
    let got = hooks.events(1).await;
    assert_eq!(got[0].1["eventType"], "batch_processor_run.processed");
    assert_eq!(got[0].1["payload"]["id"], id);
    assert_eq!(got[0].1["payload"]["status"], "PROCESSED");
}

async fn subscribe(app: &TestApp, body: Value) -> Value {
    app.api_ok_bare_with(Method::POST, KEY_A, "/webhook_subscriptions", &body)
        .await
}

#[tokio::test]
async fn subscriptions_are_made_upserted_listed_changed_and_deleted() {
    let app = app().await;
    let hooks = endpoint(&app, "http://127.0.0.1:9/hooks", VERSION, &[]).await;
    let endpoint_id = hooks["id"].as_str().unwrap();
    let workflow = app
        .api_ok_bare_with(Method::POST, KEY_A, "/workflows", &json!({"name": "W"}))
        .await;
    let workflow_id = workflow["id"].as_str().unwrap();
    let made = subscribe(
        &app,
        json!({"webhookEndpointId": endpoint_id, "resourceType": "workflow",
               "resourceId": workflow_id, "enabledEvents": ["workflow_run.completed"]}),
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("whes_"), "{made}");
    let mut keys: Vec<&String> = made.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "createdAt",
            "enabledEvents",
            "id",
            "object",
            "resourceId",
            "resourceType",
            "webhookEndpointId"
        ]
    );
    assert_eq!(made["object"], "webhook_subscription");
    // The same endpoint and resource again: the same subscription, changed.
    let again = subscribe(
        &app,
        json!({"webhookEndpointId": endpoint_id, "resourceType": "workflow",
               "resourceId": workflow_id,
               "enabledEvents": ["workflow_run.failed", "workflow_run.step_run.processed"]}),
    )
    .await;
    assert_eq!(again["id"], id.as_str());
    assert_eq!(
        again["enabledEvents"],
        json!(["workflow_run.failed", "workflow_run.step_run.processed"])
    );
    let extractor = subscribe(
        &app,
        json!({"webhookEndpointId": endpoint_id, "resourceType": "extractor",
               "resourceId": "ex_inv", "enabledEvents": ["extract_run.processed"]}),
    )
    .await;
    let all = app
        .api_ok_bare(Method::GET, KEY_A, "/webhook_subscriptions?sortDir=asc")
        .await;
    let listed: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [id.as_str(), extractor["id"].as_str().unwrap()]);
    let by_resource = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            "/webhook_subscriptions?resourceId=ex_inv",
        )
        .await;
    assert_eq!(by_resource["data"].as_array().unwrap().len(), 1);
    let theirs = app
        .api_ok_bare(Method::GET, KEY_B, "/webhook_subscriptions")
        .await;
    assert_eq!(theirs["data"], json!([]));
    let changed = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/webhook_subscriptions/{id}"),
            &json!({"enabledEvents": ["workflow_run.completed"]}),
        )
        .await;
    assert_eq!(changed["enabledEvents"], json!(["workflow_run.completed"]));
    assert_eq!(
        app.api_ok_bare(Method::GET, KEY_A, &format!("/webhook_subscriptions/{id}"))
            .await,
        changed
    );

    // Refusals name the field.
    let legacy = endpoint(&app, "http://127.0.0.1:9/old", "2025-04-21", &[]).await;
    let legacy_id = legacy["id"].as_str().unwrap();
    let legacy_message = format!(
        "request body: webhookEndpointId: webhook endpoint `{legacy_id}` is pinned to API \
         version 2025-04-21; subscriptions send events of 2026-02-09 and later"
    );
    let refusals: [(Value, &str); 5] = [
        (
            json!({"webhookEndpointId": endpoint_id, "resourceType": "extractor",
                   "resourceId": "ex_inv", "enabledEvents": ["workflow_run.completed"]}),
            "request body: enabledEvents[0]: `workflow_run.completed` is not sent through \
             `resourceType` `extractor`, which takes extract_run.processed, extract_run.failed, \
             batch_processor_run.processed, batch_processor_run.failed",
        ),
        (
            json!({"webhookEndpointId": "wh_nope", "resourceType": "workflow",
                   "resourceId": workflow_id, "enabledEvents": []}),
            "request body: webhookEndpointId: no webhook endpoint `wh_nope` in this workspace",
        ),
        (
            json!({"webhookEndpointId": endpoint_id, "resourceType": "classifier",
                   "resourceId": "ex_inv", "enabledEvents": []}),
            "request body: resourceId: no classifier `ex_inv` in this workspace",
        ),
        (
            json!({"webhookEndpointId": legacy_id, "resourceType": "workflow",
                   "resourceId": workflow_id, "enabledEvents": []}),
            &legacy_message,
        ),
        (
            json!({"webhookEndpointId": endpoint_id, "resourceType": "dataset",
                   "resourceId": "x", "enabledEvents": []}),
            "request body: resourceType: `dataset` is not one of extractor, classifier, splitter, workflow",
        ),
    ];
    for (body, message) in refusals {
        assert_eq!(
            app.api_err(
                Method::POST,
                KEY_A,
                "/webhook_subscriptions",
                Some(&body),
                400
            )
            .await,
            message
        );
    }
    // An endpoint's own events never include a workflow run's.
    let body = json!({"url": "http://127.0.0.1:9/x", "name": "n", "apiVersion": VERSION,
                      "enabledEvents": ["workflow_run.completed"]});
    let message = app
        .api_err(Method::POST, KEY_A, "/webhook_endpoints", Some(&body), 400)
        .await;
    assert!(message.starts_with("request body: enabledEvents: `workflow_run.completed` is sent only through a webhook subscription"), "{message}");

    let deleted = app
        .api_ok_bare(
            Method::DELETE,
            KEY_A,
            &format!("/webhook_subscriptions/{id}"),
        )
        .await;
    assert_eq!(deleted, json!({"id": id}));
    app.api_err(
        Method::GET,
        KEY_A,
        &format!("/webhook_subscriptions/{id}"),
        None,
        404,
    )
    .await;
    // Deleting the endpoint deletes its subscriptions.
    app.api_ok_bare(
        Method::DELETE,
        KEY_A,
        &format!("/webhook_endpoints/{endpoint_id}"),
    )
    .await;
    let left = app
        .api_ok_bare(Method::GET, KEY_A, "/webhook_subscriptions")
        .await;
    assert_eq!(left["data"], json!([]));
}

#[tokio::test]
async fn workflow_run_events_reach_only_subscribed_endpoints() {
    let app = app().await;
    let subscribed = receiver().await;
    let everything = receiver().await;
    let hooks = endpoint(&app, &subscribed.url, VERSION, &[]).await;
    let secret = hooks["signingSecret"].as_str().unwrap().to_owned();
    // An endpoint that takes every run event of its own, and no subscription.
    endpoint(
        &app,
        &everything.url,
        VERSION,
        &["extract_run.processed", "parse_run.processed"],
    )
    .await;
    let steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
        {"type": "PARSE", "name": "Parse", "next": [{"step": "Extract"}]},
        {"type": "EXTRACT", "name": "Extract",
         "config": {"extractor": {"id": "ex_inv", "version": "latest"}}},
    ]);
    let workflow = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/workflows",
            &json!({"name": "W", "steps": steps}),
        )
        .await;
    let workflow_id = workflow["id"].as_str().unwrap();
    subscribe(
        &app,
        json!({"webhookEndpointId": hooks["id"], "resourceType": "workflow",
               "resourceId": workflow_id,
               "enabledEvents": ["workflow_run.completed", "workflow_run.step_run.processed"]}),
    )
    .await;
    let run = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/workflow_runs",
            &json!({"workflow": {"id": workflow_id}, "file": {"text": "Invoice #5"}}),
        )
        .await;
    let run_id = run["id"].as_str().unwrap();
    let got = subscribed.events(3).await;
    let kinds: Vec<&str> = got
        .iter()
        .map(|(_, event, _)| event["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "workflow_run.step_run.processed",
            "workflow_run.step_run.processed",
            "workflow_run.completed"
        ]
    );
    for (headers, _, body) in &got {
        verify(headers, body, &secret);
    }
    assert_eq!(got[0].1["payload"]["stepType"], "PARSE");
    assert_eq!(got[0].1["payload"]["workflowRunId"], run_id);
    assert_eq!(got[1].1["payload"]["stepType"], "EXTRACT");
    assert_eq!(
        got[1].1["payload"]["result"]["extractRun"]["status"],
        "PROCESSED"
    );
    let completed = &got[2].1["payload"];
    assert_eq!(completed["object"], "workflow_run");
    assert_eq!(completed["id"], run_id);
    assert_eq!(completed["status"], "PROCESSED");
    assert_eq!(completed["stepRuns"].as_array().unwrap().len(), 2);
    // The other endpoint got the steps' own runs' events, and no workflow's.
    let theirs = everything.events(2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(everything.count(), 2);
    let mut kinds: Vec<&str> = theirs
        .iter()
        .map(|(_, event, _)| event["eventType"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["extract_run.processed", "parse_run.processed"]);
    assert_eq!(subscribed.count(), 3);
}

#[tokio::test]
async fn an_extractor_subscription_sends_that_extractors_runs_only() {
    let app = app().await;
    let hooks = receiver().await;
    let made = endpoint(&app, &hooks.url, VERSION, &[]).await;
    subscribe(
        &app,
        json!({"webhookEndpointId": made["id"], "resourceType": "extractor",
               "resourceId": "ex_inv", "enabledEvents": ["extract_run.processed"]}),
    )
    .await;
    let theirs = create_run(&app, "ex_old", "not subscribed").await;
    let ours = create_run(&app, "ex_inv", "Invoice #5").await;
    let got = hooks.events(1).await;
    assert_eq!(got[0].1["eventType"], "extract_run.processed");
    assert_eq!(got[0].1["payload"]["id"], ours.as_str());
    assert_eq!(got[0].1["payload"]["object"], "extract_run");
    // The other extractor's run has ended too by now; it sent nothing here.
    app.until_ended(&format!("/extract_runs/{theirs}")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(hooks.count(), 1);
}

/// An edit run's end is `edit_run.processed` / `.failed` with the full run
/// (its edited file's link at the address the run was made through); a form
/// detection run's, `form_detection_run.*`.
#[tokio::test]
async fn edit_and_form_detection_runs_are_announced_with_the_full_run() {
    let app = app().await;
    let hooks = receiver().await;
    endpoint(
        &app,
        &hooks.url,
        "2026-02-09",
        &[
            "edit_run.processed",
            "edit_run.failed",
            "form_detection_run.processed",
            "form_detection_run.failed",
        ],
    )
    .await;
    let edited = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/edit_runs",
            &json!({"file": {"url": "https://example.com/form.pdf"}}),
        )
        .await;
    app.api_ok_bare_with(
        Method::POST,
        KEY_A,
        "/edit_runs",
        &json!({"file": {"url": "https://example.com/notes.txt"}}),
    )
    .await;
    app.api_ok_bare_with(
        Method::POST,
        KEY_A,
        "/form_detection_runs",
        &json!({"file": {"url": "https://example.com/form.pdf"}}),
    )
    .await;
    let got = hooks.events(3).await;
    let mut events: Vec<(String, Value)> = got
        .iter()
        .map(|(_, e, _)| {
            (
                e["eventType"].as_str().unwrap().to_owned(),
                e["payload"].clone(),
            )
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "edit_run.failed",
            "edit_run.processed",
            "form_detection_run.processed"
        ]
    );
    assert_eq!(events[0].1["failureReason"], "FILE_TYPE_NOT_SUPPORTED");
    let processed = &events[1].1;
    assert_eq!(processed["id"], edited["id"]);
    assert_eq!(processed["object"], "edit_run");
    let link = processed["output"]["editedFile"]["presignedUrl"]
        .as_str()
        .unwrap();
    let res = app.client.get(link).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
    assert_eq!(events[2].1["object"], "form_detection_run");
    assert_eq!(events[2].1["output"]["schema"]["type"], "object");
}
