//! The current API's extraction family: `/extract_runs`, `/extract`,
//! `/extractors` and their versions, as views of the one store.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn app() -> TestApp {
    let settings = extend_mock::Settings {
        processing_time: Duration::from_millis(30),
        sync_timeout: Duration::from_secs(5),
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&fixture(), SECRET, settings).await
}

/// The keys the SDK's `ExtractRun` declares, every one always written.
const RUN_KEYS: &[&str] = &[
    "object",
    "id",
    "status",
    "output",
    "initialOutput",
    "reviewedOutput",
    "failureReason",
    "failureMessage",
    "metadata",
    "reviewed",
    "edited",
    "edits",
    "config",
    "extractor",
    "extractorVersion",
    "file",
    "files",
    "parseRunId",
    "dashboardUrl",
    "usage",
    "createdAt",
    "updatedAt",
];

/// `ExtractRunSummary`: the same without outputs, edits and config.
const SUMMARY_KEYS: &[&str] = &[
    "object",
    "id",
    "status",
    "failureReason",
    "failureMessage",
    "metadata",
    "reviewed",
    "edited",
    "extractor",
    "extractorVersion",
    "file",
    "files",
    "parseRunId",
    "dashboardUrl",
    "usage",
    "createdAt",
    "updatedAt",
];

fn keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = list.iter().map(|k| (*k).to_owned()).collect();
    keys.sort();
    keys
}

