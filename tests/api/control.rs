//! The `/_mock/` control plane: fixtures, runs, reset, journal, faults, rate
//! limits, the admin token, and safety under concurrent use.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use extend_mock::Settings;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn new_run(id: &str) -> Value {
    run(
        id,
        "ws_a",
        "PROCESSED",
        "ex_new",
        Some("EXTRACT"),
        "API",
        None,
        "new.pdf",
        1000,
        1001,
    )
}

#[tokio::test]
async fn health_reports_readiness() {
    let app = spawn_app(&fixture()).await;
    let body = app.mock_ok(Method::GET, "/health", None).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["processorRuns"], 8);
}

#[tokio::test]
async fn fixtures_round_trip_and_replace_the_whole_state() {
    let app = spawn_app(&fixture()).await;
    let original = app.state_document().await;
    assert_eq!(original["processorRuns"].as_array().unwrap().len(), 8);
    assert_eq!(original["apiKeys"].as_array().unwrap().len(), 5);

    // What GET returns, PUT accepts, and the state is unchanged by the trip.
    let counts = app.mock_ok(Method::PUT, "/fixtures", Some(&original)).await;
    assert_eq!(counts["processorRuns"], 8);
    assert_eq!(app.state_document().await, original);

    // A new document replaces organizations, keys and runs.
    let replacement = json!({
        "organizations": [ { "id": "org_n", "name": "N", "workspaces": [ { "id": "ws_n", "name": "N" } ] } ],
        "apiKeys": [ { "token": "key_n", "scope": "workspace", "workspaceId": "ws_n" } ],
        "processorRuns": [ run("exr_n", "ws_n", "FAILED", "ex_n", None, "ADMIN", None, "n.pdf", 1, 2) ]
    });
    let counts = app
        .mock_ok(Method::PUT, "/fixtures", Some(&replacement))
        .await;
    assert_eq!(
        counts,
        json!({ "success": true, "organizations": 1, "workspaces": 1, "apiKeys": 1, "processorRuns": 1,
                "processors": 1, "files": 0 })
    );
    assert_eq!(ids(&app.list_ok("key_n", &[]).await), ["exr_n"]);
    assert_eq!(
        app.list(KEY_A, &[]).await.status(),
        401,
        "old keys are gone"
    );
}

#[tokio::test]
async fn an_invalid_document_is_400_and_changes_nothing() {
    let app = spawn_app(&fixture()).await;
    let before = app.state_document().await;
    let with_run = |run: Value| {
        let mut doc = fixture();
        doc["processorRuns"].as_array_mut().unwrap().push(run);
        doc
    };
    let mut bad_status = new_run("exr_x");
    bad_status["status"] = json!("DONE");
    let mut backwards = new_run("exr_x");
    backwards["updatedAt"] = json!("2024-01-01T00:00:00Z");
    let mut nowhere = new_run("exr_x");
    nowhere["workspaceId"] = json!("ws_nowhere");
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown enum",
            with_run(bad_status),
            "processorRuns[8].status",
        ),
        (
            "duplicate id",
            with_run(new_run("exr_1")),
            "processorRuns[8]: id: duplicate run id `exr_1`",
        ),
        (
            "unknown workspace",
            with_run(nowhere),
            "processorRuns[8]: workspaceId: unknown workspace `ws_nowhere`",
        ),
        (
            "updatedAt before createdAt",
            with_run(backwards),
            "processorRuns[8]: updatedAt",
        ),
        (
            "unknown field",
            json!({ "processorRun": [] }),
            "unknown field `processorRun`",
        ),
        ("not an object", json!([1, 2]), "request body"),
    ];
    for (case, body, needle) in cases {
        let res = app.mock(Method::PUT, "/fixtures", Some(&body)).await;
        assert_error(res, 400, "INVALID_REQUEST", needle, case).await;
        assert_eq!(app.state_document().await, before, "{case}: state changed");
    }
    let res = app
        .client
        .put(app.url("/_mock/fixtures"))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "request body",
        "malformed JSON",
    )
    .await;
    assert_eq!(app.state_document().await, before);
}

