//! Runs made through the API: create (every field checked), the lifecycle
//! that ends them, markers, sync, cancel, and the races between them.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const PROCESSING: Duration = Duration::from_millis(100);

async fn app_with(processing: Duration, sync_timeout: Duration) -> TestApp {
    let settings = extend_mock::Settings {
        processing_time: processing,
        sync_timeout,
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&fixture(), SECRET, settings).await
}

async fn app() -> TestApp {
    app_with(PROCESSING, Duration::from_secs(30)).await
}

async fn create(app: &TestApp, body: Value) -> Value {
    app.api_ok(Method::POST, KEY_A, "/processor_runs", Some(&body))
        .await["processorRun"]
        .clone()
}

/// Polls `get` until the run is no longer PROCESSING (at most 10 s).
async fn wait_done(app: &TestApp, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let run = app.get_run_ok(KEY_A, id).await;
        if run["status"] != "PROCESSING" {
            return run;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{id} never finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn on_url(url: &str) -> Value {
    json!({"processorId": "ex_inv", "file": {"fileUrl": url}})
}

#[tokio::test]
async fn a_created_run_is_processing_at_once_then_processed() {
    let app = app().await;
    let run = create(
        &app,
        on_url("https://files.example.com/in/Invoice%2042.pdf?sig=abc"),
    )
    .await;
    let id = run["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("exr_") && id.len() == 25, "{id}");
    assert_eq!(run["status"], "PROCESSING");
    assert_eq!(run["output"], json!({}));
    assert_eq!(run["processorId"], "ex_inv");
    assert_eq!(
        run["processorVersionId"], "exv_ex_inv",
        "the latest published version"
    );
    assert_eq!(run["type"], "EXTRACT");
    assert_eq!(run["files"][0]["name"], "Invoice 42.pdf");
    assert!(run.get("usage").is_none());
    // In the list at once, as the newest.
    let listed = app
        .list_ok(KEY_A, &[("maxPageSize", "1"), ("sortBy", "createdAt")])
        .await;
    assert_eq!(listed["processorRuns"][0]["id"], id.as_str());
    assert_eq!(listed["processorRuns"][0]["status"], "PROCESSING");
    let created_at = listed["processorRuns"][0]["createdAt"]
        .as_str()
        .unwrap()
        .to_owned();

    let done = wait_done(&app, &id).await;
    assert_eq!(done["status"], "PROCESSED");
    assert!(
        done["output"]["value"].is_object() && done["output"]["metadata"].is_object(),
        "{done}"
    );
    assert_eq!(done["usage"], json!({"credits": 1.0}));
    let listed = app.list_ok(KEY_A, &[("maxPageSize", "1")]).await;
    assert_eq!(
        listed["processorRuns"][0]["id"],
        id.as_str(),
        "updatedAt moved it first"
    );
    let updated_at = listed["processorRuns"][0]["updatedAt"].as_str().unwrap();
    assert!(
        updated_at > created_at.as_str(),
        "{updated_at} after {created_at}"
    );
    assert_eq!(app.state.lifecycle.in_flight(), 0);
}

#[tokio::test]
async fn versions_files_metadata_and_config_are_as_asked() {
    let app = app().await;
    let processor = app
        .api_ok(
            Method::POST,
            KEY_A,
            "/processors",
            Some(
                &json!({"name": "Receipts", "type": "EXTRACT", "config": {"type": "EXTRACT",
                "schema": {"type": "object", "properties": {"merchant": {"type": "string"}}}}}),
            ),
        )
        .await["processor"]
        .clone();
    let pid = processor["id"].as_str().unwrap().to_owned();
    let draft = processor["draftVersion"]["id"].as_str().unwrap().to_owned();
    // No published version yet: the draft is the latest.
    let run = create(&app, json!({"processorId": pid, "rawText": "Total 12.00"})).await;
    assert_eq!(run["processorVersionId"], draft.as_str());
    assert_eq!(run["files"][0]["name"], "raw_text.txt");
    let v1 = app
        .api_ok(
            Method::POST,
            KEY_A,
            &format!("/processors/{pid}/publish"),
            Some(&json!({"releaseType": "major"})),
        )
        .await["processorVersion"]["id"]
        .clone();
    let v2 = app
        .api_ok(
            Method::POST,
            KEY_A,
            &format!("/processors/{pid}/publish"),
            Some(&json!({"releaseType": "minor"})),
        )
        .await["processorVersion"]["id"]
        .clone();
    for (version, expected) in [
        (Value::Null, &v2),
        (json!("latest"), &v2),
        (json!("1.0"), &v1),
        (json!("draft"), &json!(draft)),
    ] {
        let run = create(
            &app,
            json!({"processorId": pid, "rawText": "x", "version": version}),
        )
        .await;
        assert_eq!(&run["processorVersionId"], expected, "version {version}");
    }

    let upload = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4 /Type /Page /Type /Page".to_vec())
            .file_name("two.pdf"),
    );
    let file: Value = app
        .client
        .post(app.url("/files/upload"))
        .bearer_auth(KEY_A)
        .header("x-extend-api-version", VERSION)
        .multipart(upload)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let config = json!({"type": "EXTRACT", "schema": {"type": "object", "properties": {"total": {"type": "number"}}}});
    let run = create(
        &app,
        json!({"processorId": pid, "file": {"fileId": file["id"]}, "config": config,
               "metadata": {"customer": "acme", "extend:usage_tags": ["team a!", "q-1_b"]},
               "priority": 10, "sync": null}),
    )
    .await;
    assert_eq!(run["files"], json!([file]));
    assert_eq!(run["config"], config);
    assert_eq!(
        run["metadata"],
        json!({"customer": "acme", "extend:usage_tags": ["teama", "q-1_b"]})
    );
    let done = wait_done(&app, run["id"].as_str().unwrap()).await;
    let value = &done["output"]["value"];
    assert_eq!(
        value.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["total"],
        "{value}"
    );
    assert_eq!(done["usage"], json!({"credits": 2.0}), "a credit a page");
}

#[tokio::test]
async fn bad_creates_name_the_field_and_store_nothing() {
    let app = app().await;
    let before = app.state_document().await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"rawText": "x"}), 400, "missing field `processorId`"),
        (
            json!({"processorId": "ex_nope", "rawText": "x"}),
            404,
            "Processor `ex_nope` not found",
        ),
        (
            json!({"processorId": "ex_cls", "rawText": "x", "version": "9.0"}),
            404,
            "Processor version `9.0` not found",
        ),
        (
            json!({"processorId": "ex_inv"}),
            400,
            "file: one of `file` or `rawText` is required",
        ),
        (
            json!({"processorId": "ex_inv", "rawText": "x", "file": {"fileUrl": "https://a.test/x.pdf"}}),
            400,
            "file: give `file` or `rawText`, not both",
        ),
        (
            json!({"processorId": "ex_inv", "file": {}}),
            400,
            "file.fileUrl: one of `fileUrl` or `fileId` is required",
        ),
        (
            json!({"processorId": "ex_inv", "file": {"fileUrl": "https://a.test/x.pdf", "fileId": "file_1"}}),
            400,
            "not both",
        ),
        (
            json!({"processorId": "ex_inv", "file": {"fileUrl": "ftp://a.test/x.pdf"}}),
            400,
            "file.fileUrl: `ftp://a.test/x.pdf` is not an http(s) URL",
        ),
        (
            json!({"processorId": "ex_inv", "file": {"fileId": "file_nope"}}),
            404,
            "File `file_nope` not found",
        ),
        (
            json!({"processorId": "ex_inv", "rawText": "x", "config": {"type": "CLASSIFY"}}),
            400,
            "config.type",
        ),
        (
            json!({"processorId": "ex_inv", "rawText": "x", "metadata": {"extend:usage_tags": "a"}}),
            400,
            "metadata.extend:usage_tags",
        ),
        (
            json!({"processorId": "ex_inv", "rawText": "x", "sync": "yes"}),
            400,
            "sync",
        ),
        (
            json!({"processorId": "ex_inv", "rawText": " "}),
            400,
            "rawText: must not be empty",
        ),
    ];
    for (body, status, expected) in cases {
        let message = app
            .api_err(Method::POST, KEY_A, "/processor_runs", Some(&body), status)
            .await;
        assert!(message.contains(expected), "{body}: {message}");
    }
    // Another workspace's processor is missing, in the same words.
    let message = app
        .api_err(
            Method::POST,
            KEY_C,
            "/processor_runs",
            Some(&json!({"processorId": "ex_cls", "rawText": "x"})),
            404,
        )
        .await;
    assert_eq!(message, "Processor `ex_cls` not found");
    assert_eq!(app.state_document().await, before, "nothing stored");
    assert_eq!(app.state.lifecycle.in_flight(), 0);
}