/// A schema as the Python SDK's typed helper sends it for a model with
/// every kind of field (every property required, optional ones nullable,
/// enums with `null`, Extend's own types).
fn typed_schema() -> Value {
    let currency = json!({"type": "object", "extend:type": "currency",
        "properties": {"amount": {"type": ["number", "null"]},
                       "iso_4217_currency_code": {"type": ["string", "null"]}},
        "required": ["amount", "iso_4217_currency_code"], "additionalProperties": false});
    json!({"type": "object", "properties": {
        "invoice_number": {"type": ["string", "null"], "description": "The invoice's number"},
        "quantity_total": {"type": ["integer", "null"]},
        "tax_rate": {"type": ["number", "null"]},
        "paid": {"type": ["boolean", "null"]},
        "status": {"enum": ["open", "paid", null]},
        "line_items": {"type": "array", "items": {"type": "object",
            "properties": {"description": {"type": ["string", "null"]}, "price": currency},
            "required": ["description", "price"], "additionalProperties": false}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "vendor": {"type": "object", "properties": {"name": {"type": ["string", "null"]},
            "address": {"type": ["string", "null"]}}, "required": ["name", "address"],
            "additionalProperties": false},
        "total": currency,
        "invoice_date": {"type": ["string", "null"], "extend:type": "date"},
        "signature": {"type": "object", "extend:type": "signature", "properties": {
            "printed_name": {"type": ["string", "null"]},
            "signature_date": {"type": ["string", "null"], "extend:type": "date"},
            "is_signed": {"type": ["boolean", "null"]},
            "title_or_role": {"type": ["string", "null"]}},
            "required": ["printed_name", "signature_date", "is_signed", "title_or_role"],
            "additionalProperties": false}},
        "required": ["invoice_number", "quantity_total", "tax_rate", "paid", "status",
            "line_items", "tags", "vendor", "total", "invoice_date", "signature"],
        "additionalProperties": false})
}

async fn poll_until_ended(app: &TestApp, id: &str) -> Value {
    for _ in 0..200 {
        let run = app
            .api_ok_bare(Method::GET, KEY_A, &format!("/extract_runs/{id}"))
            .await;
        if !["PENDING", "PROCESSING"].contains(&run["status"].as_str().unwrap()) {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("run {id} never ended");
}

#[tokio::test]
async fn a_run_with_a_typed_schema_is_made_polled_and_fits_its_schema() {
    let app = app().await;
    let schema = typed_schema();
    let body = json!({"config": {"schema": schema, "baseProcessor": "extraction_light"},
        "file": {"url": "https://example.com/files/INV-77.pdf", "name": "INV-77.pdf"},
        "metadata": {"customer": "acme"}, "priority": 5});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs", &body)
        .await;
    assert_eq!(keys(&made), sorted(RUN_KEYS), "{made}");
    assert_eq!(made["object"], "extract_run");
    assert_eq!(made["status"], "PROCESSING");
    let id = made["id"].as_str().unwrap();
    assert!(id.starts_with("exr_"), "{id}");
    assert_eq!(made["output"], Value::Null);
    assert_eq!(
        made["extractor"],
        Value::Null,
        "an inline config names no extractor"
    );
    assert_eq!(made["extractorVersion"], Value::Null);
    assert_eq!(made["files"], Value::Null);
    assert_eq!(made["metadata"], json!({"customer": "acme"}));
    assert_eq!(made["config"]["schema"], schema);
    assert_eq!(made["config"]["baseProcessor"], "extraction_light");
    assert!(made["config"].get("type").is_none(), "{}", made["config"]);
    assert_eq!(made["file"]["name"], "INV-77.pdf");
    assert_eq!(made["file"]["object"], "file");
    assert_eq!(made["file"]["parentFileId"], Value::Null);
    assert_eq!(
        made["dashboardUrl"],
        format!("https://dashboard.extend.ai/runs/{id}")
    );

    let done = poll_until_ended(&app, id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(keys(&done), sorted(RUN_KEYS));
    assert!(done["usage"]["credits"].as_f64().unwrap() > 0.0);
    let value = &done["output"]["value"];
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?} in {value}");
    // Extend's own types as the SDK's helper types read them.
    assert!(value["total"]["amount"].is_number(), "{value}");
    assert_eq!(value["total"]["iso_4217_currency_code"], "USD");
    let date = value["invoice_date"].as_str().unwrap();
    assert!(
        time::Date::parse(
            date,
            &time::macros::format_description!("[year]-[month]-[day]")
        )
        .is_ok(),
        "{date}"
    );
    assert!(value["signature"]["is_signed"].is_boolean());
    assert_ne!(
        value["status"],
        Value::Null,
        "an enum's value is one of its choices"
    );
    // A metadata entry for every leaf, with the newer citation shape.
    let metadata = done["output"]["metadata"].as_object().unwrap();
    let mut paths = Vec::new();
    leaf_paths(value, String::new(), &mut paths);
    let mut named: Vec<&String> = metadata.keys().collect();
    named.sort();
    paths.sort();
    assert_eq!(named, paths.iter().collect::<Vec<_>>());
    let citation = &metadata["invoice_number"]["citations"][0];
    assert!(citation["page"]["number"].is_number(), "{citation}");
}

#[tokio::test]
async fn both_views_are_the_same_runs() {
    let app = app().await;
    // Made through the family: a processor run of type EXTRACT too.
    let body = json!({"extractor": {"id": "ex_inv"}, "file": {"text": "Invoice #12345 __hold__"}});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs", &body)
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["extractor"]["id"], "ex_inv");
    assert_eq!(made["extractor"]["object"], "extractor");
    assert_eq!(made["extractorVersion"]["extractorId"], "ex_inv");
    assert_eq!(made["extractorVersion"]["createdBy"], Value::Null);
    let legacy = app.get_run_ok(KEY_A, &id).await;
    assert_eq!(legacy["type"], "EXTRACT");
    assert_eq!(legacy["status"], "PROCESSING");
    assert_eq!(legacy["processorId"], "ex_inv");
    // Cancelled through the family, seen cancelled through the legacy view.
    let cancelled = app
        .api_ok_bare(Method::POST, KEY_A, &format!("/extract_runs/{id}/cancel"))
        .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(app.get_run_ok(KEY_A, &id).await["status"], "CANCELLED");
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            &format!("/extract_runs/{id}/cancel"),
            None,
            400,
        )
        .await;
    assert!(message.contains("is CANCELLED"), "{message}");

    // A fixture run is in its family with its id; deleted through the
    // legacy view, it is gone from the family too.
    let fixture_run = app
        .api_ok_bare(Method::GET, KEY_A, "/extract_runs/exr_1")
        .await;
    assert_eq!(fixture_run["status"], "PROCESSED");
    assert_eq!(keys(&fixture_run), sorted(RUN_KEYS));
    assert_eq!(app.delete_run(KEY_A, "exr_1").await.status(), 200);
    let res = app
        .api(Method::GET, KEY_A, "/extract_runs/exr_1", None)
        .await;
    assert_error(
        res,
        404,
        "NOT_FOUND",
        "Extract run `exr_1` not found",
        "deleted",
    )
    .await;

    // A run of another type is the same 404 as a missing one, on every call.
    for (method, path) in [
        (Method::GET, "/extract_runs/exr_2"),
        (Method::POST, "/extract_runs/exr_2/cancel"),
        (Method::DELETE, "/extract_runs/exr_2"),
        (Method::GET, "/extract_runs/exr_nope"),
    ] {
        let res = app.api(method.clone(), KEY_A, path, None).await;
        assert_error(res, 404, "NOT_FOUND", "Extract run `exr_", path).await;
    }
    assert_eq!(app.get_run_ok(KEY_A, "exr_2").await["type"], "CLASSIFY");
    // Another workspace's run too.
    let res = app
        .api(Method::GET, KEY_B, &format!("/extract_runs/{id}"), None)
        .await;
    assert_error(res, 404, "NOT_FOUND", "not found", "other workspace").await;

    // Deleted through the family: gone from both.
    let deleted = app
        .api_ok_bare(Method::DELETE, KEY_A, &format!("/extract_runs/{id}"))
        .await;
    assert_eq!(deleted, json!({"id": id}));
    assert_eq!(app.delete_run(KEY_A, &id).await.status(), 404);
}

#[tokio::test]
async fn the_list_holds_the_familys_runs_in_pages() {
    let app = app().await;
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/extract_runs?maxPageSize=2")
        .await;
    assert_eq!(page["object"], "list");
    assert_eq!(
        ids(&json!({"processorRuns": page["data"]})),
        ["exr_6", "exr_4"]
    );
    for item in page["data"].as_array().unwrap() {
        assert_eq!(keys(item), sorted(SUMMARY_KEYS), "{item}");
    }
    let token = page["nextPageToken"].as_str().unwrap();
    let next = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/extract_runs?maxPageSize=2&nextPageToken={}",
                urlencode(token)
            ),
        )
        .await;
    // exr_5 is an older run stored without a type: its processor's,
    // EXTRACT when none of its runs says, so it is in the family's list.
    assert_eq!(
        ids(&json!({"processorRuns": next["data"]})),
        ["exr_5", "exr_1"]
    );
    assert!(next.get("nextPageToken").is_none(), "the last page");
    // Filters: status, extractorId, source, fileNameContains, sorts.
    for (query, expected) in [
        ("status=PROCESSING", vec!["exr_4"]),
        (
            "extractorId=ex_inv&sortBy=createdAt&sortDir=asc",
            vec!["exr_1", "exr_6", "exr_4"],
        ),
        ("source=STUDIO", vec!["exr_6"]),
        ("sourceId=wf_1", vec!["exr_4", "exr_1"]),
        ("fileNameContains=invoice", vec!["exr_4", "exr_1"]),
        ("extractorId=ex_cls", vec![]),
        ("batchId=bpr_1", vec![]),
    ] {
        let page = app
            .api_ok_bare(Method::GET, KEY_A, &format!("/extract_runs?{query}"))
            .await;
        assert_eq!(
            ids(&json!({"processorRuns": page["data"]})),
            expected,
            "{query}"
        );
    }
    // A legacy list's token is not this list's.
    let legacy = app.list_ok(KEY_A, &[("maxPageSize", "1")]).await;
    let token = legacy["nextPageToken"].as_str().unwrap();
    let message = app
        .api_err(
            Method::GET,
            KEY_A,
            &format!("/extract_runs?nextPageToken={}", urlencode(token)),
            None,
            400,
        )
        .await;
    assert!(message.contains("another list"), "{message}");
    let message = app
        .api_err(Method::GET, KEY_A, "/extract_runs?status=DONE", None, 400)
        .await;
    assert!(message.contains("`status`"), "{message}");
}