#[tokio::test]
async fn added_runs_are_listed_and_a_bad_batch_adds_none() {
    let app = spawn_app(&fixture()).await;
    let body = json!({ "processorRuns": [new_run("exr_new_1"), new_run("exr_new_2")] });
    let res = app.mock(Method::POST, "/processor_runs", Some(&body)).await;
    assert_eq!(res.status(), 201);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["added"], 2);
    assert_eq!(answer["processorRuns"], 10);
    let listed = ids(&app.list_ok(KEY_A, &[("processorId", "ex_new")]).await);
    assert_eq!(listed, ["exr_new_2", "exr_new_1"]);

    let before = app.state_document().await;
    let mut bad_type = new_run("exr_b");
    bad_type["type"] = json!("OCR");
    let mut other_ws = new_run("exr_b");
    other_ws["workspaceId"] = json!("ws_q");
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        (
            "duplicate of a stored run",
            vec![new_run("exr_ok"), new_run("exr_1")],
            "processorRuns[1]: id: duplicate run id `exr_1`",
        ),
        (
            "duplicate within the batch",
            vec![new_run("exr_ok"), new_run("exr_ok")],
            "processorRuns[1]: id: duplicate run id `exr_ok`",
        ),
        (
            "unknown workspace",
            vec![new_run("exr_ok"), other_ws],
            "processorRuns[1]: workspaceId",
        ),
        (
            "unknown enum",
            vec![new_run("exr_ok"), bad_type],
            "processorRuns[1].type",
        ),
    ];
    for (case, runs, needle) in cases {
        let body = json!({ "processorRuns": runs });
        let res = app.mock(Method::POST, "/processor_runs", Some(&body)).await;
        assert_error(res, 400, "INVALID_REQUEST", needle, case).await;
        assert_eq!(
            app.state_document().await,
            before,
            "{case}: the good run was added anyway"
        );
    }
    let res = app
        .mock(
            Method::POST,
            "/processor_runs",
            Some(&json!({ "runs": [] })),
        )
        .await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "unknown field `runs`",
        "wrong key",
    )
    .await;
}

#[tokio::test]
async fn reset_returns_to_the_start_up_state() {
    let app = spawn_app(&fixture()).await;
    let start = app.state_document().await;
    app.mock_ok(
        Method::POST,
        "/processor_runs",
        Some(&json!({ "processorRuns": [new_run("exr_new")] })),
    )
    .await;
    app.mock_ok(Method::PUT, "/fixtures", Some(&organizations_and_keys()))
        .await;
    assert_ne!(app.state_document().await, start);
    let counts = app.mock_ok(Method::POST, "/reset", None).await;
    assert_eq!(counts["processorRuns"], 8);
    assert_eq!(app.state_document().await, start);
}

#[tokio::test]
async fn the_journal_records_api_requests_without_tokens() {
    let app = spawn_app(&fixture()).await;
    let ok = app.list(KEY_A, &[("status", "FAILED")]).await;
    let ok_id = ok.headers()["x-request-id"].to_str().unwrap().to_owned();
    app.list(KEY_A, &[("status", "BOGUS")]).await;
    app.list("not-a-key", &[]).await;
    app.list_with(KEY_ORG_A, &[("x-extend-workspace-id", "ws_b")], &[])
        .await;
    app.client.get(app.url("/nope")).send().await.unwrap();
    app.mock_ok(Method::GET, "/health", None).await; // control requests are not journaled

    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    let entries = journal["requests"].as_array().unwrap();
    let summary: Vec<(String, u64, Value, Value)> = entries
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
                e["workspaceId"].clone(),
                e["query"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "/processor_runs".into(),
                200,
                json!("ws_a"),
                json!("status=FAILED")
            ),
            (
                "/processor_runs".into(),
                400,
                json!("ws_a"),
                json!("status=BOGUS")
            ),
            ("/processor_runs".into(), 401, Value::Null, Value::Null),
            ("/processor_runs".into(), 200, json!("ws_b"), Value::Null),
            ("/nope".into(), 404, Value::Null, Value::Null),
        ]
    );
    assert_eq!(entries[0]["requestId"], ok_id.as_str());
    assert_eq!(entries[0]["method"], "GET");
    assert!(entries[0]["time"].as_str().unwrap().ends_with('Z'));
    assert!(
        entries[0]["keyName"].as_str().unwrap().starts_with("key-"),
        "{}",
        entries[0]
    );
    assert_ne!(
        entries[0]["keyName"], entries[3]["keyName"],
        "keys are told apart"
    );
    let text = journal.to_string();
    for token in [KEY_A, KEY_ORG_A, "not-a-key"] {
        assert!(
            !text.contains(token),
            "the journal holds the token {token}: {text}"
        );
    }

    let failed = app.mock_ok(Method::GET, "/requests?status=400", None).await;
    assert_eq!(failed["requests"].as_array().unwrap().len(), 1);
    let by_path = app
        .mock_ok(Method::GET, "/requests?path=/nope&method=get", None)
        .await;
    assert_eq!(by_path["requests"].as_array().unwrap().len(), 1);
    let res = app.mock(Method::GET, "/requests?status=abc", None).await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "`status`",
        "bad journal filter",
    )
    .await;

    let cleared = app.mock_ok(Method::DELETE, "/requests", None).await;
    assert_eq!(cleared["cleared"], 5);
    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    assert_eq!(journal["requests"], json!([]));
}

