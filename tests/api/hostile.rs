//! Inputs made to hurt: every one bounded, refused by name, or kept apart
//! (the hostile-inputs findings, F1 to F14; their reproductions are the
//! scripts the issue names).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// An EXTRACT schema whose one property is arrays nested `depth` deep: each
/// level of a derived value had 1 to 4 items, so ~2.5^depth leaves.
fn nested_arrays(depth: usize) -> Value {
    let mut node = json!({"type": "string"});
    for _ in 0..depth {
        node = json!({"type": "array", "items": node});
    }
    json!({"type": "object", "properties": {"x": node}})
}

#[tokio::test]
async fn a_schema_past_the_bounds_is_refused_naming_the_bound() {
    let app = spawn_app(&fixture()).await;
    let wide: serde_json::Map<String, Value> = (0..1001)
        .map(|i| (format!("f{i}"), json!({"type": "string"})))
        .collect();
    let long_name = "n".repeat(129);
    let cases = [
        (
            nested_arrays(18),
            "config.schema.properties.x.items",
            "nests deeper than 10 levels",
        ),
        (
            json!({"type": "object", "properties": wide}),
            "config.schema.properties.f",
            "more than 1000 fields",
        ),
        (
            json!({"type": "object", "properties": {long_name.as_str(): {"type": "string"}}}),
            "config.schema.properties",
            "names may be at most 128",
        ),
        (
            json!({"type": "object", "properties": {"k": {"enum": [{"a": 1}]}}}),
            "config.schema.properties.k.enum[0]",
            "must be a string, number, boolean or null",
        ),
    ];
    for (schema, field, reason) in cases {
        let body = json!({"name": "bomb", "type": "EXTRACT",
            "config": {"type": "EXTRACT", "schema": schema}});
        let message = app
            .api_err(Method::POST, KEY_A, "/processors", Some(&body), 400)
            .await;
        assert!(message.contains(field), "{field}: {message}");
        assert!(message.contains(reason), "{reason}: {message}");
        // A run's own config is held to the same bounds.
        let run = json!({"processorId": "ex_inv", "rawText": "x",
            "config": {"type": "EXTRACT", "schema": schema}});
        let message = app
            .api_err(Method::POST, KEY_A, "/processor_runs", Some(&run), 400)
            .await;
        assert!(message.contains(reason), "run config, {reason}: {message}");
    }
    let listed = app.api_ok(Method::GET, KEY_A, "/processors", None).await;
    let names: Vec<&str> = listed["processors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"bomb"),
        "nothing made on a refusal: {names:?}"
    );
}

#[tokio::test]
async fn a_pinned_schema_that_was_never_checked_still_makes_a_bounded_output() {
    // A fixture run may pin any config; only its type is checked there.
    let mut document = fixture();
    let mut bomb = run(
        "exr_bomb",
        "ws_a",
        "PROCESSED",
        "ex_inv",
        Some("EXTRACT"),
        "API",
        None,
        "bomb.pdf",
        1,
        2,
    );
    bomb["config"] = json!({"type": "EXTRACT", "schema": nested_arrays(14)});
    document["processorRuns"].as_array_mut().unwrap().push(bomb);
    let app = spawn_app(&document).await;
    let res = app.run_request(Method::GET, "", KEY_A, "exr_bomb").await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    // Unbounded, depth 14 averaged ~370,000 leaves (tens of MB).
    assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let output = &body["processorRun"]["output"];
    let leaves = output["metadata"].as_object().unwrap().len();
    // The smallest instance (one leaf) plus the extra budget.
    assert!((1..=2001).contains(&leaves), "{leaves} leaves");
    assert!(output["value"]["x"].is_array());
}

#[tokio::test]
async fn a_pdf_claims_at_most_the_page_bound_and_a_read_builds_no_more() {
    let app = spawn_app(&fixture()).await;
    let mut pdf = b"%PDF-1.4\n".to_vec();
    for _ in 0..3000 {
        pdf.extend_from_slice(b"<</Type /Page>>");
    }
    let res = app.upload(KEY_A, "pages.pdf", pdf).await;
    assert_eq!(res.status(), 200);
    let file: Value = res.json().await.unwrap();
    assert_eq!(file["metadata"]["pageCount"], 2000);
    let id = file["id"].as_str().unwrap();
    let read = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/files/{id}?rawText=true"))
        .await;
    assert_eq!(read["contents"]["pages"].as_array().unwrap().len(), 2000);

    // A fixture may not claim more either.
    let mut document = fixture();
    document["files"] = json!([{"id": "file_big", "workspaceId": "ws_a", "name": "big.pdf",
        "pageCount": 2001, "content": "%PDF-1.4", "createdAt": minutes(1)}]);
    let res = app.mock(Method::PUT, "/fixtures", Some(&document)).await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "pageCount",
        "fixture pageCount",
    )
    .await;
}