#[tokio::test]
async fn refusals_name_the_field_and_store_nothing() {
    let app = app().await;
    let before = app.state_document().await;
    let cases = [
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "package": {"files": []}}),
            400,
            "file: give `file` or `package`, not both",
        ),
        (
            json!({}),
            400,
            "file: one of `file` or `package` is required",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "extractor": {"id": "ex_inv"},
            "config": {}}),
            400,
            "config: give `extractor` or `config`, not both",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf", "id": "file_1"}}),
            400,
            "file: give exactly one of",
        ),
        (
            json!({"file": {"text": " "}}),
            400,
            "file.text: must not be empty",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "extractor": {"id": "ex_nope"}}),
            404,
            "Extractor `ex_nope` not found",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "extractor": {"id": "ex_cls"}}),
            404,
            "Extractor `ex_cls` not found",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "extractor": {"id": "ex_inv", "version": "9.9"}}),
            404,
            "Extractor version `9.9` not found",
        ),
        (
            json!({"file": {"id": "file_nope"}}),
            404,
            "File `file_nope` not found",
        ),
        (
            json!({"file": {"url": "ftp://x.test/a.pdf"}}),
            400,
            "file.url: `ftp://x.test/a.pdf`",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf", "name": "a\u{7}.pdf"}}),
            400,
            "file.name: must not hold control",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "extractor": {"id": "ex_inv",
                "overrideConfig": {"schema": {"type": "string"}}}}),
            400,
            "extractor.overrideConfig.schema.type",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "config": {"schema": {"type": "string"}}}),
            400,
            "config.schema.type",
        ),
        (
            json!({"file": {"url": "http://x.test/a.pdf"}, "priority": 0}),
            400,
            "priority",
        ),
        (
            json!({"package": {"files": []}}),
            400,
            "package.files: is required: 1 to 50 files",
        ),
        (
            json!({"package": {"files": [{"url": "http://x.test/a.pdf"}, {"text": "x"}]}}),
            400,
            "package.files[1]: give exactly one of `url` or `id`",
        ),
        (
            json!({"package": {"files": [{"id": "file_nope"}]}}),
            404,
            "File `file_nope` not found",
        ),
    ];
    for (body, status, needle) in cases {
        let res = app
            .api(Method::POST, KEY_A, "/extract_runs", Some(&body))
            .await;
        let code = match status {
            400 => "INVALID_REQUEST",
            _ => "NOT_FOUND",
        };
        assert_error(res, status, code, needle, &body.to_string()).await;
    }
    // Nothing stored, not even the processor inline configs belong to.
    assert_eq!(
        app.state_document().await,
        before,
        "nothing stored on a refusal"
    );
}

