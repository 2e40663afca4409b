//! The current API's classify and split families: `/classify_runs`,
//! `/classify`, `/classifiers`, `/split_runs`, `/split`, `/splitters` and
//! their versions, as views of the one store (the same handlers as
//! extraction, from each family's description).

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

/// The keys the SDKs' `ClassifyRun` declares (`SplitRun` the same with
/// `splitter`/`splitterVersion`): no `files`, no `edits`.
fn run_keys(processor: &str) -> Vec<String> {
    let mut keys: Vec<String> = [
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
        "config",
        "file",
        "parseRunId",
        "dashboardUrl",
        "usage",
        "createdAt",
        "updatedAt",
    ]
    .map(String::from)
    .to_vec();
    keys.push(processor.to_owned());
    keys.push(format!("{processor}Version"));
    keys.sort();
    keys
}

/// The summary: the run less its outputs and config.
fn summary_keys(processor: &str) -> Vec<String> {
    run_keys(processor)
        .into_iter()
        .filter(|k| !["output", "initialOutput", "reviewedOutput", "config"].contains(&k.as_str()))
        .collect()
}

fn keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn classify_config() -> Value {
    json!({"classifications": [
        {"id": "inv", "type": "invoice", "description": "A bill."},
        {"id": "bank", "type": "bank_statement", "description": "A bank statement."},
        {"id": "other", "type": "other", "description": "Anything else."}
    ]})
}

fn split_config() -> Value {
    json!({"splitClassifications": [
        {"id": "loan", "type": "loan_application", "description": "An application.",
         "identifierKey": "loan_number"},
        {"id": "stub", "type": "paystub", "description": "A pay statement."}
    ]})
}

/// A PDF whose page objects the file store counts.
fn pdf(pages: usize) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 0 >>\n".to_vec();
    for i in 0..pages {
        pdf.extend_from_slice(format!("{} 0 obj << /Type /Page >>\n", i + 2).as_bytes());
    }
    pdf
}

impl TestApp {
    async fn create_ok(&self, path: &str, body: Value) -> Value {
        self.api_ok_bare_with(Method::POST, KEY_A, path, &body)
            .await
    }

    async fn ended(&self, runs: &str, id: &str) -> Value {
        self.until_ended(&format!("/{runs}/{id}")).await
    }
}

