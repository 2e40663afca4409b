//! The error shape, request ids, unknown routes and bad query parameters.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn error_bodies_carry_both_shapes_and_the_request_id() {
    let app = spawn_app(&fixture()).await;
    let res = app.list(KEY_A, &[("status", "BOGUS")]).await;
    let header = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(header.starts_with("req_") && header.len() == 28, "{header}");
    let body: Value = res.json().await.unwrap();
    let message = "Invalid query parameter `status`: `BOGUS` is not one of PENDING, PROCESSING, PROCESSED, FAILED, CANCELLED";
    assert_eq!(
        body,
        serde_json::json!({
            "success": false,
            "error": message,
            "code": "INVALID_REQUEST",
            "message": message,
            "retryable": false,
            "requestId": header,
        })
    );
}

#[tokio::test]
async fn every_response_has_a_fresh_request_id_unless_the_caller_sent_one() {
    let app = spawn_app(&fixture()).await;
    let first = app.list(KEY_A, &[]).await;
    let second = app.list(KEY_A, &[]).await;
    let a = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    let b = second.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(a, b);

    let res = app
        .list_with(KEY_A, &[("x-request-id", "trace-42")], &[])
        .await;
    assert_eq!(res.headers()["x-request-id"], "trace-42");
    let res = app
        .list_with("nope", &[("x-request-id", "trace-43")], &[])
        .await;
    let body = assert_error(res, 401, "UNAUTHORIZED", "", "echo on error").await;
    assert_eq!(body["requestId"], "trace-43");
    // An id that cannot go back into a header unchanged is replaced.
    let res = app
        .list_with(KEY_A, &[("x-request-id", "has spaces")], &[])
        .await;
    assert!(
        res.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405_in_the_error_shape() {
    let app = spawn_app(&fixture()).await;
    for path in [
        "/index.html",
        "/processor_run",
        "/processor_runs/exr_1/extra",
        "/v1/processor_runs/exr_1/extra",
        "/extract_runs/exr_1/extra",
        "/v2/processor_runs",
        "/_mock/nope",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_error(res, 404, "NOT_FOUND", path, path).await;
    }
    // The legacy list, under its `/v1` prefix too, and a family's list.
    for path in ["/processor_runs", "/v1/processor_runs", "/extract_runs"] {
        for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
            let res = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(KEY_A)
                .send()
                .await
                .unwrap();
            let case = format!("{method} {path}");
            assert_eq!(res.headers()["allow"], "GET,HEAD,POST", "{case}");
            assert_error(res, 405, "METHOD_NOT_ALLOWED", method.as_str(), &case).await;
        }
    }
}

#[tokio::test]
async fn bad_query_values_are_400_naming_the_parameter() {
    let app = spawn_app(&fixture()).await;
    let cases: &[(&str, &str)] = &[
        ("status", "BOGUS"),
        ("status", "processed"),
        ("status", ""),
        ("processorType", "extract"),
        ("processorType", "OCR"),
        ("source", "EMAIL"),
        ("sortBy", "name"),
        ("sortBy", "created_at"),
        ("sortDir", "ASC"),
        ("sortDir", "up"),
        ("maxPageSize", "0"),
        ("maxPageSize", "1001"),
        ("maxPageSize", "-1"),
        ("maxPageSize", "1.5"),
        ("maxPageSize", "ten"),
        ("maxPageSize", ""),
        ("maxPageSize", "99999999999999999999999"),
        ("processorId", ""),
        ("sourceId", ""),
        ("nextPageToken", "garbage"),
        ("nextPageToken", ""),
    ];
    for (name, value) in cases {
        let res = app.list(KEY_A, &[(name, value)]).await;
        let case = format!("{name}={value:?} should be rejected");
        assert_error(res, 400, "INVALID_REQUEST", &format!("`{name}`"), &case).await;
    }
    let long_id = "x".repeat(256);
    let res = app.list(KEY_A, &[("processorId", &long_id)]).await;
    assert_error(res, 400, "INVALID_REQUEST", "`processorId`", "256-char id").await;
}

#[tokio::test]
async fn a_repeated_parameter_is_400_naming_it() {
    let app = spawn_app(&fixture()).await;
    for name in [
        "status",
        "maxPageSize",
        "sortBy",
        "nextPageToken",
        "fileNameContains",
    ] {
        let value = match name {
            "status" => "FAILED",
            "maxPageSize" => "5",
            "sortBy" => "createdAt",
            _ => "x",
        };
        let res = app.list(KEY_A, &[(name, value), (name, value)]).await;
        let case = format!("{name} twice");
        let body = assert_error(res, 400, "INVALID_REQUEST", &format!("`{name}`"), &case).await;
        assert!(
            body["message"].as_str().unwrap().contains("more than once"),
            "{case}"
        );
    }
}

#[tokio::test]
async fn valid_edge_values_are_accepted() {
    let app = spawn_app(&fixture()).await;
    for (name, value) in [
        ("maxPageSize", "1"),
        ("maxPageSize", "1000"),
        ("fileNameContains", ""),
        ("processorId", &"x".repeat(255)),
    ] {
        let res = app.list(KEY_A, &[(name, value)]).await;
        assert_eq!(res.status(), 200, "{name}={value}");
    }
}

/// A path of the real API that extend-mock does not emulate says so (501),
/// instead of a 404 that reads like "this does not exist".
#[tokio::test]
async fn paths_of_the_api_that_are_not_emulated_are_501() {
    let app = spawn_app(&fixture()).await;
    for (method, path) in [
        (reqwest::Method::GET, "/verify_runs"),
        (reqwest::Method::POST, "/verify"),
        (reqwest::Method::POST, "/v1/verify_runs"),
        (reqwest::Method::GET, "/batch_processor_runs/bpr_1"),
        (reqwest::Method::GET, "/evaluation_sets/es_1/items"),
    ] {
        let before = std::time::SystemTime::now();
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(KEY_A)
            .header("x-extend-api-version", VERSION)
            .send()
            .await
            .unwrap();
        let after = std::time::SystemTime::now();
        assert_eq!(res.status(), 501, "{method} {path}");
        // The SDKs retry a 5xx: these make them wait well under a second
        // (an HTTP date 100 ms to 1.1 s ahead), not their 1 s + 2 s backoff.
        assert_eq!(res.headers()["retry-after-ms"], "1");
        let retry_at =
            httpdate::parse_http_date(res.headers()["retry-after"].to_str().unwrap()).unwrap();
        let ms = std::time::Duration::from_millis;
        assert!(retry_at > before + ms(100), "{retry_at:?} {before:?}");
        assert!(retry_at <= after + ms(1100), "{retry_at:?} {after:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "NOT_IMPLEMENTED", "{body}");
        assert_eq!(body["retryable"], false, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("`{method} {path}` is part of the Extend API")),
            "{message}"
        );
        assert!(
            message.contains("/processor_runs") && message.contains("/files"),
            "{message}"
        );
    }
    for path in ["/nothing", "/v1classify_runs", "/processor_runs_x"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}