#[tokio::test]
async fn no_config_infers_one_from_the_file_and_text_becomes_a_file() {
    let app = app().await;
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extract_runs",
            &json!({"file": {"url": "https://example.com/invoice-2024.pdf"}}),
        )
        .await;
    let properties = made["config"]["schema"]["properties"].as_object().unwrap();
    assert!(properties.contains_key("invoice_number"), "{properties:?}");
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extract_runs",
            &json!({"file": {"text": "hello", "name": "note.txt"}}),
        )
        .await;
    assert_eq!(made["file"]["name"], "note.txt");
}

#[tokio::test]
async fn a_reference_runs_the_version_it_names_and_its_override() {
    let app = app().await;
    let schema = |field: &str| {
        json!({"type": "object", "properties": {field: {"type": ["string", "null"]}},
            "required": [field], "additionalProperties": false})
    };
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extractors",
            &json!({"name": "Receipts", "config": {"schema": schema("first")}}),
        )
        .await;
    let ex = made["id"].as_str().unwrap().to_owned();
    assert!(ex.starts_with("ex_"), "{ex}");
    assert_eq!(made["object"], "extractor");
    assert_eq!(made["draftVersion"]["version"], "draft");
    assert_eq!(made["draftVersion"]["config"]["schema"], schema("first"));
    let v1 = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/extractors/{ex}/versions"),
            &json!({"releaseType": "major", "description": "first"}),
        )
        .await;
    assert_eq!(v1["version"], "1.0");
    assert_eq!(v1["description"], "first");
    assert_eq!(v1["extractorId"], ex.as_str());
    app.api_ok_bare_with(
        Method::POST,
        KEY_A,
        &format!("/extractors/{ex}"),
        &json!({"config": {"schema": schema("second")}}),
    )
    .await;
    let run = |version: Option<&str>, over: Option<Value>| {
        let mut reference = json!({"id": ex});
        if let Some(v) = version {
            reference["version"] = json!(v);
        }
        if let Some(o) = over {
            reference["overrideConfig"] = o;
        }
        json!({"extractor": reference, "file": {"url": "https://example.com/r.pdf"}})
    };
    let cases = [
        (run(None, None), "first", "1.0"),
        (run(Some("latest"), None), "first", "1.0"),
        (run(Some("1.0"), None), "first", "1.0"),
        (run(Some("draft"), None), "second", "draft"),
        (
            run(Some("1.0"), Some(json!({"schema": schema("third")}))),
            "third",
            "1.0",
        ),
    ];
    for (body, field, version) in cases {
        let made = app
            .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs", &body)
            .await;
        assert!(
            made["config"]["schema"]["properties"].get(field).is_some(),
            "{body}: {}",
            made["config"]
        );
        assert_eq!(made["extractorVersion"]["version"], version, "{body}");
        let done = poll_until_ended(&app, made["id"].as_str().unwrap()).await;
        assert!(done["output"]["value"].get(field).is_some(), "{done}");
    }
}