#[tokio::test]
async fn names_past_the_bound_or_with_control_characters_are_refused() {
    let app = spawn_app(&fixture()).await;
    let long = format!("{}.pdf", "n".repeat(300));
    let res = app.upload(KEY_A, &long, b"%PDF-1.4".to_vec()).await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "at most 255 bytes",
        "long upload name",
    )
    .await;
    let res = app
        .upload(KEY_A, "a\u{85}b.pdf", b"%PDF-1.4".to_vec())
        .await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "control characters",
        "bell in a name",
    )
    .await;
    let run = json!({"processorId": "ex_inv",
        "file": {"fileUrl": "http://x.test/a.pdf", "fileName": long}});
    let message = app
        .api_err(Method::POST, KEY_A, "/processor_runs", Some(&run), 400)
        .await;
    assert!(
        message.contains("file.fileName: is 304 bytes long"),
        "{message}"
    );
    let files = app.api_ok_bare(Method::GET, KEY_A, "/files").await;
    assert_eq!(files["data"], json!([]), "nothing stored on a refusal");
}

#[tokio::test]
async fn a_download_never_renders_whatever_its_name() {
    let mut document = fixture();
    // Fixtures check names too; an HTML file with a quote and non-ASCII.
    document["files"] = json!([{"id": "file_html", "workspaceId": "ws_a",
        "name": "r\u{e9}sum\u{e9} \"x\".html",
        "content": "<html><script>fetch('/_mock/fixtures')</script></html>",
        "createdAt": minutes(1)}]);
    let app = spawn_app(&document).await;
    let file = app
        .api_ok_bare(Method::GET, KEY_A, "/files/file_html")
        .await;
    let res = app
        .client
        .get(file["presignedUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers();
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"r_sum_ _x_.html\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.html"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "sandbox; default-src 'none'"
    );

    let mut bad = fixture();
    bad["files"] = json!([{"id": "file_bell", "workspaceId": "ws_a", "name": "a\u{7}.html",
        "content": "x", "createdAt": minutes(1)}]);
    let res = app.mock(Method::PUT, "/fixtures", Some(&bad)).await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "control characters",
        "fixture name",
    )
    .await;
}