#[tokio::test]
async fn a_classify_run_answers_the_classification_its_document_names() {
    let app = app().await;
    let classifier = app
        .create_ok(
            "/classifiers",
            json!({"name": "Mail room", "config": classify_config()}),
        )
        .await;
    let classifier_id = classifier["id"].as_str().unwrap();
    assert!(classifier_id.starts_with("cl_"), "{classifier}");
    assert_eq!(classifier["object"], "classifier");
    assert_eq!(classifier["draftVersion"]["object"], "classifier_version");
    assert_eq!(classifier["draftVersion"]["classifierId"], classifier_id);
    assert!(
        classifier["draftVersion"]["id"]
            .as_str()
            .unwrap()
            .starts_with("clv_")
    );
    assert_eq!(classifier["draftVersion"]["config"], classify_config());

    // By text: the text names the classification.
    let made = app
        .create_ok(
            "/classify_runs",
            json!({"classifier": {"id": classifier_id},
                   "file": {"text": "INVOICE #12345\nTotal: $1,234.56"},
                   "metadata": {"batch": 7}}),
        )
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("clr_"), "{id}");
    assert_eq!(keys(&made), run_keys("classifier"), "{made}");
    assert_eq!(made["object"], "classify_run");
    assert_eq!(made["status"], "PROCESSING");
    assert_eq!(made["output"], Value::Null);
    assert_eq!(made["classifier"]["id"], classifier_id);
    assert_eq!(made["classifierVersion"]["version"], "draft");
    assert_eq!(made["config"], classify_config());
    assert_eq!(made["metadata"], json!({"batch": 7}));
    assert_eq!(
        made["dashboardUrl"],
        format!("https://dashboard.extend.ai/runs/{id}")
    );
    let done = app.ended("classify_runs", &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(keys(&done), run_keys("classifier"));
    let output = &done["output"];
    assert_eq!(output["id"], "inv", "{output}");
    assert_eq!(output["type"], "invoice");
    let confidence = output["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence), "{confidence}");
    assert_eq!(output["insights"][0]["type"], "reasoning");
    assert_eq!(
        output["insights"][0]["content"],
        "The document's text names the `invoice` classification."
    );
    // The legacy view is the same run, with the same output.
    let legacy = app.get_run_ok(KEY_A, &id).await;
    assert_eq!(legacy["type"], "CLASSIFY");
    assert_eq!(legacy["processorId"], classifier_id);
    assert_eq!(&legacy["output"], output);

    // By url: the file's name names the classification; an inline config
    // names no classifier.
    let by_name = app
        .create_ok(
            "/classify_runs",
            json!({"config": classify_config(),
                   "file": {"url": "https://example.com/in/March-Bank-Statement.pdf"}}),
        )
        .await;
    assert_eq!(by_name["classifier"], Value::Null);
    assert_eq!(by_name["classifierVersion"], Value::Null);
    assert_eq!(by_name["file"]["name"], "March-Bank-Statement.pdf");
    let done = app
        .ended("classify_runs", by_name["id"].as_str().unwrap())
        .await;
    assert_eq!(done["output"]["type"], "bank_statement", "{done}");

    // The sync call answers the ended run; the same output for the same name.
    let sync = app
        .create_ok(
            "/classify",
            json!({"classifier": {"id": classifier_id},
                   "file": {"url": "https://example.com/a/invoice_9.pdf"}}),
        )
        .await;
    assert_eq!(sync["status"], "PROCESSED");
    assert_eq!(sync["output"]["id"], "inv");
    assert_eq!(
        sync["output"]["insights"][0]["content"],
        "The file name `invoice_9.pdf` names the `invoice` classification."
    );
}

#[tokio::test]
async fn a_split_run_covers_every_page_of_its_file() {
    let app = app().await;
    let splitter = app
        .create_ok(
            "/splitters",
            json!({"name": "Loan packets", "config": split_config()}),
        )
        .await;
    let splitter_id = splitter["id"].as_str().unwrap();
    assert!(splitter_id.starts_with("spl_"), "{splitter}");
    assert!(
        splitter["draftVersion"]["id"]
            .as_str()
            .unwrap()
            .starts_with("splv_")
    );
    let res = app.upload(KEY_A, "packet.pdf", pdf(12)).await;
    assert_eq!(res.status(), 200);
    let file: Value = res.json().await.unwrap();
    let file_id = file["id"].as_str().unwrap();
    assert_eq!(file["metadata"]["pageCount"], 12);

    let made = app
        .create_ok(
            "/split_runs",
            json!({"splitter": {"id": splitter_id}, "file": {"id": file_id}}),
        )
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("splr_"), "{id}");
    assert_eq!(keys(&made), run_keys("splitter"), "{made}");
    assert_eq!(made["object"], "split_run");
    assert_eq!(made["file"]["id"], file_id);
    let done = app.ended("split_runs", &id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    let splits = done["output"]["splits"].as_array().unwrap();
    let mut next = 1;
    for split in splits {
        assert_eq!(split["startPage"], next, "{splits:?}");
        next = split["endPage"].as_u64().unwrap() + 1;
        assert!(split["id"].as_str().unwrap().starts_with("splt_"));
        assert_eq!(split["fileId"], file_id);
        match split["classificationId"].as_str().unwrap() {
            "loan" => {
                assert_eq!(split["type"], "loan_application");
                let identifier = split["identifier"].as_str().unwrap();
                assert!(identifier.starts_with("LN-"), "{identifier}");
            }
            "stub" => {
                assert_eq!(split["type"], "paystub");
                assert_eq!(split["identifier"], "", "no identifierKey");
            }
            other => panic!("{other} is not a classification of the config"),
        }
    }
    assert_eq!(next, 13, "every page, in order: {splits:?}");
    let legacy = app.get_run_ok(KEY_A, &id).await;
    assert_eq!(legacy["output"], done["output"]);
    // The legacy view's config is what `LegacySplitterConfig` declares: no
    // `identifierKey`, which the current view shows.
    assert_eq!(done["config"], split_config());
    let mut without_keys = split_config();
    without_keys["splitClassifications"][0]
        .as_object_mut()
        .unwrap()
        .remove("identifierKey");
    assert_eq!(
        legacy["config"]["splitClassifications"],
        without_keys["splitClassifications"]
    );

    // A text file's own text gives the identifier.
    let res = app
        .upload(
            KEY_A,
            "application.txt",
            b"Loan Application\nLoan Number: LN-2024-0042\nBorrower: Ann".to_vec(),
        )
        .await;
    let text_file: Value = res.json().await.unwrap();
    let one_kind = json!({"splitClassifications": [split_config()["splitClassifications"][0]]});
    let sync = app
        .create_ok(
            "/split",
            json!({"config": one_kind, "file": {"id": text_file["id"]}}),
        )
        .await;
    assert_eq!(sync["status"], "PROCESSED", "{sync}");
    assert_eq!(sync["splitter"], Value::Null);
    let splits = sync["output"]["splits"].as_array().unwrap();
    assert_eq!(splits.len(), 1, "one page: {splits:?}");
    assert_eq!(splits[0]["identifier"], "LN-2024-0042");
    assert_eq!(
        (&splits[0]["startPage"], &splits[0]["endPage"]),
        (&json!(1), &json!(1))
    );

    // A split takes no text.
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/split_runs",
            Some(&json!({"splitter": {"id": splitter_id}, "file": {"text": "pages"}})),
            400,
        )
        .await;
    assert!(
        message.contains("`file`") || message.contains("file.text"),
        "{message}"
    );
}