#[tokio::test]
async fn the_journal_keeps_only_the_newest_entries() {
    let settings = Settings {
        journal_capacity: 3,
        ..Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let mut sent = Vec::new();
    for _ in 0..7 {
        let res = app.list(KEY_A, &[]).await;
        sent.push(res.headers()["x-request-id"].to_str().unwrap().to_owned());
    }
    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    let kept: Vec<&str> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["requestId"].as_str().unwrap())
        .collect();
    assert_eq!(
        kept,
        sent[4..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(journal["dropped"], 4);
    assert_eq!(journal["capacity"], 3);
}

#[tokio::test]
async fn faults_fire_on_matching_requests_and_are_consumed() {
    let app = spawn_app(&fixture()).await;
    let fault = json!({ "method": "get", "path": "/processor_runs", "status": 429, "count": 2 });
    let res = app.mock(Method::POST, "/faults", Some(&fault)).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["remaining"], 2);
    assert_eq!(created["retryAfter"], 1, "429 defaults Retry-After to 1 s");
    let listed = app.mock_ok(Method::GET, "/faults", None).await;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1);

    // Another path is untouched; the legacy path is another path.
    assert_eq!(
        app.client
            .get(app.url("/v1/processor_runs"))
            .bearer_auth(KEY_A)
            .header("x-extend-api-version", VERSION)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for attempt in 0..2 {
        let res = app.list(KEY_A, &[]).await;
        assert_eq!(res.headers()["retry-after"], "1", "attempt {attempt}");
        let body = assert_error(res, 429, "RATE_LIMIT_EXCEEDED", "Injected", "injected 429").await;
        assert_eq!(body["retryable"], true);
    }
    assert_eq!(
        app.list(KEY_A, &[]).await.status(),
        200,
        "consumed after two"
    );
    assert_eq!(
        app.mock_ok(Method::GET, "/faults", None).await["faults"],
        json!([])
    );

    for (status, code, retry_after) in [
        (500, "INTERNAL_ERROR", None),
        (503, "SERVICE_UNAVAILABLE", Some("1")),
        (502, "INTERNAL_ERROR", None),
    ] {
        app.mock_ok(Method::POST, "/faults", Some(&json!({ "status": status })))
            .await;
        let res = app.list(KEY_A, &[]).await;
        assert_eq!(
            res.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            retry_after,
            "{status}"
        );
        let body = assert_error(res, status, code, "Injected", &format!("injected {status}")).await;
        assert_eq!(body["retryable"], true);
    }
    // The journal saw the injected answers.
    let failed = app.mock_ok(Method::GET, "/requests?status=429", None).await;
    assert_eq!(failed["requests"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_delay_fault_answers_late_then_normally() {
    let app = spawn_app(&fixture()).await;
    app.mock_ok(Method::POST, "/faults", Some(&json!({ "delayMs": 300 })))
        .await;
    let started = Instant::now();
    let res = app.list(KEY_A, &[]).await;
    assert_eq!(res.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the delay was applied"
    );
    // A fault for another method spares GETs.
    app.mock_ok(
        Method::POST,
        "/faults",
        Some(&json!({ "method": "POST", "status": 500 })),
    )
    .await;
    assert_eq!(app.list(KEY_A, &[]).await.status(), 200);
    let cleared = app.mock_ok(Method::DELETE, "/faults", None).await;
    assert_eq!(cleared["cleared"], 1);
}

#[tokio::test]
async fn bad_fault_requests_are_400() {
    let app = spawn_app(&fixture()).await;
    let cases = [
        (json!({}), "`status`, `delayMs`"),
        (json!({ "status": 200 }), "status: 200"),
        (json!({ "status": 600 }), "status: 600"),
        (json!({ "status": 500, "count": 0 }), "count"),
        (json!({ "status": 500, "path": "processor_runs" }), "path"),
        (json!({ "status": 500, "path": "/_mock/health" }), "path"),
        (json!({ "delayMs": 999999 }), "delayMs"),
        (json!({ "status": 500, "method": "G E T" }), "method"),
        (
            json!({ "status": 500, "times": 2 }),
            "unknown field `times`",
        ),
        (json!({ "status": "500" }), "status"),
    ];
    for (body, needle) in cases {
        let res = app.mock(Method::POST, "/faults", Some(&body)).await;
        assert_error(res, 400, "INVALID_REQUEST", needle, &body.to_string()).await;
    }
    assert_eq!(
        app.mock_ok(Method::GET, "/faults", None).await["faults"],
        json!([])
    );
}

#[tokio::test]
async fn a_per_key_rate_limit_answers_429_like_the_api() {
    let settings = Settings {
        rate_limit: NonZeroU32::new(2),
        ..Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    assert_eq!(app.list(KEY_A, &[]).await.status(), 200);
    assert_eq!(app.list(KEY_A, &[]).await.status(), 200);
    let res = app.list(KEY_A, &[]).await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=1).contains(&retry_after), "{retry_after}");
    let body = assert_error(
        res,
        429,
        "RATE_LIMIT_EXCEEDED",
        "Rate limit",
        "over the limit",
    )
    .await;
    assert_eq!(body["retryable"], true);
    // Each key has its own budget; bad tokens are refused before the limit.
    assert_eq!(app.list(KEY_B, &[]).await.status(), 200);
    assert_eq!(app.list("nope", &[]).await.status(), 401);
}

#[tokio::test]
async fn an_admin_token_guards_the_control_plane_but_not_health_or_the_api() {
    let settings = Settings {
        admin_token: Some("adm-secret".into()),
        ..Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    for (method, path) in [
        (Method::GET, "/fixtures"),
        (Method::POST, "/reset"),
        (Method::GET, "/requests"),
        (Method::DELETE, "/faults"),
    ] {
        let res = app.mock(method.clone(), path, None).await;
        assert_error(
            res,
            401,
            "UNAUTHORIZED",
            "admin token",
            &format!("{method} {path}"),
        )
        .await;
        let res = app
            .client
            .request(method.clone(), app.url(&format!("/_mock{path}")))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{method} {path} with a wrong token");
    }
    let res = app
        .client
        .get(app.url("/_mock/fixtures"))
        .bearer_auth("adm-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.mock(Method::GET, "/health", None).await.status(), 200);
    assert_eq!(app.list(KEY_A, &[]).await.status(), 200);
    // Without the token, a wrong method is 401 too: no 405 and `Allow` to map the routes by.
    for (method, path) in [
        (Method::DELETE, "/reset"),
        (Method::PUT, "/requests"),
        (Method::GET, "/processor_runs"),
    ] {
        let res = app.mock(method.clone(), path, None).await;
        assert_eq!(res.status(), 401, "{method} {path}");
        assert!(res.headers().get("allow").is_none(), "{method} {path}");
    }
    // Two Authorization headers, one of them right, are not the token.
    let res = app
        .client
        .get(app.url("/_mock/fixtures"))
        .header("authorization", "Bearer adm-secret")
        .header("authorization", "Bearer other")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn with_the_control_plane_off_only_health_answers() {
    let settings = Settings {
        control_plane: false,
        ..Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    for (method, path) in [
        (Method::GET, "/fixtures"),
        (Method::POST, "/processor_runs"),
        (Method::GET, "/requests"),
        (Method::POST, "/faults"),
    ] {
        let res = app.mock(method.clone(), path, None).await;
        assert_error(res, 404, "NOT_FOUND", path, &format!("{method} {path}")).await;
    }
    assert_eq!(app.mock(Method::GET, "/health", None).await.status(), 200);
    assert_eq!(app.list(KEY_A, &[]).await.status(), 200);
    // The home page says the demo page is off; the docs are still served.
    let home = app.client.get(app.url("/")).send().await.unwrap();
    let home = home.text().await.unwrap();
    assert!(home.contains("is off: this server runs with <code>--no-control-plane</code>"));
    assert!(!home.contains("href=\"/_mock/ui\""), "{home}");
    assert_eq!(
        app.mock(Method::GET, "/docs/webhooks.md", None)
            .await
            .status(),
        200
    );
}

/// `GET /` points to the demo page, the OpenAPI document and every docs
/// page, which `/_mock/docs/…` serves as the Markdown it is; it is not an
/// API call (no journal entry, no fault), and an admin token does not guard
/// it (nothing in it is data).
#[tokio::test]
async fn the_home_page_points_to_the_demo_page_and_the_docs() {
    let settings = Settings {
        admin_token: Some("adm-secret".into()),
        ..Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let home = res.text().await.unwrap();
    for link in [
        "href=\"/_mock/ui\"",
        "href=\"/_mock/openapi.json\"",
        "href=\"/_mock/docs/README.md\"",
        "href=\"/_mock/docs/workflows.md\">Workflows",
    ] {
        assert!(home.contains(link), "{link} in {home}");
    }
    let res = app.client.get(app.url("/_mock/docs")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        res.text().await.unwrap(),
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/README.md")).unwrap()
    );
    let res = app
        .client
        .get(app.url("/_mock/docs/nothing.md"))
        .send()
        .await
        .unwrap();
    assert_error(
        res,
        404,
        "NOT_FOUND",
        "/_mock/docs/nothing.md",
        "missing page",
    )
    .await;
    // Not journaled: the journal (which needs the token) is empty.
    let journal = app
        .client
        .get(app.url("/_mock/requests"))
        .bearer_auth("adm-secret")
        .send()
        .await
        .unwrap();
    let journal: Value = journal.json().await.unwrap();
    assert_eq!(journal["requests"], json!([]), "{journal}");
}

/// Writers add runs while readers walk every page: each walk is in order with
/// no repeats, and no run is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_and_readers_see_a_consistent_store() {
    let app = std::sync::Arc::new(spawn_app(&fixture()).await);
    let mut tasks = Vec::new();
    for writer in 0..4 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for batch in 0..5 {
                let runs: Vec<Value> = (0..5)
                    .map(|i| {
                        let minute = 10_000 + writer * 100 + batch * 10 + i;
                        run(
                            &format!("exr_w{writer}_{batch}_{i}"),
                            "ws_a",
                            "PENDING",
                            "ex_c",
                            None,
                            "API",
                            None,
                            "c.pdf",
                            minute,
                            minute,
                        )
                    })
                    .collect();
                app.mock_ok(
                    Method::POST,
                    "/processor_runs",
                    Some(&json!({ "processorRuns": runs })),
                )
                .await;
            }
        }));
    }
    for _ in 0..4 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                let (seen, _) = app
                    .walk_all_pages(KEY_A, &[("maxPageSize", "7"), ("sortDir", "asc")])
                    .await;
                let unique: std::collections::HashSet<_> = seen.iter().collect();
                assert_eq!(unique.len(), seen.len(), "a walk repeated a run");
                assert!(seen.len() >= 6, "a walk lost the fixture runs");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (all, _) = app.walk_all_pages(KEY_A, &[("maxPageSize", "1000")]).await;
    assert_eq!(all.len(), 6 + 4 * 5 * 5);
}

#[tokio::test]
async fn reset_says_what_it_resets_and_resets_what_is_asked() {
    let app = spawn_app(&fixture()).await;
    let app = &app;
    let dirty = |id: &'static str| async move {
        app.mock_ok(
            Method::POST,
            "/processor_runs",
            Some(&json!({ "processorRuns": [new_run(id)] })),
        )
        .await;
        app.list(KEY_A, &[]).await;
        app.mock_ok(
            Method::POST,
            "/faults",
            Some(&json!({"status": 503, "path": "/nowhere"})),
        )
        .await;
        app.mock_ok(
            Method::POST,
            "/rules",
            Some(&json!({"processorId": "ex_inv", "hold": true})),
        )
        .await;
    };
    let sizes = || async {
        let journal = app.mock_ok(Method::GET, "/requests", None).await["requests"]
            .as_array()
            .unwrap()
            .len();
        let faults = app.mock_ok(Method::GET, "/faults", None).await["faults"]
            .as_array()
            .unwrap()
            .len();
        let rules = app.mock_ok(Method::GET, "/rules", None).await["rules"]
            .as_array()
            .unwrap()
            .len();
        let runs = app.mock_ok(Method::GET, "/health", None).await["processorRuns"]
            .as_u64()
            .unwrap();
        (runs, journal > 0, faults, rules)
    };
    dirty("exr_new_1").await;
    let answer = app.mock_ok(Method::POST, "/reset", None).await;
    assert_eq!(answer["reset"], json!(["state", "rules"]));
    assert_eq!(sizes().await, (8, true, 1, 0));

    dirty("exr_new_2").await;
    let answer = app
        .mock_ok(Method::POST, "/reset?what=journal,faults", None)
        .await;
    assert_eq!(answer["reset"], json!(["journal", "faults"]));
    assert_eq!(sizes().await, (9, false, 0, 1));

    dirty("exr_new_3").await;
    let answer = app.mock_ok(Method::POST, "/reset?what=all", None).await;
    assert_eq!(
        answer["reset"],
        json!(["state", "journal", "faults", "rules", "deliveries"])
    );
    assert_eq!(sizes().await, (8, false, 0, 0));

    for query in ["what=everything", "only=state"] {
        let res = app
            .mock(Method::POST, &format!("/reset?{query}"), None)
            .await;
        assert_eq!(res.status(), 400, "{query}");
    }
}

#[tokio::test]
async fn the_journal_filters_by_key_workspace_and_request_id_and_refuses_unknown_filters() {
    let app = spawn_app(&fixture()).await;
    let first = app.list(KEY_A, &[]).await;
    let first_id = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    app.list(KEY_B, &[]).await;
    app.list_with(KEY_ORG_A, &[("x-extend-workspace-id", "ws_b")], &[])
        .await;
    let by_workspace = app
        .mock_ok(Method::GET, "/requests?workspaceId=ws_b", None)
        .await;
    assert_eq!(by_workspace["requests"].as_array().unwrap().len(), 2);
    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    let org_name = journal["requests"][2]["keyName"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_key = app
        .mock_ok(Method::GET, &format!("/requests?keyName={org_name}"), None)
        .await;
    assert_eq!(by_key["requests"].as_array().unwrap().len(), 1);
    let by_id = app
        .mock_ok(
            Method::GET,
            &format!("/requests?requestId={first_id}"),
            None,
        )
        .await;
    assert_eq!(by_id["requests"].as_array().unwrap().len(), 1);
    assert_eq!(by_id["requests"][0]["requestId"], first_id.as_str());
    for entry in journal["requests"].as_array().unwrap() {
        let text = entry["durationMs"].to_string();
        let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 3, "durationMs {text} has float noise");
    }
    let res = app.mock(Method::GET, "/requests?stauts=400", None).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("`stauts`"),
        "{body}"
    );
}

/// A JSON array is not a fixture document, nor any body of the control plane.
#[tokio::test]
async fn arrays_are_refused_where_an_object_is_expected() {
    let app = spawn_app(&fixture()).await;
    let before = app.state_document().await;
    for (method, path, body) in [
        (Method::PUT, "/fixtures", json!([])),
        (Method::POST, "/processor_runs", json!([[]])),
        (Method::POST, "/faults", json!([503])),
        (Method::POST, "/rules", json!([])),
    ] {
        let res = app.mock(method.clone(), path, Some(&body)).await;
        assert_eq!(res.status(), 400, "{method} {path}");
        let answer: Value = res.json().await.unwrap();
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("must be a JSON object"),
            "{method} {path}: {answer}"
        );
    }
    assert_eq!(app.state_document().await, before, "nothing changed");
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/processors",
            Some(&json!(["x", "EXTRACT"])),
            400,
        )
        .await;
    assert!(message.contains("must be a JSON object"), "{message}");
}