#[tokio::test]
async fn extractors_and_their_versions_are_made_read_listed_and_published() {
    let app = app().await;
    let config = json!({"schema": {"type": "object", "properties": {"total": {"type": ["number", "null"]}},
        "required": ["total"], "additionalProperties": false}});
    let a = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extractors",
            &json!({"name": "A", "config": config}),
        )
        .await;
    let a_id = a["id"].as_str().unwrap().to_owned();
    let cloned = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extractors",
            &json!({"name": "B", "cloneExtractorId": a_id}),
        )
        .await;
    assert_eq!(
        cloned["draftVersion"]["config"],
        a["draftVersion"]["config"]
    );
    let generated = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extractors",
            &json!({"name": "C", "generate": {"files": [{"url": "https://x.test/w2-2023.pdf"}]}}),
        )
        .await;
    let generated_fields = generated["draftVersion"]["config"]["schema"]["properties"]
        .as_object()
        .unwrap();
    assert!(
        generated_fields.contains_key("employer_ein"),
        "{generated_fields:?}"
    );

    let got = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/extractors/{a_id}"))
        .await;
    assert_eq!(got, a);
    let renamed = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/extractors/{a_id}"),
            &json!({"name": "A2"}),
        )
        .await;
    assert_eq!(renamed["name"], "A2");
    // Listed newest change first; the legacy view lists the same processors.
    let list = app
        .api_ok_bare(Method::GET, KEY_A, "/extractors?maxPageSize=2")
        .await;
    let first: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(first[0], a_id, "renamed last");
    assert!(list["nextPageToken"].is_string());
    let legacy = app
        .api_ok(
            Method::GET,
            KEY_A,
            "/processors?type=EXTRACT&maxPageSize=100",
            None,
        )
        .await;
    assert!(legacy["processors"].to_string().contains(&a_id));
    let res = app
        .api(Method::GET, KEY_A, "/extractors/ex_cls", None)
        .await;
    assert_error(
        res,
        404,
        "NOT_FOUND",
        "Extractor `ex_cls` not found",
        "a classifier",
    )
    .await;

    // Versions: major, minor, major; listed draft first, newest next.
    for (release, expected) in [("major", "1.0"), ("minor", "1.1"), ("major", "2.0")] {
        let v = app
            .api_ok_bare_with(
                Method::POST,
                KEY_A,
                &format!("/extractors/{a_id}/versions"),
                &json!({"releaseType": release}),
            )
            .await;
        assert_eq!(v["version"], expected);
        assert_eq!(v["object"], "extractor_version");
    }
    let versions = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/extractors/{a_id}/versions"))
        .await;
    let numbers: Vec<&str> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["draft", "2.0", "1.1", "1.0"]);
    assert!(versions["data"][0].get("config").is_none(), "summaries");
    let paged = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/extractors/{a_id}/versions?maxPageSize=3"),
        )
        .await;
    let token = paged["nextPageToken"].as_str().unwrap();
    let rest = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/extractors/{a_id}/versions?maxPageSize=3&nextPageToken={}",
                urlencode(token)
            ),
        )
        .await;
    assert_eq!(rest["data"][0]["version"], "1.0");
    for version in ["1.1", "draft", "latest"] {
        let v = app
            .api_ok_bare(
                Method::GET,
                KEY_A,
                &format!("/extractors/{a_id}/versions/{version}"),
            )
            .await;
        let expected = if version == "latest" { "2.0" } else { version };
        assert_eq!(v["version"], expected);
        assert!(v["config"]["schema"].is_object());
    }
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            &format!("/extractors/{a_id}/versions"),
            Some(&json!({"releaseType": "patch"})),
            400,
        )
        .await;
    assert!(message.contains("releaseType"), "{message}");
}

#[tokio::test]
async fn the_sync_call_answers_the_ended_run_or_a_504_with_its_id() {
    let app = app().await;
    let done = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extract",
            &json!({"extractor": {"id": "ex_inv"}, "file": {"url": "https://example.com/a.pdf"}}),
        )
        .await;
    assert_eq!(done["status"], "PROCESSED");
    assert!(done["output"]["value"].is_object());

    let settings = extend_mock::Settings {
        sync_timeout: Duration::from_millis(100),
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let res = app
        .api(
            Method::POST,
            KEY_A,
            "/extract",
            Some(&json!({"extractor": {"id": "ex_inv"}, "file": {"text": "x __hold__"}})),
        )
        .await;
    let body = assert_error(res, 504, "TIMEOUT", "--sync-timeout", "held").await;
    assert_eq!(body["retryable"], false);
    let run_id = body["runId"].as_str().unwrap();
    let run = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/extract_runs/{run_id}"))
        .await;
    assert_eq!(run["status"], "PROCESSING", "the run goes on");
}