#[tokio::test]
async fn a_link_outlives_neither_its_state_nor_its_workspace() {
    let app = spawn_app(&fixture()).await;
    let res = app.upload(KEY_A, "acme.txt", b"ACME ONLY".to_vec()).await;
    let acme: Value = res.json().await.unwrap();
    let id = acme["id"].as_str().unwrap().to_owned();
    let link = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/files/{id}"))
        .await["presignedUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 200);

    // After a reset the id stream starts again: ws_b's upload gets acme's id.
    app.mock_ok(Method::POST, "/reset", None).await;
    let res = app
        .upload(KEY_B, "globex.txt", b"GLOBEX CONFIDENTIAL".to_vec())
        .await;
    let globex: Value = res.json().await.unwrap();
    assert_eq!(
        globex["id"],
        id.as_str(),
        "the same id, by the seeded stream"
    );
    let res = app.client.get(&link).send().await.unwrap();
    assert_error(
        res,
        404,
        "NOT_FOUND",
        "link leads to nothing",
        "an old link",
    )
    .await;
}

#[tokio::test]
async fn the_journal_never_keeps_a_signing_secret() {
    let app = spawn_app(&fixture()).await;
    let body = json!({"url": "http://127.0.0.1:9/hooks", "name": "n", "enabledEvents": [],
        "apiVersion": "2026-02-09"});
    let res = app
        .api(Method::POST, KEY_A, "/webhook_endpoints", Some(&body))
        .await;
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let made: Value = res.json().await.unwrap();
    let secret = made["signingSecret"].as_str().unwrap();
    assert!(secret.starts_with("wss_") && secret.len() == 36, "{secret}");
    let entry = app
        .mock_ok(Method::GET, &format!("/requests/{request_id}"), None)
        .await;
    assert_eq!(entry["responseBody"]["id"], made["id"]);
    assert_eq!(entry["responseBody"]["signingSecret"], "[redacted]");
    assert!(!entry.to_string().contains(secret), "{entry}");
}

#[tokio::test]
async fn secrets_come_from_the_system_not_the_seeded_stream() {
    // Two servers with the same seed hand out the same ids, never the same
    // secret.
    let mut made = Vec::new();
    for _ in 0..2 {
        let app = spawn_app(&fixture()).await;
        let body = json!({"url": "http://127.0.0.1:9/hooks", "name": "n", "enabledEvents": [],
            "apiVersion": "2026-02-09"});
        made.push(
            app.api_ok_bare_with(Method::POST, KEY_A, "/webhook_endpoints", &body)
                .await,
        );
    }
    assert_eq!(made[0]["id"], made[1]["id"]);
    assert_ne!(made[0]["signingSecret"], made[1]["signingSecret"]);
}

#[tokio::test]
async fn endpoints_that_could_never_be_delivered_are_refused_at_registration() {
    let app = spawn_app(&fixture()).await;
    let cases = [
        ("url", json!("https://127.0.0.1:9/hooks"), "plain HTTP only"),
        ("url", json!("http://127.0.0.1:99999/hooks"), "invalid port"),
        (
            "url",
            json!("http://[fe80::1%25eth0]:80/"),
            "without percent-encoding",
        ),
        (
            "url",
            json!("http://evil%40127.0.0.1/"),
            "without percent-encoding",
        ),
        (
            "advancedOptions",
            json!({"headers": {"Transfer-Encoding": "chunked"}}),
            "frames the request",
        ),
        (
            "advancedOptions",
            json!({"headers": {"Connection": "close"}}),
            "frames the request",
        ),
    ];
    for (field, value, reason) in cases {
        let mut body = json!({"url": "http://127.0.0.1:9/hooks", "name": "n",
            "enabledEvents": [], "apiVersion": "2026-02-09"});
        body[field] = value.clone();
        let message = app
            .api_err(Method::POST, KEY_A, "/webhook_endpoints", Some(&body), 400)
            .await;
        assert!(message.contains(field), "{value}: {message}");
        assert!(message.contains(reason), "{value}: {message}");
    }
    let listed = app
        .api_ok_bare(Method::GET, KEY_A, "/webhook_endpoints")
        .await;
    assert_eq!(listed["data"], json!([]));
}

#[tokio::test]
async fn uploads_in_flight_count_against_the_budget_and_a_stalled_one_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let settings = extend_mock::Settings {
        file_limits: extend_mock::store::FileLimits {
            max_file_bytes: 1 << 20,
            max_total_bytes: 1 << 20,
        },
        header_timeout: std::time::Duration::from_millis(600),
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    // 700 KiB of a 900 KiB upload, then nothing.
    let head = "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
                Content-Type: application/octet-stream\r\n\r\n";
    let tail = "\r\n--XB--\r\n";
    let length = head.len() + (900 << 10) + tail.len();
    let mut stalled = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!(
        "POST /files/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY_A}\r\n\
         x-extend-api-version: {VERSION}\r\n\
         Content-Type: multipart/form-data; boundary=XB\r\nContent-Length: {length}\r\n\r\n{head}"
    );
    stalled.write_all(request.as_bytes()).await.unwrap();
    stalled.write_all(&vec![b'a'; 700 << 10]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;

    // 700 KiB arriving and 400 KiB more would pass the 1 MiB budget.
    let res = app.upload(KEY_A, "more.bin", vec![b'b'; 400 << 10]).await;
    assert_error(
        res,
        413,
        "FILE_TOO_LARGE",
        "is receiving",
        "over the budget",
    )
    .await;

    // The stalled upload is answered once nothing came for --header-timeout.
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stalled.read_to_end(&mut answer),
    )
    .await
    .expect("a stalled upload is cut off")
    .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("--header-timeout"), "{answer}");
    // Its bytes went with it.
    let res = app.upload(KEY_A, "more.bin", vec![b'b'; 400 << 10]).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_sync_create_in_a_sandbox_dropped_meanwhile_is_answered_at_once() {
    let app = spawn_app(&fixture()).await;
    let res = app
        .client
        .post(app.url("/_mock/sandboxes?name=gone"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let client = app.client.clone();
    let url = app.url("/processor_runs");
    let waiting = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(format!("{KEY_A}.gone"))
            .header("x-extend-api-version", VERSION)
            .json(&json!({"processorId": "ex_inv", "rawText": "x __hold__", "sync": true}))
            .send()
            .await
            .unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "a held run keeps a sync create waiting"
    );
    app.mock_ok(Method::DELETE, "/sandboxes/gone", None).await;
    let res = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("woken when its sandbox went, not at --sync-timeout")
        .unwrap();
    assert_error(
        res,
        404,
        "NOT_FOUND",
        "Sandbox `gone` was dropped",
        "dropped",
    )
    .await;
}

#[tokio::test]
async fn waiting_deliveries_are_bounded_and_the_list_comes_in_pages() {
    let settings = extend_mock::Settings {
        processing_time: std::time::Duration::ZERO,
        webhook_max_pending: 3,
        webhook_backoff: std::time::Duration::from_secs(60),
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    // A port nothing listens on: every delivery waits an hour for its retry.
    let body = json!({"url": "http://127.0.0.1:9/hooks", "name": "n",
        "enabledEvents": ["extract_run.processed"], "apiVersion": "2026-02-09"});
    app.api_ok_bare_with(Method::POST, KEY_A, "/webhook_endpoints", &body)
        .await;
    for _ in 0..6 {
        let run = json!({"processorId": "ex_inv", "rawText": "x", "sync": true});
        app.api_ok(Method::POST, KEY_A, "/processor_runs", Some(&run))
            .await;
    }
    let list = app.mock_ok(Method::GET, "/webhooks/deliveries", None).await;
    assert_eq!(list["pending"], 3, "{list}");
    assert_eq!(list["overflowed"], 3, "{list}");
    let states: Vec<&str> = list["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "dropped", "dropped", "dropped", "pending", "pending", "pending"
        ]
    );
    // Two at a time, oldest first.
    let first = app
        .mock_ok(Method::GET, "/webhooks/deliveries?limit=2", None)
        .await;
    assert_eq!(first["deliveries"].as_array().unwrap().len(), 2);
    let after = first["nextAfter"].as_str().unwrap();
    assert_eq!(after, "dlv_2");
    let second = app
        .mock_ok(
            Method::GET,
            &format!("/webhooks/deliveries?limit=4&after={after}"),
            None,
        )
        .await;
    let ids: Vec<&str> = second["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["dlv_3", "dlv_4", "dlv_5", "dlv_6"]);
    assert!(second.get("nextAfter").is_none(), "the last page");
    let res = app
        .mock(Method::GET, "/webhooks/deliveries?limit=0", None)
        .await;
    assert_error(res, 400, "INVALID_REQUEST", "`limit`", "limit 0").await;
}

#[tokio::test]
async fn only_the_demo_pages_own_key_is_exempt_from_the_rate_limit() {
    let settings = extend_mock::Settings {
        rate_limit: std::num::NonZeroU32::new(2),
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let key = app.ui_key().await;
    for _ in 0..5 {
        let res = app
            .list_with(KEY_A, &[("x-extend-mock-ui", key.as_str())], &[])
            .await;
        assert_eq!(res.status(), 200, "the page's own requests");
    }
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = app
            .list_with(KEY_A, &[("x-extend-mock-ui", "1")], &[])
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429, 429]);
}

#[tokio::test]
async fn metadata_past_the_apis_bound_is_refused() {
    let app = spawn_app(&fixture()).await;
    let run = json!({"processorId": "ex_inv", "rawText": "x",
        "metadata": {"note": "m".repeat(10 * 1024)}});
    let message = app
        .api_err(Method::POST, KEY_A, "/processor_runs", Some(&run), 400)
        .await;
    assert!(
        message.contains("metadata: is 10251 bytes as JSON"),
        "{message}"
    );
    let run = json!({"processorId": "ex_inv", "rawText": "x",
        "metadata": {"note": "m".repeat(10 * 1024 - 11)}});
    app.api_ok(Method::POST, KEY_A, "/processor_runs", Some(&run))
        .await;
}

#[tokio::test]
async fn a_workspace_keeps_at_most_a_hundred_endpoints() {
    let app = spawn_app(&fixture()).await;
    let body = json!({"url": "http://127.0.0.1:9/hooks", "name": "n", "enabledEvents": [],
        "apiVersion": "2026-02-09"});
    for _ in 0..100 {
        app.api_ok_bare_with(Method::POST, KEY_A, "/webhook_endpoints", &body)
            .await;
    }
    let message = app
        .api_err(Method::POST, KEY_A, "/webhook_endpoints", Some(&body), 400)
        .await;
    assert!(message.contains("100 webhook endpoints"), "{message}");
    // Another workspace has its own hundred.
    app.api_ok_bare_with(Method::POST, KEY_B, "/webhook_endpoints", &body)
        .await;
}
