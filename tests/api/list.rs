//! Filters, sorting, defaults, workspace visibility and the response shape.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn default_order_is_updated_at_descending_with_ties_on_id() {
    let app = spawn_app(&fixture()).await;
    let body = app.list_ok(KEY_A, &[]).await;
    // exr_1 and exr_5 share updatedAt; descending ties break on id descending.
    assert_eq!(
        ids(&body),
        ["exr_6", "exr_4", "exr_5", "exr_1", "exr_3", "exr_2"]
    );
    assert_eq!(body["success"], true);
    assert!(body.get("nextPageToken").is_none(), "{body}");
}

#[tokio::test]
async fn both_sort_fields_in_both_directions() {
    let app = spawn_app(&fixture()).await;
    let cases: &[(Query, [&str; 6])] = &[
        (
            &[("sortBy", "updatedAt"), ("sortDir", "desc")],
            ["exr_6", "exr_4", "exr_5", "exr_1", "exr_3", "exr_2"],
        ),
        (
            &[("sortBy", "updatedAt"), ("sortDir", "asc")],
            ["exr_2", "exr_3", "exr_1", "exr_5", "exr_4", "exr_6"],
        ),
        (
            &[("sortBy", "createdAt"), ("sortDir", "asc")],
            ["exr_1", "exr_6", "exr_2", "exr_3", "exr_4", "exr_5"],
        ),
        (
            &[("sortBy", "createdAt"), ("sortDir", "desc")],
            ["exr_5", "exr_4", "exr_3", "exr_2", "exr_6", "exr_1"],
        ),
        (
            &[("sortBy", "createdAt")],
            ["exr_5", "exr_4", "exr_3", "exr_2", "exr_6", "exr_1"],
        ),
        (
            &[("sortDir", "asc")],
            ["exr_2", "exr_3", "exr_1", "exr_5", "exr_4", "exr_6"],
        ),
    ];
    for (query, expected) in cases {
        let body = app.list_ok(KEY_A, query).await;
        assert_eq!(ids(&body), expected, "query {query:?}");
    }
}

#[tokio::test]
async fn every_filter_selects_exactly_its_runs() {
    let app = spawn_app(&fixture()).await;
    let cases: &[(Query, &[&str])] = &[
        (&[("status", "PROCESSED")], &["exr_6", "exr_1"]),
        (&[("status", "FAILED")], &["exr_2"]),
        (&[("status", "PENDING")], &["exr_3"]),
        (&[("status", "PROCESSING")], &["exr_4"]),
        (&[("status", "CANCELLED")], &["exr_5"]),
        (&[("processorId", "ex_inv")], &["exr_6", "exr_4", "exr_1"]),
        (&[("processorId", "ex_nope")], &[]),
        (
            &[("processorType", "EXTRACT")],
            &["exr_6", "exr_4", "exr_1"],
        ),
        (&[("processorType", "CLASSIFY")], &["exr_2"]),
        (&[("processorType", "SPLITTER")], &["exr_3"]),
        (&[("sourceId", "wf_1")], &["exr_4", "exr_1"]),
        (&[("sourceId", "batch_1")], &["exr_3"]),
        (&[("source", "WORKFLOW_RUN")], &["exr_4", "exr_1"]),
        (&[("source", "PLAYGROUND")], &["exr_5"]),
        (&[("source", "API")], &["exr_2"]),
        (&[("source", "STUDIO")], &["exr_6"]),
        (&[("source", "ADMIN")], &[]),
        (&[("fileNameContains", "invoice")], &["exr_4", "exr_1"]),
        (&[("fileNameContains", "INVOICE")], &["exr_4", "exr_1"]),
        (&[("fileNameContains", "über")], &["exr_6"]),
        (&[("fileNameContains", "MÜLLER")], &["exr_5"]),
        (
            &[("fileNameContains", ".pdf")],
            &["exr_6", "exr_4", "exr_5", "exr_1", "exr_3", "exr_2"],
        ),
        (&[("fileNameContains", "packet.pdf")], &["exr_3"]),
        (
            &[("processorType", "EXTRACT"), ("status", "PROCESSED")],
            &["exr_6", "exr_1"],
        ),
        (
            &[
                ("processorId", "ex_inv"),
                ("source", "WORKFLOW_RUN"),
                ("sortDir", "asc"),
            ],
            &["exr_1", "exr_4"],
        ),
        (&[("status", "PENDING"), ("source", "API")], &[]),
        (
            &[("sourceId", "wf_1"), ("fileNameContains", "0042")],
            &["exr_4"],
        ),
    ];
    for (query, expected) in cases {
        let body = app.list_ok(KEY_A, query).await;
        assert_eq!(ids(&body), *expected, "query {query:?}");
    }
}