#[tokio::test]
async fn string_and_amount_fields_come_from_the_documents_text() {
    let app = app().await;
    let money = json!({"type": "object", "extend:type": "currency",
        "properties": {"amount": {"type": ["number", "null"]},
                       "iso_4217_currency_code": {"type": ["string", "null"]}},
        "required": ["amount", "iso_4217_currency_code"], "additionalProperties": false});
    let schema = json!({"type": "object", "properties": {
        "invoice_number": {"type": ["string", "null"]},
        "vendor_name": {"type": ["string", "null"]},
        "invoice_date": {"type": ["string", "null"], "extend:type": "date"},
        "tax": {"type": ["number", "null"]},
        "total": money,
        "line_items": {"type": "array", "items": {"type": "object",
            "properties": {"amount": {"type": ["number", "null"]}}}},
        "po_number": {"type": ["string", "null"]}},
        "additionalProperties": false});
    let text = "Invoice #12345 … Vendor name: Acme Corp … Invoice date: 2024-05-01\n\
                Subtotal: $1,177.78\nTax: $56.78\nTotal: $1,234.56";
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extract_runs",
            &json!({"config": {"schema": schema}, "file": {"text": text}}),
        )
        .await;
    let done = poll_until_ended(&app, made["id"].as_str().unwrap()).await;
    let value = &done["output"]["value"];
    assert_eq!(value["invoice_number"], "12345");
    assert_eq!(value["vendor_name"], "Acme Corp");
    assert_eq!(value["invoice_date"], "2024-05-01");
    assert_eq!(value["tax"], 56.78);
    assert_eq!(
        value["total"]["amount"], 1234.56,
        "not balanced away: {value}"
    );
    assert_eq!(value["total"]["iso_4217_currency_code"], "USD");
    // What the text does not name is made up, as without a text.
    assert!(
        value["po_number"].as_str().unwrap().starts_with("PO-"),
        "{value}"
    );
    // The legacy view of the same run reads the same values.
    let legacy = app.get_run_ok(KEY_A, made["id"].as_str().unwrap()).await;
    assert_eq!(legacy["output"]["value"], *value);
}

#[tokio::test]
async fn the_processor_inline_configs_belong_to_is_reachable_by_no_route() {
    let app = app().await;
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extract_runs",
            &json!({"config": {}, "file": {"url": "https://example.com/a.pdf"}}),
        )
        .await;
    let legacy = app.get_run_ok(KEY_A, made["id"].as_str().unwrap()).await;
    let holder = legacy["processorId"].as_str().unwrap().to_owned();
    assert_eq!(legacy["processorName"], "Inline config");
    for (method, path, body) in [
        (Method::GET, format!("/processors/{holder}/versions"), None),
        (
            Method::POST,
            format!("/processors/{holder}"),
            Some(json!({"name": "mine"})),
        ),
        (
            Method::POST,
            format!("/processors/{holder}/publish"),
            Some(json!({"releaseType": "major"})),
        ),
        (Method::GET, format!("/extractors/{holder}"), None),
        (
            Method::POST,
            "/processor_runs".to_owned(),
            Some(json!({"processorId": holder, "rawText": "x"})),
        ),
        (
            Method::POST,
            "/extract_runs".to_owned(),
            Some(json!({"extractor": {"id": holder}, "file": {"text": "x"}})),
        ),
    ] {
        let res = app.api(method.clone(), KEY_A, &path, body.as_ref()).await;
        assert_eq!(res.status(), 404, "{method} {path}");
    }
    let listed = app
        .api_ok(Method::GET, KEY_A, "/processors?maxPageSize=100", None)
        .await;
    assert!(!listed.to_string().contains(&holder), "listed nowhere");
}

#[tokio::test]
async fn version_pages_hold_under_strict_tokens() {
    let rules = extend_mock::domain::PagingRules {
        default_page_size: 10,
        strict_tokens: true,
    };
    let app = spawn_app_with(&fixture(), SECRET, rules).await;
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extractors", &json!({"name": "V"}))
        .await;
    let id = made["id"].as_str().unwrap();
    for _ in 0..2 {
        app.api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/extractors/{id}/versions"),
            &json!({"releaseType": "minor"}),
        )
        .await;
    }
    let first = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/extractors/{id}/versions?maxPageSize=2"),
        )
        .await;
    let token = urlencode(first["nextPageToken"].as_str().unwrap());
    let rest = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/extractors/{id}/versions?maxPageSize=2&nextPageToken={token}"),
        )
        .await;
    assert_eq!(rest["data"][0]["version"], "0.1");
    // Another extractor's list refuses it.
    let other = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extractors", &json!({"name": "W"}))
        .await;
    let message = app
        .api_err(
            Method::GET,
            KEY_A,
            &format!(
                "/extractors/{}/versions?nextPageToken={token}",
                other["id"].as_str().unwrap()
            ),
            None,
            400,
        )
        .await;
    assert!(message.contains("other filters"), "{message}");
}

