//! Keyset pages and signed page tokens.

use extend_mock::domain::PagingRules;
use extend_mock::domain::ProcessorRun;
use serde_json::Value;

use crate::helpers::*;

fn expected_ids(range: impl Iterator<Item = u32>) -> Vec<String> {
    range.map(|i| format!("exr_{i:04}")).collect()
}

fn token_of(body: &Value) -> String {
    body["nextPageToken"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a nextPageToken in {body}"))
        .to_owned()
}

#[tokio::test]
async fn walking_every_page_returns_each_run_once_in_order() {
    let app = spawn_app(&many_runs(95)).await;
    for (size, pages) in [
        ("1", 95),
        ("7", 14),
        ("10", 10),
        ("94", 2),
        ("95", 1),
        ("1000", 1),
    ] {
        let (seen, count) = app.walk_all_pages(KEY_A, &[("maxPageSize", size)]).await;
        assert_eq!(seen, expected_ids((0..95).rev()), "maxPageSize={size}");
        assert_eq!(count, pages, "maxPageSize={size}");
        let (seen, _) = app
            .walk_all_pages(
                KEY_A,
                &[
                    ("maxPageSize", size),
                    ("sortDir", "asc"),
                    ("sortBy", "createdAt"),
                ],
            )
            .await;
        assert_eq!(seen, expected_ids(0..95), "asc, maxPageSize={size}");
    }
}

#[tokio::test]
async fn no_token_after_the_last_page_even_when_it_is_exactly_full() {
    let app = spawn_app(&many_runs(20)).await;
    let first = app.list_ok(KEY_A, &[]).await;
    assert_eq!(ids(&first), expected_ids((10..20).rev()));
    let token = token_of(&first);
    let second = app.list_ok(KEY_A, &[("nextPageToken", &token)]).await;
    assert_eq!(ids(&second), expected_ids((0..10).rev()));
    assert!(second.get("nextPageToken").is_none(), "{second}");

    let body = app.list_ok(KEY_A, &[("maxPageSize", "20")]).await;
    assert_eq!(ids(&body).len(), 20);
    assert!(body.get("nextPageToken").is_none(), "{body}");
}

#[tokio::test]
async fn pages_walk_through_ties_and_filters() {
    let app = spawn_app(&fixture()).await;
    let cases: &[(Query, &[&str])] = &[
        (&[], &["exr_6", "exr_4", "exr_5", "exr_1", "exr_3", "exr_2"]),
        (
            &[("sortBy", "createdAt"), ("sortDir", "asc")],
            &["exr_1", "exr_6", "exr_2", "exr_3", "exr_4", "exr_5"],
        ),
        (&[("processorId", "ex_inv")], &["exr_6", "exr_4", "exr_1"]),
        (
            &[("fileNameContains", "INVOICE"), ("sortDir", "asc")],
            &["exr_1", "exr_4"],
        ),
    ];
    for (query, expected) in cases {
        let mut q = query.to_vec();
        q.push(("maxPageSize", "1"));
        let (seen, pages) = app.walk_all_pages(KEY_A, &q).await;
        assert_eq!(seen, *expected, "{query:?}");
        assert_eq!(pages, expected.len(), "{query:?}");
    }
}

fn parse_run(value: Value) -> ProcessorRun {
    serde_json::from_value(value).expect("test run is valid")
}

#[tokio::test]
async fn runs_added_between_pages_neither_repeat_nor_hide_runs_already_due() {
    let app = spawn_app(&many_runs(30)).await;
    let first = app.list_ok(KEY_A, &[("maxPageSize", "10")]).await;
    assert_eq!(ids(&first), expected_ids((20..30).rev()));
    // Newer runs land before the cursor (not repeated, not shown on later pages);
    // one older run lands after it and is due on a later page, in order.
    app.state
        .add_runs(vec![
            parse_run(run(
                "exr_new_1",
                "ws_a",
                "PENDING",
                "ex_inv",
                None,
                "API",
                None,
                "n.pdf",
                500,
                500,
            )),
            parse_run(run(
                "exr_new_2",
                "ws_a",
                "PENDING",
                "ex_inv",
                None,
                "API",
                None,
                "n.pdf",
                25,
                25,
            )),
            parse_run(run(
                "exr_0004x",
                "ws_a",
                "PENDING",
                "ex_inv",
                None,
                "API",
                None,
                "o.pdf",
                4,
                4,
            )),
        ])
        .unwrap();
    let mut seen = ids(&first);
    let mut token = Some(token_of(&first));
    while let Some(t) = token {
        let body = app
            .list_ok(KEY_A, &[("maxPageSize", "10"), ("nextPageToken", &t)])
            .await;
        seen.extend(ids(&body));
        token = body["nextPageToken"].as_str().map(str::to_owned);
    }
    let mut expected = expected_ids((5..30).rev());
    expected.push("exr_0004x".into());
    expected.extend(expected_ids((0..5).rev()));
    assert_eq!(seen, expected);
    // A fresh walk sees everything, the new runs in their places.
    let (all, _) = app.walk_all_pages(KEY_A, &[]).await;
    assert_eq!(all.len(), 33);
    assert_eq!(all[0], "exr_new_1");
}

#[tokio::test]
async fn bad_tokens_are_400_naming_next_page_token() {
    let app = spawn_app(&fixture()).await;
    let first = app.list_ok(KEY_A, &[("maxPageSize", "2")]).await;
    let token = token_of(&first);
    let (payload, signature) = token.split_once(':').unwrap();

    let mut edited_payload = payload.to_owned().into_bytes();
    edited_payload[10] = if edited_payload[10] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let edited_payload = format!("{}:{signature}", String::from_utf8(edited_payload).unwrap());
    let forged = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let fake =
            r#"{"v":1,"ws":"ws_a","by":"updatedAt","dir":"desc","at":0,"id":"exr_1","f":""}"#;
        format!("{}:{}", b64.encode(fake), b64.encode([0u8; 32]))
    };
    let other_secret = spawn_app_with(&fixture(), "another-secret", DEFAULT_RULES).await;
    let foreign = token_of(&other_secret.list_ok(KEY_A, &[("maxPageSize", "2")]).await);

    let cases: &[(&str, &str)] = &[
        ("truncated", &token[..token.len() - 4]),
        ("payload only", payload),
        ("signature dropped", &format!("{payload}:")),
        ("edited payload", &edited_payload),
        ("forged", &forged),
        ("signed by another server", &foreign),
        ("not base64", "!!!:???"),
    ];
    for (case, bad) in cases {
        let res = app
            .list(KEY_A, &[("maxPageSize", "2"), ("nextPageToken", bad)])
            .await;
        assert_error(res, 400, "INVALID_REQUEST", "`nextPageToken`", case).await;
    }
}