#[tokio::test]
async fn markers_fail_hold_or_slow_a_run() {
    let app = app().await;
    let failed = create(&app, on_url("https://a.test/scan__fail__.pdf")).await;
    let reasoned = create(
        &app,
        json!({"processorId": "ex_inv", "rawText": "please __fail_PROCESSING_TIMEOUT__"}),
    )
    .await;
    let named = create(&app, json!({"processorId": "ex_inv", "file": {"fileUrl": "https://a.test/x.pdf", "fileName": "w2__fail_UNSUPPORTED_FILE_TYPE__.pdf"}})).await;
    let held = create(&app, on_url("https://a.test/__hold__.pdf")).await;
    let slow = create(&app, on_url("https://a.test/big__slow__.pdf")).await;
    let plain = create(&app, on_url("https://a.test/failed_invoices.pdf")).await;

    // A name that merely says "failed" is not a marker.
    let done = wait_done(&app, plain["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "PROCESSED");
    assert!(done.get("failureReason").is_none());
    // The slow one is still going when the plain one is done.
    assert_eq!(
        app.get_run_ok(KEY_A, slow["id"].as_str().unwrap()).await["status"],
        "PROCESSING"
    );
    let done = wait_done(&app, failed["id"].as_str().unwrap()).await;
    assert_eq!(
        (done["status"].as_str(), done["failureReason"].as_str()),
        (Some("FAILED"), Some("FILE_PARSING_ERROR"))
    );
    assert!(
        done["failureMessage"]
            .as_str()
            .unwrap()
            .contains("could not be parsed")
    );
    assert_eq!(done["output"], json!({}));
    let done = wait_done(&app, reasoned["id"].as_str().unwrap()).await;
    assert_eq!(done["failureReason"], "PROCESSING_TIMEOUT");
    let done = wait_done(&app, named["id"].as_str().unwrap()).await;
    assert_eq!(done["failureReason"], "UNSUPPORTED_FILE_TYPE");
    let done = wait_done(&app, slow["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "PROCESSED");
    // The held one never finishes on its own.
    tokio::time::sleep(PROCESSING * 3).await;
    assert_eq!(
        app.get_run_ok(KEY_A, held["id"].as_str().unwrap()).await["status"],
        "PROCESSING"
    );
}

#[tokio::test]
async fn sync_answers_the_finished_run_or_the_run_as_it_stands_at_the_timeout() {
    let app = app_with(PROCESSING, Duration::from_millis(300)).await;
    let started = Instant::now();
    let run = create(
        &app,
        json!({"processorId": "ex_inv", "rawText": "x", "sync": true}),
    )
    .await;
    assert_eq!(run["status"], "PROCESSED");
    assert!(started.elapsed() >= PROCESSING);
    let run = create(
        &app,
        json!({"processorId": "ex_inv", "rawText": "x __fail__", "sync": true}),
    )
    .await;
    assert_eq!(run["status"], "FAILED");
    let started = Instant::now();
    let run = create(
        &app,
        json!({"processorId": "ex_inv", "rawText": "__hold__", "sync": true}),
    )
    .await;
    assert_eq!(run["status"], "PROCESSING");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn cancel_stops_a_run_for_good_and_refuses_what_is_not_running() {
    let app = app().await;
    let run = create(&app, on_url("https://a.test/x.pdf")).await;
    let id = run["id"].as_str().unwrap();
    let cancelled = app
        .api_ok(
            Method::POST,
            KEY_A,
            &format!("/processor_runs/{id}/cancel"),
            None,
        )
        .await["processorRun"]
        .clone();
    assert_eq!(cancelled["status"], "CANCELLED");
    tokio::time::sleep(PROCESSING * 3).await;
    let after = app.get_run_ok(KEY_A, id).await;
    assert_eq!(
        after["status"], "CANCELLED",
        "the lifecycle leaves it alone"
    );
    assert_eq!(after["output"], json!({}));
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            &format!("/processor_runs/{id}/cancel"),
            None,
            400,
        )
        .await;
    assert_eq!(
        message,
        format!(
            "Processor run `{id}` is CANCELLED; only a PROCESSING or PENDING run can be cancelled"
        )
    );
    // Fixture runs: PENDING cancels, PROCESSED does not; another workspace's is 404; /v1 too.
    let pending = app
        .api_ok(Method::POST, KEY_A, "/v1/processor_runs/exr_3/cancel", None)
        .await;
    assert_eq!(pending["processorRun"]["status"], "CANCELLED");
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/processor_runs/exr_1/cancel",
            None,
            400,
        )
        .await;
    assert!(message.contains("is PROCESSED"), "{message}");
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/processor_runs/exr_7/cancel",
            None,
            404,
        )
        .await;
    assert_eq!(message, "Processor run `exr_7` not found");
}

#[tokio::test]
async fn deletes_and_resets_while_runs_are_in_flight() {
    let app = app_with(Duration::from_secs(2), Duration::from_secs(30)).await;
    // A reset drops the runs in flight and starts the id stream again: the
    // next run has the same id and must not be ended by the old entry. The
    // old one is due 2 s after the first create, the new one 2 s after the
    // reset (1.5 s later): between the two, the new run must be PROCESSING.
    let first = create(&app, on_url("https://a.test/x.pdf")).await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.mock_ok(Method::POST, "/reset", None).await;
    assert_eq!(app.state.lifecycle.in_flight(), 0);
    let again = create(&app, on_url("https://a.test/x.pdf")).await;
    let id = again["id"].as_str().unwrap().to_owned();
    assert_eq!(again["id"], first["id"]);
    tokio::time::sleep(
        (started + Duration::from_millis(2500)).saturating_duration_since(Instant::now()),
    )
    .await;
    let run = app.get_run_ok(KEY_A, &id).await;
    assert_eq!(
        run["status"], "PROCESSING",
        "ended by its own time, not the old entry's"
    );
    assert_eq!(wait_done(&app, &id).await["status"], "PROCESSED");

    // A run deleted while processing stays deleted when its time comes.
    let app = app_with(PROCESSING, Duration::from_secs(30)).await;
    let run = create(&app, on_url("https://a.test/x.pdf")).await;
    let id = run["id"].as_str().unwrap().to_owned();
    assert_eq!(app.delete_run(KEY_A, &id).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.run_request(Method::GET, "", KEY_A, &id).await.status(),
        404,
        "not brought back"
    );
    assert_eq!(app.state.lifecycle.in_flight(), 0);
}

#[tokio::test]
async fn many_concurrent_creates_are_all_stored_with_unique_ids() {
    let app = app_with(Duration::ZERO, Duration::from_secs(30)).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let client = app.client.clone();
        let url = app.url("/processor_runs");
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(KEY_A)
                .header("x-extend-api-version", VERSION)
                .json(&json!({"processorId": "ex_inv", "rawText": format!("run {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            body["processorRun"]["id"].as_str().unwrap().to_owned()
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 64);
    for id in &ids {
        assert_eq!(wait_done(&app, id).await["status"], "PROCESSED");
    }
    let (listed, _) = app.walk_all_pages(KEY_A, &[("maxPageSize", "100")]).await;
    for id in &ids {
        assert!(listed.contains(id), "{id} listed");
    }
}

#[tokio::test]
async fn the_same_seed_gives_a_replayed_suite_the_same_run_ids() {
    let a = app().await;
    let b = app().await;
    for _ in 0..3 {
        let body = on_url("https://a.test/x.pdf");
        assert_eq!(
            create(&a, body.clone()).await["id"],
            create(&b, body).await["id"]
        );
    }
}

#[tokio::test]
async fn cancel_racing_the_end_gives_one_consistent_answer() {
    let app = app_with(Duration::from_millis(5), Duration::from_secs(30)).await;
    let (mut cancelled, mut finished) = (0, 0);
    for _ in 0..40 {
        let run = create(&app, on_url("https://a.test/x.pdf")).await;
        let id = run["id"].as_str().unwrap().to_owned();
        let res = app
            .api(
                Method::POST,
                KEY_A,
                &format!("/processor_runs/{id}/cancel"),
                None,
            )
            .await;
        let status = res.status().as_u16();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let end = app.get_run_ok(KEY_A, &id).await["status"].clone();
        match status {
            200 => {
                assert_eq!(end, "CANCELLED", "{id}");
                cancelled += 1;
            }
            400 => {
                assert_eq!(end, "PROCESSED", "{id}");
                finished += 1;
            }
            other => panic!("cancel of {id}: {other}"),
        }
    }
    assert_eq!(cancelled + finished, 40);
}

#[tokio::test]
async fn the_control_plane_finishes_fails_or_holds_a_run_now() {
    let app = app_with(Duration::from_secs(600), Duration::from_secs(30)).await;
    let output = json!({"value": {"total": 99.5}, "metadata": {}});
    let a = create(&app, on_url("https://a.test/a.pdf")).await;
    let finished = app
        .mock_ok(
            Method::POST,
            &format!("/processor_runs/{}/finish", a["id"].as_str().unwrap()),
            Some(&json!({"output": output})),
        )
        .await;
    assert_eq!(finished["processorRun"]["status"], "PROCESSED");
    assert_eq!(finished["processorRun"]["output"], output);
    let got = app.get_run_ok(KEY_A, a["id"].as_str().unwrap()).await;
    assert_eq!(got["output"], output);
    assert_eq!(got["usage"], json!({"credits": 1.0}));

    // Without a body: a derived output; fail with a chosen reason or the default.
    let b = create(&app, on_url("https://a.test/b.pdf")).await;
    let res = app
        .mock(
            Method::POST,
            &format!("/processor_runs/{}/finish", b["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["processorRun"]["output"]["value"].is_object());
    let c = create(&app, on_url("https://a.test/c.pdf")).await;
    let failed = app
        .mock_ok(
            Method::POST,
            &format!("/processor_runs/{}/fail", c["id"].as_str().unwrap()),
            Some(&json!({"failureReason": "QUOTA_EXCEEDED", "failureMessage": "No credits left."})),
        )
        .await;
    assert_eq!(failed["processorRun"]["status"], "FAILED");
    assert_eq!(failed["processorRun"]["failureReason"], "QUOTA_EXCEEDED");
    assert_eq!(failed["processorRun"]["failureMessage"], "No credits left.");
    // A fixture run that is PENDING can be ended too; a finished one cannot.
    let pending = app
        .mock_ok(Method::POST, "/processor_runs/exr_3/fail", None)
        .await;
    assert_eq!(
        pending["processorRun"]["failureReason"],
        "FILE_PARSING_ERROR"
    );
    let res = app
        .mock(Method::POST, "/processor_runs/exr_1/finish", None)
        .await;
    assert_eq!(res.status(), 400);
    let res = app
        .mock(Method::POST, "/processor_runs/exr_nope/finish", None)
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .mock(
            Method::POST,
            "/processor_runs/exr_4/finish",
            Some(&json!({"outputs": {}})),
        )
        .await;
    assert_eq!(res.status(), 400, "unknown fields are refused");
}

#[tokio::test]
async fn a_held_run_outlives_its_time_until_ended_otherwise() {
    let app = app_with(Duration::from_millis(200), Duration::from_secs(30)).await;
    let run = create(&app, on_url("https://a.test/a.pdf")).await;
    let id = run["id"].as_str().unwrap().to_owned();
    let held = app
        .mock_ok(Method::POST, &format!("/processor_runs/{id}/hold"), None)
        .await;
    assert_eq!(held["processorRun"]["status"], "PROCESSING");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(app.get_run_ok(KEY_A, &id).await["status"], "PROCESSING");
    let done = app
        .mock_ok(Method::POST, &format!("/processor_runs/{id}/finish"), None)
        .await;
    assert_eq!(done["processorRun"]["status"], "PROCESSED");
    let res = app
        .mock(Method::POST, &format!("/processor_runs/{id}/hold"), None)
        .await;
    assert_eq!(res.status(), 400);
    // The steering calls are in the journal with the API's requests, in order.
    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    let calls: Vec<(String, u64)> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with("/_mock/"))
        .map(|e| {
            let path = e["path"].as_str().unwrap();
            (path.to_owned(), e["status"].as_u64().unwrap())
        })
        .collect();
    let path = |verb: &str| format!("/_mock/processor_runs/{id}/{verb}");
    assert_eq!(
        calls,
        [
            (path("hold"), 200),
            (path("finish"), 200),
            (path("hold"), 400)
        ],
        "seeding, reset and journal reads stay out"
    );
    let held = app
        .mock_ok(
            Method::GET,
            &format!("/requests?path={}", path("hold")),
            None,
        )
        .await;
    assert_eq!(held["requests"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn rules_decide_how_future_runs_end_until_cleared_or_reset() {
    let app = app().await;
    let output = json!({"value": {"employer": "Initech"}, "metadata": {}});
    let rule = app
        .mock_ok(
            Method::POST,
            "/rules",
            Some(&json!({"processorId": "ex_cls", "output": output})),
        )
        .await;
    assert_eq!(rule["rule"]["id"], "rule_1");
    app.mock_ok(
        Method::POST,
        "/rules",
        Some(&json!({"fileNameContains": "PAYSTUB", "failureReason": "UNSUPPORTED_FILE_TYPE"})),
    )
    .await;
    app.mock_ok(
        Method::POST,
        "/rules",
        Some(&json!({"fileNameContains": "stuck", "hold": true})),
    )
    .await;
    let listed = app.mock_ok(Method::GET, "/rules", None).await;
    assert_eq!(listed["rules"].as_array().unwrap().len(), 3);

    let pinned = create(&app, json!({"processorId": "ex_cls", "rawText": "x"})).await;
    let failing = create(&app, on_url("https://a.test/March_paystub.pdf")).await;
    let stuck = create(&app, on_url("https://a.test/stuck.pdf")).await;
    // A marker in the input wins over a rule.
    let marked = create(
        &app,
        json!({"processorId": "ex_cls", "rawText": "__fail__"}),
    )
    .await;
    let plain = create(&app, on_url("https://a.test/other.pdf")).await;

    assert_eq!(
        wait_done(&app, pinned["id"].as_str().unwrap()).await["output"],
        output
    );
    let failed = wait_done(&app, failing["id"].as_str().unwrap()).await;
    assert_eq!(failed["failureReason"], "UNSUPPORTED_FILE_TYPE");
    assert_eq!(
        failed["failureMessage"],
        "The file type is not supported by this processor."
    );
    assert_eq!(
        wait_done(&app, marked["id"].as_str().unwrap()).await["status"],
        "FAILED"
    );
    let done = wait_done(&app, plain["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "PROCESSED");
    assert_ne!(done["output"], output);
    tokio::time::sleep(PROCESSING * 2).await;
    assert_eq!(
        app.get_run_ok(KEY_A, stuck["id"].as_str().unwrap()).await["status"],
        "PROCESSING"
    );

    for (body, expected) in [
        (
            json!({"output": {}}),
            "give `processorId`, `fileNameContains` or both",
        ),
        (json!({"processorId": "ex_cls"}), "give exactly one of"),
        (
            json!({"processorId": "ex_cls", "hold": true, "failureReason": "X"}),
            "give exactly one of",
        ),
        (
            json!({"processorId": "ex_cls", "outputs": {}}),
            "unknown field `outputs`",
        ),
    ] {
        let res = app.mock(Method::POST, "/rules", Some(&body)).await;
        assert_eq!(res.status(), 400, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert!(
            answer["message"].as_str().unwrap().contains(expected),
            "{answer}"
        );
    }
    assert_eq!(
        app.mock_ok(Method::DELETE, "/rules", None).await["cleared"],
        3
    );
    app.mock_ok(
        Method::POST,
        "/rules",
        Some(&json!({"processorId": "ex_cls", "hold": true})),
    )
    .await;
    app.mock_ok(Method::POST, "/reset", None).await;
    assert_eq!(
        app.mock_ok(Method::GET, "/rules", None).await["rules"],
        json!([])
    );
}

#[tokio::test]
async fn a_sync_create_answers_as_soon_as_its_run_ends_any_way() {
    let app = app_with(PROCESSING, Duration::from_secs(600)).await;
    let client = app.client.clone();
    let url = app.url("/processor_runs");
    let waiting = tokio::spawn(async move {
        let res = client
            .post(url)
            .bearer_auth(KEY_A)
            .header("x-extend-api-version", VERSION)
            .json(&json!({"processorId": "ex_inv", "rawText": "__hold__", "sync": true}))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        body["processorRun"].clone()
    });
    // The held run shows in the list; cancel it from another request.
    let id = loop {
        let listed = app
            .list_ok(KEY_A, &[("status", "PROCESSING"), ("source", "API")])
            .await;
        if let Some(run) = listed["processorRuns"].as_array().unwrap().first() {
            break run["id"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    app.api_ok(
        Method::POST,
        KEY_A,
        &format!("/processor_runs/{id}/cancel"),
        None,
    )
    .await;
    // With --sync-timeout at 10 minutes, only the cancel can have woken it.
    let run = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the sync create was not woken by the cancel")
        .unwrap();
    assert_eq!(run["status"], "CANCELLED");
}