#[tokio::test]
async fn a_bare_fail_marker_ends_with_the_current_apis_reason_and_a_chosen_one_stands() {
    let app = app().await;
    for (text, reason) in [
        ("x __fail__", "FAILED_TO_PROCESS_FILE"),
        ("x __fail_FILE_PARSING_ERROR__", "FILE_PARSING_ERROR"),
        ("x __fail_OUT_OF_CREDITS__", "OUT_OF_CREDITS"),
    ] {
        let done = app
            .api_ok_bare_with(
                Method::POST,
                KEY_A,
                "/extract",
                &json!({"extractor": {"id": "ex_inv"}, "file": {"text": text}}),
            )
            .await;
        assert_eq!(done["status"], "FAILED", "{text}");
        assert_eq!(done["failureReason"], reason, "{text}");
        assert_eq!(done["output"], Value::Null);
        let legacy = app.get_run_ok(KEY_A, done["id"].as_str().unwrap()).await;
        assert_eq!(
            legacy["failureReason"], reason,
            "one run, one reason: {text}"
        );
    }
    // Through the legacy create, a bare marker keeps the legacy default.
    let run = app
        .api_ok(
            Method::POST,
            KEY_A,
            "/processor_runs",
            Some(&json!({"processorId": "ex_inv", "rawText": "x __fail__", "sync": true})),
        )
        .await;
    assert_eq!(run["processorRun"]["failureReason"], "FILE_PARSING_ERROR");
}

/// The page's hand-written summaries are the tree `run_object` makes, for
/// every run of the built-in fixtures (every status, kind, older runs
/// without a type) and for runs that pin what a summary shows.
#[test]
fn a_written_summary_is_the_summary_object() {
    use extend_mock::families::object::{run_object, write_run_summary};
    let mut document: Value =
        serde_json::from_str(extend_mock::fixtures::DEFAULT_DOCUMENT).unwrap();
    let runs = document["processorRuns"].as_array_mut().unwrap();
    let mut pinned = runs
        .iter()
        .find(|r| r["status"] == "FAILED" && r.get("type").is_some())
        .unwrap()
        .clone();
    pinned["id"] = json!("exr_pinned");
    pinned["failureReason"] = json!("OUT_OF_CREDITS");
    pinned["metadata"] = json!({"customer": "ac\"me", "n": 1.5});
    pinned["reviewed"] = json!(true);
    pinned["files"] = json!([{"object": "file", "id": "file_given", "name": "given.pdf",
        "type": "PDF", "metadata": {"pageCount": 2},
        "createdAt": "2024-03-01T00:00:00Z", "updatedAt": "2024-03-01T00:00:00Z"}]);
    runs.push(pinned.clone());
    let mut package = pinned;
    package["id"] = json!("exr_package");
    package["package"] = json!(true);
    package["files"] = json!([
        {"object": "file", "id": "file_p1", "name": "a.pdf", "metadata": {},
         "createdAt": "2024-03-01T00:00:00Z", "updatedAt": "2024-03-01T00:00:00Z"},
        {"object": "file", "id": "file_p2", "name": "b.pdf", "type": "PDF", "metadata": {},
         "createdAt": "2024-03-01T00:00:00Z", "updatedAt": "2024-03-01T00:00:00Z"}]);
    runs.push(package);
    let state = extend_mock::AppState::for_tests(
        &document.to_string(),
        SECRET,
        extend_mock::Settings::default(),
    )
    .unwrap();
    let store = state.store();
    let all: Vec<_> = store.runs().collect();
    assert!(all.len() > 70);
    for stored in all {
        let ws = stored.workspace_id.clone();
        let run = store.get(&ws, stored.id.as_str()).unwrap();
        let mut buf = Vec::new();
        write_run_summary(&mut buf, &store, &ws, &run);
        let written: Value = serde_json::from_slice(&buf)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", run.id, String::from_utf8_lossy(&buf)));
        assert_eq!(written, run_object(&store, &ws, &run, true), "{}", run.id);
    }
}