#[tokio::test]
async fn a_token_from_another_workspace_is_rejected() {
    let app = spawn_app(&fixture()).await;
    let from_a = token_of(&app.list_ok(KEY_A, &[("maxPageSize", "1")]).await);
    // Another key of another workspace.
    let res = app
        .list(KEY_B, &[("maxPageSize", "1"), ("nextPageToken", &from_a)])
        .await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "`nextPageToken`",
        "ws_a token on ws_b",
    )
    .await;
    // The same organization key, pointed at another workspace.
    let res = app
        .list_with(
            KEY_ORG_A,
            &[("x-extend-workspace-id", "ws_b")],
            &[("nextPageToken", &from_a)],
        )
        .await;
    assert_error(
        res,
        400,
        "INVALID_REQUEST",
        "another workspace",
        "org key, other ws",
    )
    .await;
    // Any key of the same workspace may continue it.
    let res = app
        .list_with(
            KEY_ORG_A,
            &[("x-extend-workspace-id", "ws_a")],
            &[("maxPageSize", "1"), ("nextPageToken", &from_a)],
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_token_made_under_another_sort_is_rejected() {
    let app = spawn_app(&fixture()).await;
    let token = token_of(&app.list_ok(KEY_A, &[("maxPageSize", "2")]).await);
    for query in [
        [("sortBy", "createdAt"), ("sortDir", "desc")],
        [("sortBy", "updatedAt"), ("sortDir", "asc")],
    ] {
        let mut q = query.to_vec();
        q.push(("nextPageToken", &token));
        let res = app.list(KEY_A, &q).await;
        assert_error(
            res,
            400,
            "INVALID_REQUEST",
            "`nextPageToken`",
            &format!("{query:?}"),
        )
        .await;
    }
    // Spelling out the defaults is the same sort.
    let res = app
        .list(
            KEY_A,
            &[
                ("sortBy", "updatedAt"),
                ("sortDir", "desc"),
                ("nextPageToken", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
}

/// curl users paste tokens raw, so a `+` arrives as a space. It must still work.
#[tokio::test]
async fn a_plus_that_arrives_as_a_space_still_works() {
    let app = spawn_app(&many_runs(60)).await;
    let mut token_with_plus = None;
    let mut token: Option<String> = None;
    for _ in 0..60 {
        let mut q = vec![("maxPageSize", "1")];
        if let Some(t) = &token {
            q.push(("nextPageToken", t));
        }
        let body = app.list_ok(KEY_A, &q).await;
        let Some(next) = body["nextPageToken"].as_str() else {
            break;
        };
        if next.contains('+') {
            token_with_plus = Some(next.to_owned());
            break;
        }
        token = Some(next.to_owned());
    }
    let token = token_with_plus.expect("some token among 60 contains a `+`");
    let encoded = app
        .list_ok(KEY_A, &[("maxPageSize", "1"), ("nextPageToken", &token)])
        .await;
    let raw_url = app.url(&format!(
        "/processor_runs?maxPageSize=1&nextPageToken={token}"
    ));
    assert!(raw_url.contains('+'));
    let res = app
        .client
        .get(raw_url)
        .bearer_auth(KEY_A)
        .header("x-extend-api-version", VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let raw: Value = res.json().await.unwrap();
    assert_eq!(ids(&raw), ids(&encoded));
    assert_eq!(raw["nextPageToken"], encoded["nextPageToken"]);
}

#[tokio::test]
async fn changed_filters_continue_from_the_position_by_default() {
    let app = spawn_app(&fixture()).await;
    // First page of everything: exr_6, exr_4. Continue with a status filter.
    let token = token_of(&app.list_ok(KEY_A, &[("maxPageSize", "2")]).await);
    let body = app
        .list_ok(KEY_A, &[("status", "PROCESSED"), ("nextPageToken", &token)])
        .await;
    assert_eq!(ids(&body), ["exr_1"]);
}

#[tokio::test]
async fn strict_mode_rejects_a_token_reused_with_other_filters() {
    let rules = PagingRules {
        default_page_size: 10,
        strict_tokens: true,
    };
    let app = spawn_app_with(&fixture(), SECRET, rules).await;
    let query = [("maxPageSize", "1"), ("processorType", "EXTRACT")];
    let token = token_of(&app.list_ok(KEY_A, &query).await);
    for changed in [
        vec![("processorType", "CLASSIFY")],
        vec![],
        vec![
            ("processorType", "EXTRACT"),
            ("fileNameContains", "invoice"),
        ],
        vec![("processorType", "EXTRACT"), ("status", "PROCESSED")],
    ] {
        let mut q = changed.clone();
        q.push(("nextPageToken", &token));
        let res = app.list(KEY_A, &q).await;
        assert_error(
            res,
            400,
            "INVALID_REQUEST",
            "`nextPageToken`",
            &format!("{changed:?}"),
        )
        .await;
    }
    // The same filters walk on, and a different page size is not a filter.
    let (seen, _) = app.walk_all_pages(KEY_A, &query).await;
    assert_eq!(seen, ["exr_6", "exr_4", "exr_1"]);
    let res = app
        .list(
            KEY_A,
            &[
                ("maxPageSize", "5"),
                ("processorType", "EXTRACT"),
                ("nextPageToken", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_shared_secret_makes_tokens_work_on_another_server() {
    let first = spawn_app(&fixture()).await;
    let second = spawn_app(&fixture()).await;
    let token = token_of(&first.list_ok(KEY_A, &[("maxPageSize", "2")]).await);
    let a = first
        .list_ok(KEY_A, &[("maxPageSize", "2"), ("nextPageToken", &token)])
        .await;
    let b = second
        .list_ok(KEY_A, &[("maxPageSize", "2"), ("nextPageToken", &token)])
        .await;
    assert_eq!(ids(&a), ["exr_5", "exr_1"]);
    assert_eq!(a, b);
}
