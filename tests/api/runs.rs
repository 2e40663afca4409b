//! `GET /processor_runs/{id}` and `DELETE /processor_runs/{id}`: the full run,
//! derived or pinned, and deletion that every other view agrees with.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// The summary's fields that the full object has too (`LegacyProcessorRun`
/// has no `createdAt` or `updatedAt`; `type` is checked on its own).
const SUMMARY_FIELDS: &[&str] = &[
    "id",
    "status",
    "processorId",
    "processorName",
    "processorVersionId",
    "usage",
];

/// The fields the SDK's `LegacyProcessorRun` requires (a strict parse fails
/// without any of them).
const REQUIRED: &[&str] = &[
    "object",
    "id",
    "processorId",
    "processorVersionId",
    "processorName",
    "status",
    "output",
    "reviewed",
    "edited",
    "edits",
    "type",
    "config",
    "files",
    "mergedProcessors",
    "url",
];

#[tokio::test]
async fn every_run_has_a_full_object_whose_summary_fields_equal_the_lists() {
    let app = spawn_app(&fixture()).await;
    let list = app.list_ok(KEY_A, &[("maxPageSize", "100")]).await;
    let summaries = list["processorRuns"].as_array().unwrap();
    assert_eq!(summaries.len(), 6);
    for summary in summaries {
        let id = summary["id"].as_str().unwrap();
        let full = app.get_run_ok(KEY_A, id).await;
        for field in SUMMARY_FIELDS {
            assert_eq!(full.get(*field), summary.get(*field), "{id}: {field}");
        }
        for field in REQUIRED {
            assert!(full.get(*field).is_some(), "{id} lacks {field}: {full}");
        }
        if let Some(kind) = summary.get("type") {
            assert_eq!(&full["type"], kind, "{id}");
        }
        assert_eq!(full["object"], "document_processor_run");
        assert_eq!(
            full["url"],
            format!("https://dashboard.extend.ai/runs/{id}")
        );
        assert_eq!(full["reviewed"], false);
        assert_eq!(full["edited"], false);
        assert_eq!(full["edits"], json!({}));
        assert_eq!(full["mergedProcessors"], json!([]));
        assert_eq!(full["config"]["type"], full["type"], "{id}");
        let files = full["files"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{id}");
        assert_eq!(files[0]["object"], "file");
        assert!(files[0]["id"].as_str().unwrap().starts_with("file_"));
        assert_eq!(
            files[0]["type"], "PDF",
            "{id}: every fixture file is a .pdf"
        );
        assert!(files[0]["metadata"]["pageCount"].as_u64().unwrap() >= 1);
        assert_eq!(files[0]["createdAt"], summary["createdAt"]);
        // What each status brings.
        match summary["status"].as_str().unwrap() {
            "PROCESSED" => assert_ne!(full["output"], json!({}), "{id}"),
            "FAILED" => {
                assert!(full["failureReason"].is_string(), "{id}: {full}");
                assert!(full["failureMessage"].is_string(), "{id}: {full}");
                assert_eq!(full["output"], json!({}));
            }
            _ => {
                assert_eq!(full["output"], json!({}), "{id}");
                assert!(full.get("failureReason").is_none(), "{id}");
            }
        }
    }
}

#[tokio::test]
async fn the_file_name_is_the_runs_and_its_type_comes_from_the_extension() {
    let app = spawn_app(&fixture()).await;
    let full = app.get_run_ok(KEY_A, "exr_5").await;
    assert_eq!(full["files"][0]["name"], "Rechnung_Müller.pdf");
}

#[tokio::test]
async fn the_same_run_gives_the_same_full_object_on_every_server() {
    let one = spawn_app(&fixture()).await;
    let two = spawn_app(&fixture()).await;
    for id in ["exr_1", "exr_2", "exr_3", "exr_6"] {
        let a = one.get_run_ok(KEY_A, id).await;
        assert_eq!(a, one.get_run_ok(KEY_A, id).await, "{id}: twice");
        assert_eq!(a, two.get_run_ok(KEY_A, id).await, "{id}: two servers");
    }
    // And two runs of one processor share its config but not their values.
    let (a, b) = (
        one.get_run_ok(KEY_A, "exr_1").await,
        one.get_run_ok(KEY_A, "exr_6").await,
    );
    assert_eq!(a["config"], b["config"]);
    assert_ne!(a["output"]["value"], b["output"]["value"]);
}

/// Every property of the schema has a value, and every leaf of the value a
/// metadata entry under its path with confidences and a citation.
#[tokio::test]
async fn an_extraction_output_fits_its_schema_with_metadata_for_every_leaf() {
    let mut doc = fixture();
    doc["processorRuns"][0]["processorName"] = json!("Invoice Extractor");
    let app = spawn_app(&doc).await;
    let full = app.get_run_ok(KEY_A, "exr_1").await;
    let schema = &full["config"]["schema"];
    let value = &full["output"]["value"];
    let metadata = full["output"]["metadata"].as_object().unwrap();
    let properties = schema["properties"].as_object().unwrap();
    assert!(
        properties.contains_key("invoice_number"),
        "an invoice schema: {schema}"
    );
    for key in properties.keys() {
        assert!(value.get(key).is_some(), "value lacks {key}: {value}");
    }
    let mut leaves = Vec::new();
    collect_leaves(value, String::new(), &mut leaves);
    assert!(
        leaves.iter().any(|p| p.starts_with("line_items[0].")),
        "{leaves:?}"
    );
    assert_eq!(metadata.len(), leaves.len());
    let pages = full["files"][0]["metadata"]["pageCount"].as_u64().unwrap();
    for path in &leaves {
        let entry = &metadata[path.as_str()];
        for confidence in ["ocrConfidence", "logprobsConfidence"] {
            let c = entry[confidence].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&c), "{path}: {entry}");
        }
        let citation = &entry["citations"][0];
        let page = citation["page"].as_u64().unwrap();
        assert!(
            (1..=pages).contains(&page),
            "{path}: page {page} of {pages}"
        );
        assert_eq!(citation["polygon"].as_array().unwrap().len(), 4);
    }
    // The money adds up.
    let lines = value["line_items"].as_array().unwrap();
    let sum: f64 = lines.iter().map(|l| l["amount"].as_f64().unwrap()).sum();
    assert!(
        (value["subtotal"].as_f64().unwrap() - sum).abs() < 0.005,
        "{value}"
    );
}