#[tokio::test]
async fn a_package_run_shows_its_files_and_no_one_file() {
    let app = app().await;
    let uploaded: Value = app
        .upload(KEY_A, "inv.txt", b"Invoice #777\nTotal: $12.50".to_vec())
        .await
        .json()
        .await
        .unwrap();
    let body = json!({"package": {"files": [{"id": uploaded["id"]},
        {"url": "https://example.com/docs/receipt-2.pdf"}]},
        "config": {"schema": {"type": "object", "properties": {
            "invoice_number": {"type": ["string", "null"]}}}}});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs", &body)
        .await;
    assert_eq!(made["file"], Value::Null);
    let files = made["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["id"], uploaded["id"]);
    assert_eq!(files[0]["name"], "inv.txt");
    assert_eq!(files[1]["name"], "receipt-2.pdf");
    assert_eq!(files[1]["type"], "PDF");
    assert!(files[1]["id"].as_str().unwrap().starts_with("file_"));
    let id = made["id"].as_str().unwrap();
    let done = poll_until_ended(&app, id).await;
    assert_eq!(done["status"], "PROCESSED");
    assert_eq!(done["files"], made["files"]);
    // The first file's text fills what it names.
    assert_eq!(done["output"]["value"]["invoice_number"], "777");
    // The list's summary and the legacy view hold the same files.
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/extract_runs?maxPageSize=1")
        .await;
    assert_eq!(page["data"][0]["id"], id);
    assert_eq!(page["data"][0]["files"], made["files"]);
    assert_eq!(page["data"][0]["file"], Value::Null);
    let legacy = app.get_run_ok(KEY_A, id).await;
    assert_eq!(legacy["files"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn another_workspaces_run_or_extractor_is_the_404_of_a_missing_one() {
    let app = app().await;
    let run = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extract_runs",
            &json!({"config": {}, "file": {"text": "x __hold__"}}),
        )
        .await;
    let extractor = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extractors", &json!({"name": "Mine"}))
        .await;
    let (run_id, ex_id) = (
        run["id"].as_str().unwrap(),
        extractor["id"].as_str().unwrap(),
    );
    let message = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        body["message"].as_str().unwrap().to_owned()
    };
    for (method, path, missing) in [
        (
            Method::GET,
            format!("/extract_runs/{run_id}"),
            "/extract_runs/exr_nope".to_owned(),
        ),
        (
            Method::DELETE,
            format!("/extract_runs/{run_id}"),
            "/extract_runs/exr_nope".to_owned(),
        ),
        (
            Method::GET,
            format!("/extractors/{ex_id}"),
            "/extractors/ex_nope".to_owned(),
        ),
        (
            Method::GET,
            format!("/extractors/{ex_id}/versions"),
            "/extractors/ex_nope/versions".to_owned(),
        ),
    ] {
        let theirs = message(app.api(method.clone(), KEY_B, &path, None).await).await;
        let none = message(app.api(method.clone(), KEY_B, &missing, None).await).await;
        let nope = if path.contains("extract_runs") {
            "exr_nope"
        } else {
            "ex_nope"
        };
        let own = if path.contains("extract_runs") {
            run_id
        } else {
            ex_id
        };
        assert_eq!(theirs, none.replace(nope, own), "{method} {path}");
    }
}

/// Every list page is kept once written (see `body_cache`): a page asked
/// again after any change must be the store's, in both views, and a page
/// kept for one workspace is never another's.
#[tokio::test]
async fn a_page_asked_again_after_a_change_is_the_stores() {
    let app = app().await;
    let family_ids = |page: &Value| ids(&json!({"processorRuns": page["data"]}));
    let statuses = |page: &Value, key: &str| -> Vec<String> {
        page[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|run| run["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let family = async || {
        app.api_ok_bare(Method::GET, KEY_A, "/extract_runs?maxPageSize=2")
            .await
    };
    let legacy = async || app.list_ok(KEY_A, &[("maxPageSize", "2")]).await;
    let first = family().await;
    assert_eq!(family_ids(&first), ["exr_6", "exr_4"]);
    assert_eq!(family().await, first, "the same page, asked again");
    let first_legacy = legacy().await;
    assert_eq!(legacy().await, first_legacy);

    // A run made: first in both pages.
    let body = json!({"extractor": {"id": "ex_inv"}, "file": {"text": "Invoice __hold__"}});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs", &body)
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(family_ids(&family().await), [id.as_str(), "exr_6"]);
    assert_eq!(ids(&legacy().await)[0], id);
    assert_eq!(statuses(&family().await, "data")[0], "PROCESSING");

    // Ended by the control plane: the pages say so.
    app.mock_ok(Method::POST, &format!("/processor_runs/{id}/finish"), None)
        .await;
    assert_eq!(statuses(&family().await, "data")[0], "PROCESSED");
    assert_eq!(statuses(&legacy().await, "processorRuns")[0], "PROCESSED");

    // Another workspace asking the same query gets its own page.
    let other = app
        .api_ok_bare(Method::GET, KEY_B, "/extract_runs?maxPageSize=2")
        .await;
    assert!(!family_ids(&other).contains(&id), "{other}");

    // Deleted: gone from both (the extractor keeps the time it was last
    // used); a reset brings the start-up pages back.
    app.api_ok_bare(Method::DELETE, KEY_A, &format!("/extract_runs/{id}"))
        .await;
    let after = family().await;
    assert_eq!(family_ids(&after), ["exr_6", "exr_4"]);
    assert_ne!(after["data"][0]["extractor"], first["data"][0]["extractor"]);
    assert_eq!(legacy().await, first_legacy);
    app.api_ok_bare(Method::DELETE, KEY_A, "/extract_runs/exr_6")
        .await;
    assert_eq!(family_ids(&family().await), ["exr_4", "exr_5"]);
    app.mock_ok(Method::POST, "/reset", None).await;
    assert_eq!(family().await, first);
    assert_eq!(legacy().await, first_legacy);
}
