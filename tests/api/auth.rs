//! Bearer keys, API versions and workspaces, checked in the SPEC's order.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

async fn get(app: &TestApp, headers: &[(&str, &str)], query: &str) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("/processor_runs{query}")));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn bad_or_missing_tokens_are_401() {
    let app = spawn_app(&fixture()).await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("no Authorization header", &[]),
        ("Basic scheme", &[("authorization", "Basic a2V5X2E6")]),
        ("scheme only", &[("authorization", "Bearer")]),
        ("scheme and blank", &[("authorization", "Bearer    ")]),
        ("token without scheme", &[("authorization", KEY_A)]),
        (
            "unknown token",
            &[("authorization", "Bearer sk_live_unknown")],
        ),
        ("a key's prefix", &[("authorization", "Bearer key_")]),
    ];
    for (case, headers) in cases {
        let mut all = headers.to_vec();
        all.push(("x-extend-api-version", VERSION));
        let res = get(&app, &all, "").await;
        assert_error(res, 401, "UNAUTHORIZED", "", case).await;
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app(&fixture()).await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {KEY_A}");
        let res = get(
            &app,
            &[("authorization", &auth), ("x-extend-api-version", VERSION)],
            "",
        )
        .await;
        assert_eq!(res.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn a_missing_version_is_400_unless_the_key_has_a_default() {
    let app = spawn_app(&fixture()).await;
    let res = get(&app, &[("authorization", "Bearer key_a")], "").await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "x-extend-api-version",
        "current key, no version",
    )
    .await;

    let res = get(&app, &[("authorization", "Bearer key_legacy")], "").await;
    assert_eq!(res.status(), 200, "a legacy key falls back to 2024-12-23");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(ids(&body).len(), 6);
}

#[tokio::test]
async fn every_documented_version_is_accepted_and_others_are_400() {
    let app = spawn_app(&fixture()).await;
    for version in [
        "2024-02-01",
        "2024-07-30",
        "2024-11-14",
        "2024-12-23",
        "2025-04-21",
        "2026-02-09",
    ] {
        let res = get(
            &app,
            &[
                ("authorization", "Bearer key_a"),
                ("x-extend-api-version", version),
            ],
            "",
        )
        .await;
        assert_eq!(res.status(), 200, "{version}");
    }
    for version in ["2025-01-01", "latest", "", "2026-02-09x", "v1"] {
        for key in [KEY_A, KEY_LEGACY] {
            let auth = format!("Bearer {key}");
            let res = get(
                &app,
                &[("authorization", &auth), ("x-extend-api-version", version)],
                "",
            )
            .await;
            let case = format!("version `{version}` with {key}");
            let body =
                assert_error(res, 400, "INVALID_REQUEST", "x-extend-api-version", &case).await;
            assert!(
                body["message"].as_str().unwrap().contains("2026-02-09"),
                "{case}: names the supported versions"
            );
        }
    }
}

#[tokio::test]
async fn workspace_rules_for_workspace_and_organization_keys() {
    let app = spawn_app(&fixture()).await;
    let cases: &[(&str, Option<&str>, u16, &str)] = &[
        (KEY_A, Some("ws_a"), 200, ""),
        (KEY_A, Some("ws_b"), 401, "ws_b"),
        (KEY_A, Some("ws_c"), 401, "ws_c"),
        (KEY_A, Some("ws_unknown"), 401, "ws_unknown"),
        (KEY_ORG_A, None, 400, "x-extend-workspace-id"),
        (KEY_ORG_A, Some(""), 400, "x-extend-workspace-id"),
        (KEY_ORG_A, Some("ws_a"), 200, ""),
        (KEY_ORG_A, Some("ws_b"), 200, ""),
        (KEY_ORG_A, Some("ws_c"), 401, "ws_c"),
        (KEY_ORG_A, Some("ws_unknown"), 401, "ws_unknown"),
    ];
    for (key, workspace, status, needle) in cases {
        let headers: Vec<(&str, &str)> = workspace
            .iter()
            .map(|w| ("x-extend-workspace-id", *w))
            .collect();
        let res = app.list_with(key, &headers, &[]).await;
        let case = format!("{key} with workspace {workspace:?}");
        match status {
            200 => assert_eq!(res.status(), 200, "{case}"),
            400 => drop(assert_error(res, 400, "INVALID_REQUEST", needle, &case).await),
            _ => drop(assert_error(res, 401, "UNAUTHORIZED", needle, &case).await),
        }
    }
}

#[tokio::test]
async fn the_first_failing_check_answers() {
    let app = spawn_app(&fixture()).await;
    let bad_query = "?status=BOGUS";
    // token before version
    let res = get(
        &app,
        &[
            ("authorization", "Bearer nope"),
            ("x-extend-api-version", "bad"),
        ],
        bad_query,
    )
    .await;
    assert_error(
        res,
        401,
        "UNAUTHORIZED",
        "API key",
        "bad token and bad version",
    )
    .await;
    // version before workspace
    let res = get(
        &app,
        &[
            ("authorization", "Bearer key_org_a"),
            ("x-extend-api-version", "bad"),
        ],
        bad_query,
    )
    .await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "x-extend-api-version",
        "bad version, no workspace",
    )
    .await;
    // workspace before query: a missing header is 400 about the header, not the query
    let res = get(
        &app,
        &[
            ("authorization", "Bearer key_org_a"),
            ("x-extend-api-version", VERSION),
        ],
        bad_query,
    )
    .await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "x-extend-workspace-id",
        "no workspace, bad query",
    )
    .await;
    let res = get(
        &app,
        &[
            ("authorization", "Bearer key_a"),
            ("x-extend-api-version", VERSION),
            ("x-extend-workspace-id", "ws_c"),
        ],
        bad_query,
    )
    .await;
    assert_error(
        res,
        401,
        "UNAUTHORIZED",
        "ws_c",
        "forbidden workspace, bad query",
    )
    .await;
    // and finally the query
    let res = get(
        &app,
        &[
            ("authorization", "Bearer key_a"),
            ("x-extend-api-version", VERSION),
        ],
        bad_query,
    )
    .await;
    assert_error(res, 400, "INVALID_REQUEST", "status", "bad query only").await;
}