fn collect_leaves(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                collect_leaves(v, child, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_leaves(v, format!("{path}[{i}]"), out);
            }
        }
        _ => out.push(path),
    }
}

#[tokio::test]
async fn classify_and_split_outputs_fit_their_configs() {
    let mut doc = fixture();
    // A finished classifier and a finished splitter.
    doc["processorRuns"][1]["status"] = json!("PROCESSED");
    doc["processorRuns"][2]["status"] = json!("PROCESSED");
    let app = spawn_app(&doc).await;

    let classified = app.get_run_ok(KEY_A, "exr_2").await;
    let choices: Vec<&str> = classified["config"]["classifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let output = &classified["output"];
    assert!(
        choices.contains(&output["id"].as_str().unwrap()),
        "{output}"
    );
    let confidence = output["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));
    assert_eq!(output["insights"][0]["type"], "reasoning");

    let split = app.get_run_ok(KEY_A, "exr_3").await;
    let pages = split["files"][0]["metadata"]["pageCount"].as_u64().unwrap();
    let file_id = split["files"][0]["id"].clone();
    let ids: Vec<&str> = split["config"]["splitClassifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut next = 1;
    for s in split["output"]["splits"].as_array().unwrap() {
        assert_eq!(s["startPage"].as_u64().unwrap(), next, "{s}");
        assert!(s["endPage"].as_u64().unwrap() >= next, "{s}");
        assert!(
            ids.contains(&s["classificationId"].as_str().unwrap()),
            "{s}"
        );
        assert_eq!(s["fileId"], file_id);
        next = s["endPage"].as_u64().unwrap() + 1;
    }
    assert_eq!(next, pages + 1, "the splits cover every page");
}

/// exr_5 is stored without `type`; its processor has no typed run, so its
/// full object says EXTRACT while the list still leaves the field out. A run
/// of a processor whose other runs are typed takes their type.
#[tokio::test]
async fn a_run_stored_without_type_takes_its_processors_type() {
    let mut doc = fixture();
    let mut untyped = doc["processorRuns"][1].clone();
    untyped["id"] = json!("exr_untyped");
    untyped.as_object_mut().unwrap().remove("type");
    doc["processorRuns"].as_array_mut().unwrap().push(untyped);
    let app = spawn_app(&doc).await;
    assert_eq!(app.get_run_ok(KEY_A, "exr_5").await["type"], "EXTRACT");
    let full = app.get_run_ok(KEY_A, "exr_untyped").await;
    assert_eq!(full["type"], "CLASSIFY");
    assert_eq!(full["config"]["type"], "CLASSIFY");
    let list = app.list_ok(KEY_A, &[("maxPageSize", "100")]).await;
    for summary in list["processorRuns"].as_array().unwrap() {
        if ["exr_5", "exr_untyped"].contains(&summary["id"].as_str().unwrap()) {
            assert!(summary.get("type").is_none(), "{summary}");
        }
    }
}

#[tokio::test]
async fn unknown_foreign_and_malformed_ids_are_the_same_404() {
    let app = spawn_app(&fixture()).await;
    let long = "x".repeat(300);
    for (id, case) in [
        ("exr_nope", "unknown"),
        ("exr_7", "a run of ws_b"),
        ("exr_8", "a run of another organization"),
        (long.as_str(), "longer than any id"),
        ("%20", "a space"),
    ] {
        for method in [Method::GET, Method::DELETE] {
            let res = app.run_request(method.clone(), "", KEY_A, id).await;
            let shown = if id == "%20" { " " } else { id };
            let body =
                assert_error(res, 404, "NOT_FOUND", shown, &format!("{method} {case}")).await;
            assert_eq!(
                body["message"],
                format!("Processor run `{shown}` not found"),
                "{case}: the same words whatever the reason"
            );
        }
    }
    // The run of ws_b is there for its own key.
    app.get_run_ok(KEY_B, "exr_7").await;
}

#[tokio::test]
async fn the_checks_come_in_the_lists_order() {
    let app = spawn_app(&fixture()).await;
    for method in [Method::GET, Method::DELETE] {
        let url = app.url("/processor_runs/exr_nope");
        let res = app
            .client
            .request(method.clone(), &url)
            .send()
            .await
            .unwrap();
        assert_error(res, 401, "UNAUTHORIZED", "Authorization", "no key").await;
        let res = app
            .client
            .request(method.clone(), &url)
            .bearer_auth(KEY_A)
            .send()
            .await
            .unwrap();
        assert_error(
            res,
            400,
            "INVALID_REQUEST",
            "x-extend-api-version",
            "no version",
        )
        .await;
        let res = app
            .client
            .request(method.clone(), &url)
            .bearer_auth(KEY_ORG_A)
            .header("x-extend-api-version", VERSION)
            .send()
            .await
            .unwrap();
        assert_error(
            res,
            400,
            "INVALID_REQUEST",
            "x-extend-workspace-id",
            "org key",
        )
        .await;
    }
    // An organization key that names the workspace reads its runs.
    let res = app
        .client
        .get(app.url("/processor_runs/exr_7"))
        .bearer_auth(KEY_ORG_A)
        .header("x-extend-api-version", VERSION)
        .header("x-extend-workspace-id", "ws_b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A legacy key needs no version header.
    let res = app
        .client
        .get(app.url("/processor_runs/exr_1"))
        .bearer_auth(KEY_LEGACY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_v1_prefix_serves_get_and_delete() {
    let app = spawn_app(&fixture()).await;
    let res = app.run_request(Method::GET, "/v1", KEY_A, "exr_1").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["processorRun"], app.get_run_ok(KEY_A, "exr_1").await);
    let res = app.run_request(Method::DELETE, "/v1", KEY_A, "exr_1").await;
    assert_eq!(res.status(), 200);
    let res = app.run_request(Method::GET, "", KEY_A, "exr_1").await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_deleted_run_is_gone_everywhere_until_reset() {
    let app = spawn_app(&fixture()).await;
    let res = app.delete_run(KEY_A, "exr_4").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "success": true,
            "documentProcessorRunId": "exr_4",
            "message": "Document processor run data has been successfully deleted.",
        })
    );
    let res = app.run_request(Method::GET, "", KEY_A, "exr_4").await;
    assert_error(res, 404, "NOT_FOUND", "exr_4", "get after delete").await;
    let res = app.delete_run(KEY_A, "exr_4").await;
    assert_error(res, 404, "NOT_FOUND", "exr_4", "second delete").await;

    // Every list and page walk, filtered or not, in either order.
    for query in [
        vec![],
        vec![("status", "PROCESSING")],
        vec![("processorId", "ex_inv")],
        vec![("sourceId", "wf_1")],
        vec![("sortBy", "createdAt"), ("sortDir", "asc")],
    ] {
        let mut q = query.clone();
        q.push(("maxPageSize", "1"));
        let (seen, _) = app.walk_all_pages(KEY_A, &q).await;
        assert!(!seen.contains(&"exr_4".to_owned()), "{query:?}: {seen:?}");
    }
    let (seen, _) = app.walk_all_pages(KEY_A, &[("maxPageSize", "2")]).await;
    assert_eq!(seen, ["exr_6", "exr_5", "exr_1", "exr_3", "exr_2"]);

    let exported = app.state_document().await;
    let ids: Vec<&str> = exported["processorRuns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"exr_4") && ids.len() == 7, "{ids:?}");
    let health = app.mock_ok(Method::GET, "/health", None).await;
    assert_eq!(health["processorRuns"], 7);

    let journal = app
        .mock_ok(Method::GET, "/requests?method=DELETE", None)
        .await;
    let statuses: Vec<(&str, u64)> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("/processor_runs/exr_4", 200),
            ("/processor_runs/exr_4", 404)
        ]
    );

    app.mock_ok(Method::POST, "/reset", None).await;
    assert_eq!(app.get_run_ok(KEY_A, "exr_4").await["status"], "PROCESSING");
}

/// A token made on a page that ended at a run that is deleted afterwards
/// still continues from where that run stood.
#[tokio::test]
async fn a_token_that_points_at_a_deleted_run_still_continues() {
    let app = spawn_app(&many_runs(30)).await;
    let first = app.list_ok(KEY_A, &[("maxPageSize", "10")]).await;
    let token = first["nextPageToken"].as_str().unwrap().to_owned();
    let last = ids(&first).pop().unwrap();
    assert_eq!(last, "exr_0020");
    for id in ["exr_0020", "exr_0019", "exr_0015"] {
        assert_eq!(app.delete_run(KEY_A, id).await.status(), 200);
    }
    let next = app
        .list_ok(KEY_A, &[("maxPageSize", "10"), ("nextPageToken", &token)])
        .await;
    let expected: Vec<String> = (0..19)
        .rev()
        .filter(|i| *i != 15)
        .take(10)
        .map(|i| format!("exr_{i:04}"))
        .collect();
    assert_eq!(ids(&next), expected);
}

/// Fixtures may pin any full-object field; it is served exactly as given,
/// round-trips through `GET /_mock/fixtures`, and a bad one is refused.
#[tokio::test]
async fn pinned_fields_are_served_as_given() {
    let mut doc = fixture();
    let pinned = json!({
        "output": { "value": { "total": 12.5 }, "metadata": { "total": { "ocrConfidence": 0.5 } } },
        "initialOutput": { "value": { "total": 12.0 }, "metadata": {} },
        "reviewedOutput": { "value": { "total": 12.5 }, "metadata": {} },
        "config": { "type": "EXTRACT", "schema": { "type": "object", "properties": { "total": { "type": "number" } } } },
        "files": [{ "object": "file", "id": "file_pinned", "name": "x.pdf", "metadata": {},
                    "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z" }],
        "metadata": { "customer": "acme", "extend:usage_tags": ["a"] },
        "failureReason": "CUSTOM",
        "failureMessage": "pinned message",
        "reviewed": true,
        "edited": true,
        "edits": { "total": { "originalValue": 12.0, "editedValue": 12.5 } }
    });
    for (key, value) in pinned.as_object().unwrap() {
        doc["processorRuns"][0][key] = value.clone();
    }
    let app = spawn_app(&doc).await;
    let full = app.get_run_ok(KEY_A, "exr_1").await;
    for (key, value) in pinned.as_object().unwrap() {
        assert_eq!(&full[key], value, "{key}");
    }
    let exported = app.state_document().await;
    let run = &exported["processorRuns"][0];
    for (key, value) in pinned.as_object().unwrap() {
        assert_eq!(&run[key], value, "exported {key}");
    }
    // A run pinned with only an output keeps the derived rest.
    let mut doc = fixture();
    doc["processorRuns"][5]["output"] = json!({"value": {}, "metadata": {}});
    let app = spawn_app(&doc).await;
    let full = app.get_run_ok(KEY_A, "exr_6").await;
    assert_eq!(full["output"], json!({"value": {}, "metadata": {}}));
    assert_eq!(full["config"]["type"], "EXTRACT");
}

/// Full runs are kept as written bodies for clients that poll; no change of
/// the store may leave one behind.
#[tokio::test]
async fn a_full_run_asked_twice_follows_every_change_of_the_store() {
    let app = spawn_app(&fixture()).await;
    let before = app.get_run_ok(KEY_A, "exr_1").await;
    assert_eq!(app.get_run_ok(KEY_A, "exr_1").await, before);

    let mut doc = fixture();
    doc["processorRuns"][0]["output"] = json!({"value": {"pinned": true}, "metadata": {}});
    doc["processorRuns"][0]["status"] = json!("PROCESSED");
    app.mock_ok(Method::PUT, "/fixtures", Some(&doc)).await;
    let replaced = app.get_run_ok(KEY_A, "exr_1").await;
    assert_eq!(
        replaced["output"],
        json!({"value": {"pinned": true}, "metadata": {}})
    );

    app.mock_ok(Method::POST, "/reset", None).await;
    assert_eq!(app.get_run_ok(KEY_A, "exr_1").await, before);

    // Adding runs is a change too, and a deleted run is not served from memory.
    let mut added = fixture()["processorRuns"][0].clone();
    added["id"] = json!("exr_added");
    app.mock_ok(
        Method::POST,
        "/processor_runs",
        Some(&json!({"processorRuns": [added]})),
    )
    .await;
    assert_eq!(app.get_run_ok(KEY_A, "exr_1").await, before);
    assert_eq!(app.delete_run(KEY_A, "exr_1").await.status(), 200);
    let gone = app.run_request(Method::GET, "", KEY_A, "exr_1").await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn bad_pinned_fields_are_refused_naming_the_field() {
    let app = spawn_app(&fixture()).await;
    for (field, value, needle) in [
        ("output", json!([1]), "processorRuns[0].output"),
        ("config", json!({"schema": {}}), "config.type"),
        (
            "config",
            json!({"type": "CLASSIFY", "classifications": []}),
            "does not match",
        ),
        ("config", json!({"type": "CLASSIFY"}), "config.type"),
        (
            "files",
            json!([{"id": "f", "name": "n"}]),
            "files[0].createdAt",
        ),
        ("files", json!({}), "processorRuns[0].files"),
        ("reviewed", json!("yes"), "processorRuns[0].reviewed"),
        ("edits", json!([]), "processorRuns[0].edits"),
        ("outputs", json!({}), "outputs"),
    ] {
        let mut doc = fixture();
        doc["processorRuns"][0][field] = value.clone();
        let res = app.mock(Method::PUT, "/fixtures", Some(&doc)).await;
        let case = format!("{field} = {value}");
        assert_error(res, 400, "INVALID_REQUEST", needle, &case).await;
    }
    // Nothing changed.
    assert_eq!(app.get_run_ok(KEY_A, "exr_1").await["reviewed"], false);
}