#[tokio::test]
async fn runs_are_visible_only_in_their_own_workspace() {
    let app = spawn_app(&fixture()).await;
    assert_eq!(ids(&app.list_ok(KEY_B, &[]).await), ["exr_7"]);
    assert_eq!(ids(&app.list_ok(KEY_C, &[]).await), ["exr_8"]);
    // The same filter from another workspace's key finds nothing of ws_a.
    assert_eq!(
        ids(&app.list_ok(KEY_B, &[("sourceId", "wf_1")]).await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn an_organization_key_lists_the_workspace_it_names() {
    let app = spawn_app(&fixture()).await;
    for (workspace, expected) in [("ws_a", 6), ("ws_b", 1)] {
        let res = app
            .list_with(KEY_ORG_A, &[("x-extend-workspace-id", workspace)], &[])
            .await;
        assert_eq!(res.status(), 200, "{workspace}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(ids(&body).len(), expected, "{workspace}: {body}");
    }
}

#[tokio::test]
async fn a_run_is_the_documented_summary_and_nothing_more() {
    let app = spawn_app(&fixture()).await;
    let mut doc = fixture();
    doc["processorRuns"][0]["usage"] = json!({ "credits": 3.5 });
    let app_with_usage = spawn_app(&doc).await;
    let body = app_with_usage
        .list_ok(KEY_A, &[("status", "PROCESSED"), ("sortDir", "asc")])
        .await;
    assert_eq!(
        body["processorRuns"][0],
        json!({
            "id": "exr_1",
            "status": "PROCESSED",
            "processorId": "ex_inv",
            "processorName": "Processor ex_inv",
            "processorVersionId": "exv_ex_inv",
            "type": "EXTRACT",
            "createdAt": "2024-03-01T01:00:00Z",
            "updatedAt": "2024-03-01T05:00:00Z",
            "usage": { "credits": 3.5 }
        })
    );
    // A run with no type and no usage omits both keys rather than sending null.
    let body = app.list_ok(KEY_A, &[("status", "CANCELLED")]).await;
    let run = body["processorRuns"][0].as_object().unwrap();
    assert!(
        !run.contains_key("type") && !run.contains_key("usage"),
        "{run:?}"
    );
}

#[tokio::test]
async fn the_legacy_path_serves_the_same_list() {
    let app = spawn_app(&fixture()).await;
    let res = app
        .client
        .get(app.url("/v1/processor_runs?sortBy=createdAt"))
        .bearer_auth(KEY_A)
        .header("x-extend-api-version", VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let legacy: serde_json::Value = res.json().await.unwrap();
    let current = app.list_ok(KEY_A, &[("sortBy", "createdAt")]).await;
    assert_eq!(legacy, current);
}

#[tokio::test]
async fn the_default_page_size_is_ten_and_configurable() {
    let app = spawn_app(&many_runs(25)).await;
    let body = app.list_ok(KEY_A, &[]).await;
    assert_eq!(ids(&body).len(), 10);
    assert_eq!(ids(&body)[0], "exr_0024");

    let rules = extend_mock::domain::PagingRules {
        default_page_size: 4,
        strict_tokens: false,
    };
    let small = spawn_app_with(&many_runs(25), SECRET, rules).await;
    let body = small.list_ok(KEY_A, &[]).await;
    assert_eq!(ids(&body), ["exr_0024", "exr_0023", "exr_0022", "exr_0021"]);
    // maxPageSize still wins over the default, up to the documented 1000.
    let body = small.list_ok(KEY_A, &[("maxPageSize", "1000")]).await;
    assert_eq!(ids(&body).len(), 25);
    assert!(body.get("nextPageToken").is_none());
}

#[tokio::test]
async fn unknown_query_parameters_are_ignored() {
    let app = spawn_app(&fixture()).await;
    let body = app
        .list_ok(
            KEY_A,
            &[("foo", "bar"), ("foo", "baz"), ("status", "FAILED")],
        )
        .await;
    assert_eq!(ids(&body), ["exr_2"]);
}