#[tokio::test]
async fn the_journal_keeps_small_bodies_and_leaves_the_demo_pages_requests_out() {
    let app = spawn_app(&fixture()).await;
    let body = json!({"processorId": "ex_nope", "rawText": "x"});
    let res = app
        .api(Method::POST, KEY_A, "/processor_runs", Some(&body))
        .await;
    assert_eq!(res.status(), 404);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let entry = app
        .mock_ok(Method::GET, &format!("/requests/{id}"), None)
        .await;
    assert_eq!(entry["requestBody"], body);
    assert_eq!(entry["responseBody"]["code"], "NOT_FOUND");
    assert_eq!(entry["responseBody"]["requestId"], id.as_str());
    // A successful GET keeps neither; a failed one keeps its answer.
    let res = app.list(KEY_A, &[("maxPageSize", "1")]).await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let entry = app
        .mock_ok(Method::GET, &format!("/requests/{id}"), None)
        .await;
    assert!(entry.get("requestBody").is_none(), "{entry}");
    assert!(entry.get("responseBody").is_none(), "{entry}");
    let res = app.list(KEY_A, &[("status", "DONE")]).await;
    let (served, entry) = served_and_kept(&app, res).await;
    assert_eq!(entry["responseBody"], served);
    // A created run's answer is kept as it was sent.
    let body = json!({"processorId": "ex_inv", "rawText": "x"});
    let res = app
        .api(Method::POST, KEY_A, "/processor_runs", Some(&body))
        .await;
    let (served, entry) = served_and_kept(&app, res).await;
    assert_eq!(entry["responseBody"], served);
    let listed = app.mock_ok(Method::GET, "/requests", None).await;
    assert!(listed["requests"][0].get("responseBody").is_none());
    let res = app.mock(Method::GET, "/requests/req_nope", None).await;
    assert_error(res, 404, "NOT_FOUND", "req_nope", "unknown request").await;

    // The demo page's requests (marked with the key the page is served
    // with): not journaled, and they meet no fault.
    app.mock_ok(Method::DELETE, "/requests", None).await;
    let fault = json!({"path": "/processor_runs", "status": 503, "count": 2});
    app.mock_ok(Method::POST, "/faults", Some(&fault)).await;
    let key = app.ui_key().await;
    for _ in 0..3 {
        let res = app
            .list_with(KEY_A, &[("x-extend-mock-ui", key.as_str())], &[])
            .await;
        assert_eq!(res.status(), 200);
    }
    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    assert_eq!(journal["requests"], json!([]));
    // Anyone else sending the header is a client like any other.
    let res = app
        .list_with(KEY_A, &[("x-extend-mock-ui", "1")], &[])
        .await;
    assert_eq!(res.status(), 503, "a made-up page key meets the fault");
    let res = app.list(KEY_A, &[]).await;
    assert_eq!(
        res.status(),
        503,
        "the fault was kept for the code under test"
    );
    let journal = app.mock_ok(Method::GET, "/requests", None).await;
    assert_eq!(journal["requests"].as_array().unwrap().len(), 2);
}

/// An answer's body, and the journal's entry for it (by its `x-request-id`).
async fn served_and_kept(app: &TestApp, res: reqwest::Response) -> (Value, Value) {
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let served: Value = res.json().await.unwrap();
    let entry = app
        .mock_ok(Method::GET, &format!("/requests/{id}"), None)
        .await;
    (served, entry)
}
