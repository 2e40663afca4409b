//! Sandboxes: isolated states in one server, made and dropped through
//! `/_mock/sandboxes`, found by the key a request carries (API) or by the
//! `x-extend-mock-sandbox` header (control plane).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const HEADER: &str = "x-extend-mock-sandbox";

async fn app() -> TestApp {
    let settings = extend_mock::Settings {
        processing_time: Duration::from_millis(50),
        max_sandboxes: 3,
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&fixture(), SECRET, settings).await
}

/// `POST /_mock/sandboxes{query}`, to send as it is or with more.
fn post_sandbox(app: &TestApp, query: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(&format!("/_mock/sandboxes{query}")))
}

/// `POST /_mock/sandboxes` (with `?name=` and a body if given): status and body.
async fn make(app: &TestApp, name: Option<&str>, document: Option<&Value>) -> (u16, Value) {
    let mut request = post_sandbox(app, "");
    if let Some(name) = name {
        request = request.query(&[("name", name)]);
    }
    if let Some(document) = document {
        request = request.json(document);
    }
    let res = request.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// A control-plane request to one sandbox; status and body.
async fn control(
    app: &TestApp,
    sandbox: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/_mock{path}")))
        .header(HEADER, sandbox);
    if let Some(body) = body {
        request = request.json(body);
    }
    let res = request.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn tokens(sandbox: &Value) -> Vec<String> {
    sandbox["apiKeys"]
        .as_array()
        .unwrap_or_else(|| panic!("no apiKeys in {sandbox}"))
        .iter()
        .map(|k| k["token"].as_str().unwrap().to_owned())
        .collect()
}

async fn all_ids(app: &TestApp, key: &str) -> Vec<String> {
    app.walk_all_pages(key, &[]).await.0
}

#[tokio::test]
async fn a_sandbox_is_its_own_state_found_by_its_keys() {
    let app = app().await;
    let (status, made) = make(&app, Some("w1"), None).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["sandbox"], "w1");
    assert_eq!(made["processorRuns"], 8);
    assert_eq!(
        tokens(&made),
        [
            "key_a.w1",
            "key_b.w1",
            "key_org_a.w1",
            "key_c.w1",
            "key_legacy.w1"
        ]
    );
    let before = all_ids(&app, KEY_A).await;
    assert_eq!(all_ids(&app, "key_a.w1").await, before);

    // A delete and a create in the sandbox change only the sandbox.
    let res = app.delete_run("key_a.w1", "exr_1").await;
    assert_eq!(res.status(), 200);
    let created = app
        .api_ok(
            Method::POST,
            "key_a.w1",
            "/processor_runs",
            Some(&json!({"processorId": "ex_inv", "file": {"fileUrl": "https://x.test/a.pdf"}})),
        )
        .await["processorRun"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let in_sandbox = all_ids(&app, "key_a.w1").await;
    assert!(in_sandbox.contains(&created) && !in_sandbox.contains(&"exr_1".to_owned()));
    assert_eq!(all_ids(&app, KEY_A).await, before);
    app.get_run_ok(KEY_A, "exr_1").await;
    let res = app.run_request(Method::GET, "", KEY_A, &created).await;
    assert_eq!(
        res.status(),
        404,
        "the sandbox's run leaks into the default"
    );

    // The sandbox's run finishes through the sandbox's own lifecycle.
    let started = Instant::now();
    while app.get_run_ok("key_a.w1", &created).await["status"] == "PROCESSING" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Each keeps its own journal; the default saw none of the sandbox's calls.
    let (_, journal) = control(&app, "w1", Method::GET, "/requests?method=DELETE", None).await;
    let deletes = journal["requests"].as_array().unwrap();
    assert_eq!(deletes.len(), 1, "{journal}");
    assert_eq!(deletes[0]["path"], "/processor_runs/exr_1");
    let journal = app
        .mock_ok(Method::GET, "/requests?method=DELETE", None)
        .await;
    assert_eq!(journal["requests"], json!([]), "{journal}");

    // A reset of the sandbox restores it and leaves the default alone.
    app.delete_run(KEY_A, "exr_2").await;
    let (status, reset) = control(&app, "w1", Method::POST, "/reset?what=all", None).await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["processorRuns"], 8);
    assert_eq!(all_ids(&app, "key_a.w1").await, before);
    assert!(!all_ids(&app, KEY_A).await.contains(&"exr_2".to_owned()));

    // Dropped: its keys are unknown again, the default goes on.
    let (status, dropped) = control(&app, "default", Method::DELETE, "/sandboxes/w1", None).await;
    assert_eq!((status, &dropped["dropped"]), (200, &json!("w1")));
    let res = app.list("key_a.w1", &[]).await;
    assert_error(
        res,
        401,
        "UNAUTHORIZED",
        "Invalid API key",
        "dropped sandbox",
    )
    .await;
    assert_eq!(all_ids(&app, KEY_A).await.len(), before.len() - 1);
}

#[tokio::test]
async fn faults_rules_and_ids_belong_to_one_sandbox() {
    let app = app().await;
    make(&app, Some("w1"), None).await;
    make(&app, Some("w2"), None).await;
    let fault = json!({"status": 503, "count": 1});
    let (status, _) = control(&app, "w1", Method::POST, "/faults", Some(&fault)).await;
    assert_eq!(status, 201);
    assert_eq!(app.list_ok(KEY_A, &[]).await["success"], true);
    assert_eq!(app.list_ok("key_a.w2", &[]).await["success"], true);
    let res = app.list("key_a.w1", &[]).await;
    assert_error(res, 503, "SERVICE_UNAVAILABLE", "Injected", "w1 fault").await;
    assert_eq!(app.list_ok("key_a.w1", &[]).await["success"], true);

    // Each sandbox has its own id stream from the same seed: a suite replayed
    // in any sandbox sees the same ids.
    let body = json!({"processorId": "ex_inv", "file": {"fileUrl": "https://x.test/a.pdf"}});
    let mut ids = Vec::new();
    for key in [KEY_A, "key_a.w1", "key_a.w2"] {
        let made = app
            .api_ok(Method::POST, key, "/processor_runs", Some(&body))
            .await;
        ids.push(made["processorRun"]["id"].as_str().unwrap().to_owned());
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    let rule = json!({"processorId": "ex_inv", "failureReason": "INTERNAL_ERROR"});
    let (status, added) = control(&app, "w2", Method::POST, "/rules", Some(&rule)).await;
    assert_eq!(status, 201, "{added}");
    let (_, rules) = control(&app, "w1", Method::GET, "/rules", None).await;
    assert_eq!(rules["rules"], json!([]));
    let (_, rules) = control(&app, "w2", Method::GET, "/rules", None).await;
    assert_eq!(rules["rules"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_sandbox_from_a_document_of_its_own_and_its_fixtures_replaced() {
    let app = app().await;
    let mut doc = many_runs(3);
    doc["apiKeys"] = json!([{ "token": "sk_worker", "name": "worker", "scope": "workspace",
                               "workspaceId": "ws_a" }]);
    let (status, made) = make(&app, None, Some(&doc)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["sandbox"], "sbx_1");
    assert_eq!(tokens(&made), ["sk_worker.sbx_1"]);
    assert_eq!(
        all_ids(&app, "sk_worker.sbx_1").await,
        ["exr_0002", "exr_0001", "exr_0000"]
    );
    let (status, again) = make(&app, None, Some(&doc)).await;
    assert_eq!(
        (status, tokens(&again)),
        (201, vec!["sk_worker.sbx_2".to_owned()])
    );

    // New fixtures for one sandbox get that sandbox's tokens too.
    let (status, put) = control(&app, "sbx_1", Method::PUT, "/fixtures", Some(&fixture())).await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(all_ids(&app, "key_a.sbx_1").await.len(), 6);
    let (_, exported) = control(&app, "sbx_1", Method::GET, "/fixtures", None).await;
    assert_eq!(exported["apiKeys"][0]["token"], "key_a.sbx_1");
    let res = app.list("sk_worker.sbx_1", &[]).await;
    assert_eq!(res.status(), 401);
    assert_eq!(all_ids(&app, "sk_worker.sbx_2").await.len(), 3);

    let listed = app.mock_ok(Method::GET, "/sandboxes", None).await;
    let names: Vec<&str> = listed["sandboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sandbox"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "sbx_1", "sbx_2"]);
    let one = app.mock_ok(Method::GET, "/sandboxes/sbx_2", None).await;
    assert_eq!(one["processorRuns"], 3);
}

#[tokio::test]
async fn refusals_name_the_problem_and_make_nothing() {
    let app = app().await;
    /// Name, body, status, code, words of the message.
    type Case<'a> = (Option<&'a str>, Option<Value>, u16, &'a str, &'a str);
    let cases: &[Case] = &[
        (Some("a b"), None, 400, "INVALID_REQUEST", "letters, digits"),
        (Some(""), None, 400, "INVALID_REQUEST", "letters, digits"),
        (Some("default"), None, 409, "CONFLICT", "server's own state"),
        (
            None,
            Some(json!([])),
            400,
            "INVALID_REQUEST",
            "not an array",
        ),
        (
            None,
            Some(json!({"processorRun": []})),
            400,
            "INVALID_REQUEST",
            "unknown field",
        ),
    ];
    for (name, body, status, code, needle) in cases {
        let mut request = post_sandbox(&app, "");
        if let Some(name) = name {
            request = request.query(&[("name", name)]);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let res = request.send().await.unwrap();
        assert_error(res, *status, code, needle, &format!("{name:?} {body:?}")).await;
    }
    let res = post_sandbox(&app, "?nme=x").send().await.unwrap();
    assert_error(res, 400, "INVALID_REQUEST", "nme", "unknown parameter").await;
    let listed = app.mock_ok(Method::GET, "/sandboxes", None).await;
    assert_eq!(listed["sandboxes"].as_array().unwrap().len(), 1, "{listed}");

    assert_eq!(make(&app, Some("w1"), None).await.0, 201);
    let res = post_sandbox(&app, "?name=w1").send().await.unwrap();
    assert_error(res, 409, "CONFLICT", "`w1` exists", "taken name").await;
    assert_eq!(make(&app, None, None).await.0, 201);
    assert_eq!(make(&app, None, None).await.0, 201);
    let res = post_sandbox(&app, "").send().await.unwrap();
    assert_error(res, 409, "CONFLICT", "--max-sandboxes", "full").await;

    for (method, path, status, code, needle) in [
        (
            Method::GET,
            "/requests",
            404,
            "NOT_FOUND",
            "Sandbox `nope` not found",
        ),
        (
            Method::GET,
            "/sandboxes/nope",
            404,
            "NOT_FOUND",
            "Sandbox `nope` not found",
        ),
        (
            Method::DELETE,
            "/sandboxes/nope",
            404,
            "NOT_FOUND",
            "Sandbox `nope` not found",
        ),
        (
            Method::DELETE,
            "/sandboxes/default",
            400,
            "INVALID_REQUEST",
            "cannot be dropped",
        ),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(&format!("/_mock{path}")))
            .header(
                HEADER,
                if path == "/requests" {
                    "nope"
                } else {
                    "default"
                },
            )
            .send()
            .await
            .unwrap();
        assert_error(res, status, code, needle, path).await;
    }
}

#[tokio::test]
async fn a_sandboxs_download_links_lead_to_its_own_files() {
    let app = app().await;
    let mut doc = fixture();
    doc["files"] = json!([{"id": "file_1", "workspaceId": "ws_a", "name": "a.txt",
        "content": "sandbox text", "createdAt": minutes(1)}]);
    make(&app, Some("w1"), Some(&doc)).await;
    let file = app
        .api_ok_bare(Method::GET, "key_a.w1", "/files/file_1")
        .await;
    let url = file["presignedUrl"].as_str().unwrap().to_owned();
    assert!(url.contains("sandbox=w1&"), "{url}");
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "sandbox text");

    // The same link pointed at the default, or at another sandbox, is refused.
    make(&app, Some("w2"), Some(&doc)).await;
    let moved = url.replace("sandbox=w1&", "");
    let res = app.client.get(&moved).send().await.unwrap();
    assert_error(res, 404, "NOT_FOUND", "link leads to nothing", "moved").await;
    let moved = url.replace("sandbox=w1&", "sandbox=w2&");
    let res = app.client.get(&moved).send().await.unwrap();
    assert_error(res, 404, "NOT_FOUND", "link leads to nothing", "moved").await;
    // A sandbox that does not exist gets the same answer: a link does not
    // tell which sandboxes exist.
    let gone = url.replace("sandbox=w1&", "sandbox=w9&");
    let res = app.client.get(&gone).send().await.unwrap();
    assert_error(
        res,
        404,
        "NOT_FOUND",
        "link leads to nothing",
        "unknown sandbox",
    )
    .await;
}

#[tokio::test]
async fn the_admin_token_guards_sandboxes_and_none_can_be_made_when_off() {
    let settings = extend_mock::Settings {
        admin_token: Some("admin".into()),
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let res = post_sandbox(&app, "").send().await.unwrap();
    assert_error(res, 401, "UNAUTHORIZED", "admin token", "no token").await;
    let res = app
        .client
        .get(app.url("/_mock/requests"))
        .header(HEADER, "nope")
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "UNAUTHORIZED", "admin token", "probing names").await;
    let res = post_sandbox(&app, "")
        .bearer_auth("admin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let settings = extend_mock::Settings {
        max_sandboxes: 0,
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let res = post_sandbox(&app, "").send().await.unwrap();
    assert_error(res, 409, "CONFLICT", "--max-sandboxes", "off").await;
}