#[tokio::test]
async fn refusals_name_the_field_and_store_nothing() {
    let app = app().await;
    let before = app.state_document().await;
    for (path, body, status, says) in [
        (
            "/classify_runs",
            json!({"config": {"classifications": []}, "file": {"text": "x"}}),
            400,
            "config.classifications",
        ),
        (
            "/classify_runs",
            json!({"config": {"classifications": [{"id": "a", "type": "a"}]},
                   "file": {"text": "x"}}),
            400,
            "config.classifications[0].description",
        ),
        (
            "/split_runs",
            json!({"config": {"splitClassifications": [{"id": "a", "type": "a",
                   "description": "", "identifierKey": 7}]},
                   "file": {"url": "https://example.com/a.pdf"}}),
            400,
            "config.splitClassifications[0].identifierKey",
        ),
        (
            "/classify_runs",
            json!({"classifier": {"id": "cl_nope"}, "file": {"text": "x"}}),
            404,
            "Classifier `cl_nope` not found",
        ),
        (
            "/split_runs",
            json!({"splitter": {"id": "ex_inv"}, "file": {"url": "https://example.com/a.pdf"}}),
            404,
            "Splitter `ex_inv` not found",
        ),
        (
            "/classify_runs",
            json!({"classifier": {"id": "ex_cls", "version": "9.0"}, "file": {"text": "x"}}),
            404,
            "Classifier version `9.0` not found",
        ),
        (
            "/classify_runs",
            json!({"classifier": {"id": "ex_cls"}, "config": classify_config(),
                   "file": {"text": "x"}}),
            400,
            "not both",
        ),
        (
            "/classify_runs",
            json!({"classifier": {"id": "ex_cls"},
                   "package": {"files": [{"url": "https://example.com/a.pdf"}]}}),
            400,
            "package: is not taken by this call",
        ),
        (
            "/split",
            json!({"splitter": {"id": "ex_split"}}),
            400,
            "file",
        ),
        (
            "/classify_runs",
            json!({"file": {"text": "an invoice"}}),
            400,
            "classifier: give `classifier` or an inline `config`",
        ),
        (
            "/split",
            json!({"file": {"url": "https://example.com/a.pdf"}}),
            400,
            "splitter: give `splitter` or an inline `config`",
        ),
        (
            "/classifiers",
            json!({"name": "x", "generate": {"files": [{"url": "https://example.com/a.pdf"}]}}),
            400,
            "generate",
        ),
        (
            "/splitters",
            json!({"name": "x", "config": {"classifications": []}}),
            400,
            "config.splitClassifications",
        ),
        (
            "/classify",
            json!({"config": {"classifications": (0..501)
                       .map(|i| json!({"id": format!("c{i}"), "type": "t", "description": ""}))
                       .collect::<Vec<_>>()},
                   "file": {"text": "x"}}),
            400,
            "config.classifications: holds 501 entries; at most 500 are taken",
        ),
    ] {
        let message = app
            .api_err(Method::POST, KEY_A, path, Some(&body), status)
            .await;
        assert!(message.contains(says), "{path} {body}: {message}");
    }
    assert_eq!(app.state_document().await, before, "nothing stored");
}