/// Header names arrive in whatever case the client wrote. A raw socket is the
/// only way to be sure: HTTP libraries lower-case names before sending.
#[tokio::test]
async fn header_names_in_any_case() {
    let app = spawn_app(&fixture()).await;
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /processor_runs?maxPageSize=2 HTTP/1.1\r\nHost: {address}\r\n\
         AUTHORIZATION: Bearer key_org_a\r\nX-Extend-Api-Version: {VERSION}\r\n\
         X-EXTEND-WORKSPACE-ID: ws_b\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"exr_7\""), "{response}");
}

/// Two of a header that says who asks: which one counts would be a guess.
#[tokio::test]
async fn a_repeated_key_version_or_workspace_header_is_400() {
    let app = spawn_app(&fixture()).await;
    for (name, first, second) in [
        ("authorization", "Bearer key_a", "Bearer key_b"),
        ("x-extend-api-version", VERSION, "2025-04-21"),
        ("x-extend-workspace-id", "ws_a", "ws_b"),
    ] {
        let mut request = app.client.get(app.url("/processor_runs"));
        if name != "authorization" {
            request = request.bearer_auth(KEY_ORG_A);
        }
        if name != "x-extend-api-version" {
            request = request.header("x-extend-api-version", VERSION);
        }
        if name != "x-extend-workspace-id" {
            request = request.header("x-extend-workspace-id", "ws_a");
        }
        let res = request
            .header(name, first)
            .header(name, second)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{name}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            body["message"],
            format!("Header `{name}` was sent 2 times; send it once"),
            "{name}"
        );
    }
}