#[tokio::test]
async fn both_views_and_every_list_are_the_same_runs() {
    let app = app().await;
    // The fixture's CLASSIFY and SPLITTER runs are in their families' lists.
    let classify = app.api_ok_bare(Method::GET, KEY_A, "/classify_runs").await;
    assert_eq!(classify["object"], "list");
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&classify), ["exr_2"]);
    assert_eq!(keys(&classify["data"][0]), summary_keys("classifier"));
    assert_eq!(classify["data"][0]["object"], "classify_run");
    assert!(classify["data"][0]["failureReason"].is_string());
    let split = app.api_ok_bare(Method::GET, KEY_A, "/split_runs").await;
    assert_eq!(ids(&split), ["exr_3"]);
    assert_eq!(keys(&split["data"][0]), summary_keys("splitter"));

    // A legacy create on a CLASSIFY or SPLITTER processor mints the
    // family's prefix, and the run is in the family's list, first.
    let made = app
        .api(
            Method::POST,
            KEY_A,
            "/processor_runs",
            Some(&json!({"processorId": "ex_cls", "rawText": "a bank statement __hold__"})),
        )
        .await;
    assert_eq!(made.status(), 200);
    let made: Value = made.json().await.unwrap();
    let classify_id = made["processorRun"]["id"].as_str().unwrap().to_owned();
    assert!(classify_id.starts_with("clr_"), "{made}");
    let made = app
        .api(
            Method::POST,
            KEY_A,
            "/processor_runs",
            // Held: still PROCESSING when listed, however slow the machine.
            Some(&json!({"processorId": "ex_split", "file": {"fileUrl": "https://example.com/p__hold__.pdf"}})),
        )
        .await;
    let made: Value = made.json().await.unwrap();
    let split_id = made["processorRun"]["id"].as_str().unwrap().to_owned();
    assert!(split_id.starts_with("splr_"), "{made}");
    let page = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            "/classify_runs?classifierId=ex_cls&sortBy=createdAt&sortDir=desc",
        )
        .await;
    assert_eq!(ids(&page), [classify_id.as_str(), "exr_2"]);
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/split_runs?status=PROCESSING")
        .await;
    assert_eq!(ids(&page), [split_id.as_str()]);
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/classify_runs?maxPageSize=1")
        .await;
    let token = page["nextPageToken"].as_str().unwrap();
    let next = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/classify_runs?maxPageSize=1&nextPageToken={}",
                urlencode(token)
            ),
        )
        .await;
    assert_eq!(ids(&next), ["exr_2"]);
    assert!(next.get("nextPageToken").is_none());
    // A token of one family's list is not another's.
    let message = app
        .api_err(
            Method::GET,
            KEY_A,
            &format!("/split_runs?nextPageToken={}", urlencode(token)),
            None,
            400,
        )
        .await;
    assert!(message.contains("another list"), "{message}");

    // Cancelled through the family, cancelled in the legacy view.
    let cancelled = app
        .api_ok_bare(
            Method::POST,
            KEY_A,
            &format!("/classify_runs/{classify_id}/cancel"),
        )
        .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(
        app.get_run_ok(KEY_A, &classify_id).await["status"],
        "CANCELLED"
    );
    // A run of another family, of another workspace, or none: one 404.
    for (method, path, noun) in [
        (
            Method::GET,
            format!("/split_runs/{classify_id}"),
            "Split run",
        ),
        (
            Method::GET,
            "/classify_runs/exr_1".to_owned(),
            "Classify run",
        ),
        (
            Method::POST,
            "/split_runs/exr_2/cancel".to_owned(),
            "Split run",
        ),
        (
            Method::DELETE,
            "/classify_runs/exr_3".to_owned(),
            "Classify run",
        ),
        (
            Method::GET,
            "/classify_runs/clr_nope".to_owned(),
            "Classify run",
        ),
    ] {
        let res = app.api(method.clone(), KEY_A, &path, None).await;
        assert_error(res, 404, "NOT_FOUND", &format!("{noun} `"), &path).await;
    }
    let res = app
        .api(Method::GET, KEY_B, &format!("/split_runs/{split_id}"), None)
        .await;
    assert_error(res, 404, "NOT_FOUND", "Split run `", "other workspace").await;

    // Deleted through the family: gone from both views.
    let deleted = app
        .api_ok_bare(Method::DELETE, KEY_A, &format!("/split_runs/{split_id}"))
        .await;
    assert_eq!(deleted, json!({"id": split_id}));
    assert_eq!(app.delete_run(KEY_A, &split_id).await.status(), 404);
    // And the other way round.
    assert_eq!(app.delete_run(KEY_A, "exr_2").await.status(), 200);
    let page = app.api_ok_bare(Method::GET, KEY_A, "/classify_runs").await;
    assert_eq!(ids(&page), [classify_id.as_str()]);
}

#[tokio::test]
async fn classifiers_and_splitters_are_versioned_and_runs_use_the_version_named() {
    let app = app().await;
    let listed = app.api_ok_bare(Method::GET, KEY_A, "/classifiers").await;
    let names: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ex_cls"], "the fixture's CLASSIFY processor");
    let derived = app
        .api_ok_bare(Method::GET, KEY_A, "/classifiers/ex_cls")
        .await;
    let draft = derived["draftVersion"]["id"].as_str().unwrap();
    assert!(draft.starts_with("clv_"), "{draft}");
    let made = app
        .create_ok(
            "/classifiers",
            json!({"name": "Mail", "config": classify_config()}),
        )
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let v1 = app
        .create_ok(
            &format!("/classifiers/{id}/versions"),
            json!({"releaseType": "major", "description": "first"}),
        )
        .await;
    assert_eq!(v1["version"], "1.0");
    assert_eq!(v1["object"], "classifier_version");
    assert_eq!(v1["description"], "first");
    assert_eq!(v1["classifierId"], id.as_str());
    // The draft changes: one classification only.
    let only_other = json!({"classifications": [
        {"id": "other", "type": "other", "description": "Anything."}]});
    let updated = app
        .create_ok(
            &format!("/classifiers/{id}"),
            json!({"name": "Mail room", "config": only_other}),
        )
        .await;
    assert_eq!(updated["name"], "Mail room");
    assert_eq!(updated["draftVersion"]["config"], only_other);
    let v11 = app
        .create_ok(
            &format!("/classifiers/{id}/versions"),
            json!({"releaseType": "minor"}),
        )
        .await;
    assert_eq!(v11["version"], "1.1");
    let versions = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/classifiers/{id}/versions"))
        .await;
    let numbers: Vec<&str> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["draft", "1.1", "1.0"]);
    assert!(versions["data"][0].get("config").is_none(), "summaries");
    let got = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/classifiers/{id}/versions/{}", v1["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(got["config"], classify_config());

    // Pinned to 1.0, a run uses 1.0's classifications; latest is 1.1's.
    let pinned = app
        .create_ok(
            "/classify",
            json!({"classifier": {"id": id, "version": "1.0"},
                   "file": {"url": "https://example.com/invoice.pdf"}}),
        )
        .await;
    assert_eq!(pinned["classifierVersion"]["version"], "1.0");
    assert_eq!(pinned["output"]["type"], "invoice");
    let latest = app
        .create_ok(
            "/classify",
            json!({"classifier": {"id": id}, "file": {"url": "https://example.com/invoice.pdf"}}),
        )
        .await;
    assert_eq!(latest["classifierVersion"]["version"], "1.1");
    assert_eq!(latest["output"]["type"], "other");
    // An override replaces the version config's keys.
    let overridden = app
        .create_ok(
            "/classify",
            json!({"classifier": {"id": id, "version": "1.1",
                                  "overrideConfig": {"classifications": classify_config()["classifications"]}},
                   "file": {"url": "https://example.com/invoice.pdf"}}),
        )
        .await;
    assert_eq!(overridden["output"]["type"], "invoice");

    // A splitter cloned from another has its draft config.
    let splitter = app
        .create_ok(
            "/splitters",
            json!({"name": "Loans", "config": split_config()}),
        )
        .await;
    let clone = app
        .create_ok(
            "/splitters",
            json!({"name": "Loans, again", "cloneSplitterId": splitter["id"]}),
        )
        .await;
    assert_eq!(clone["draftVersion"]["config"], split_config());
    // The legacy view of the same processor shows no `identifierKey`.
    let legacy = app
        .api_ok(
            Method::GET,
            KEY_A,
            &format!(
                "/processors/{}/versions/{}",
                splitter["id"].as_str().unwrap(),
                splitter["draftVersion"]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let kinds = &legacy["version"]["config"]["splitClassifications"];
    assert_eq!(kinds[0]["id"], "loan", "{legacy}");
    assert!(kinds[0].get("identifierKey").is_none(), "{legacy}");
    assert_eq!(clone["draftVersion"]["splitterId"], clone["id"]);
    // With neither, the built-in config of the kind its name names.
    let named = app
        .create_ok("/splitters", json!({"name": "Claims Splitter"}))
        .await;
    let kinds = named["draftVersion"]["config"]["splitClassifications"]
        .as_array()
        .unwrap();
    assert!(!kinds.is_empty(), "{named}");
    // An extractor is not a splitter.
    let res = app.api(Method::GET, KEY_A, "/splitters/ex_inv", None).await;
    assert_error(res, 404, "NOT_FOUND", "Splitter `ex_inv` not found", "").await;
}

#[tokio::test]
async fn rules_and_the_control_plane_pin_outputs_exactly() {
    let app = app().await;
    let classified = json!({"id": "bank", "type": "bank_statement", "confidence": 0.5,
                            "insights": []});
    app.mock_ok(
        Method::POST,
        "/rules",
        Some(&json!({"processorId": "ex_cls", "output": classified})),
    )
    .await;
    let run = app
        .create_ok(
            "/classify",
            json!({"classifier": {"id": "ex_cls"}, "file": {"text": "an invoice"}}),
        )
        .await;
    assert_eq!(run["output"], classified);

    let splits = json!({"splits": [{"type": "paystub", "observation": "all of it",
        "identifier": "", "startPage": 1, "endPage": 2, "classificationId": "stub",
        "id": "splt_1", "fileId": "file_1"}]});
    let held = app
        .create_ok(
            "/split_runs",
            json!({"splitter": {"id": "ex_split"},
                   "file": {"url": "https://example.com/__hold__.pdf"}}),
        )
        .await;
    let id = held["id"].as_str().unwrap();
    app.mock_ok(
        Method::POST,
        &format!("/processor_runs/{id}/finish"),
        Some(&json!({"output": splits})),
    )
    .await;
    let done = app.ended("split_runs", id).await;
    assert_eq!(done["output"], splits);
    // A failure marker fails it with the current API's reason.
    let failed = app
        .create_ok(
            "/split",
            json!({"splitter": {"id": "ex_split"},
                   "file": {"url": "https://example.com/__fail__.pdf"}}),
        )
        .await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["failureReason"], "FAILED_TO_PROCESS_FILE");
    assert_eq!(failed["output"], Value::Null);
}
