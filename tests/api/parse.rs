//! Parse runs: `/parse_runs`, the sync `POST /parse`, `responseType=url`
//! and its signed link, parse batches and `parse_run.*` events' payloads.

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

/// Every key the SDKs' `ParseRun` declares (TypeScript requires them all
/// but `batchId`, which is written too).
const RUN_KEYS: &[&str] = &[
    "batchId",
    "config",
    "failureMessage",
    "failureReason",
    "file",
    "id",
    "metadata",
    "metrics",
    "object",
    "output",
    "outputUrl",
    "status",
    "usage",
];

const SUMMARY_KEYS: &[&str] = &[
    "batchId",
    "createdAt",
    "failureMessage",
    "failureReason",
    "file",
    "id",
    "metadata",
    "metrics",
    "object",
    "status",
    "updatedAt",
    "usage",
];

fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

impl TestApp {
    async fn parse_ended(&self, id: &str) -> Value {
        self.until_ended(&format!("/parse_runs/{id}")).await
    }
}

#[tokio::test]
async fn a_parse_run_is_made_polled_and_read_as_chunks_of_blocks() {
    let app = app().await;
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/parse_runs",
            &json!({"file": {"url": "https://example.com/docs/Invoice_2024-03.pdf"},
                    "metadata": {"team": "ap"}, "dataRetention": {"mode": "zero"}}),
        )
        .await;
    assert_eq!(keys(&made), RUN_KEYS, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pr_"), "{id}");
    assert_eq!(made["object"], "parse_run");
    assert_eq!(made["status"], "PROCESSING");
    assert_eq!(made["batchId"], Value::Null);
    assert_eq!(made["output"], Value::Null);
    assert_eq!(made["metrics"], Value::Null);
    assert_eq!(made["metadata"], json!({"team": "ap"}));
    assert_eq!(
        made["config"],
        json!({"target": "markdown", "chunkingStrategy": {"type": "page"},
               "engine": "parse_performance"}),
        "the config used, defaults filled in"
    );
    assert_eq!(made["file"]["name"], "Invoice_2024-03.pdf");
    assert_eq!(made["file"]["type"], "PDF");
    let pages = made["file"]["metadata"]["pageCount"].as_u64().unwrap();
    // Not a processor run: no legacy view.
    let legacy = app
        .api(Method::GET, KEY_A, &format!("/processor_runs/{id}"), None)
        .await;
    assert_eq!(legacy.status(), 404);

    let done = app.parse_ended(&id).await;
    assert_eq!(done["status"], "PROCESSED", "{done}");
    assert_eq!(done["metrics"]["pageCount"], pages);
    assert!(done["metrics"]["processingTimeMs"].as_f64().unwrap() >= 0.0);
    assert_eq!(done["usage"]["credits"].as_f64(), Some(pages as f64));
    let chunks = done["output"]["chunks"].as_array().unwrap();
    assert_eq!(chunks.len() as u64, pages, "one chunk per page");
    for (i, chunk) in chunks.iter().enumerate() {
        let page = i as u64 + 1;
        assert_eq!(chunk["object"], "chunk");
        assert_eq!(chunk["type"], "page");
        assert_eq!(
            chunk["metadata"]["pageRange"],
            json!({"start": page, "end": page})
        );
        let blocks = chunk["blocks"].as_array().unwrap();
        assert!(!blocks.is_empty());
        let contents: Vec<&str> = blocks
            .iter()
            .map(|b| b["content"].as_str().unwrap())
            .collect();
        assert_eq!(chunk["content"], contents.join("\n\n"));
        for block in blocks {
            assert_eq!(block["object"], "block");
            assert!(block["id"].as_str().unwrap().starts_with("blk_"));
            assert_eq!(block["metadata"]["page"]["number"], page);
            assert_eq!(block["polygon"].as_array().unwrap().len(), 4);
            assert!(
                block["details"]["type"]
                    .as_str()
                    .unwrap()
                    .ends_with("_details")
            );
        }
    }
    assert_eq!(chunks[0]["blocks"][0]["type"], "heading");
    assert_eq!(chunks[0]["blocks"][0]["content"], "# Invoice 2024 03");

    // `responseType=url`: no output, a link this server serves without a key.
    let by_url = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/parse_runs/{id}?responseType=url"),
        )
        .await;
    assert_eq!(by_url["output"], Value::Null);
    let link = by_url["outputUrl"].as_str().unwrap();
    assert!(link.contains(&format!("/_parse_output/{id}?")), "{link}");
    let served: Value = app
        .client
        .get(link)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, done["output"]);
    let forged = link.replace("signature=", "signature=0");
    let res = app.client.get(&forged).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let message = app
        .api_err(
            Method::GET,
            KEY_A,
            &format!("/parse_runs/{id}?responseType=xml"),
            None,
            400,
        )
        .await;
    assert!(message.contains("responseType"), "{message}");

    // Listed newest first, as summaries; deleted, gone.
    let page = app.api_ok_bare(Method::GET, KEY_A, "/parse_runs").await;
    assert_eq!(page["object"], "list");
    assert_eq!(page["data"][0]["id"], id.as_str());
    assert_eq!(keys(&page["data"][0]), SUMMARY_KEYS);
    assert_eq!(page["data"][0]["metrics"], done["metrics"]);
    let other = app.api_ok_bare(Method::GET, KEY_B, "/parse_runs").await;
    assert_eq!(other["data"], json!([]), "another workspace's");
    let deleted = app
        .api_ok_bare(Method::DELETE, KEY_A, &format!("/parse_runs/{id}"))
        .await;
    assert_eq!(deleted, json!({"id": id}));
    let res = app
        .api(Method::GET, KEY_A, &format!("/parse_runs/{id}"), None)
        .await;
    assert_error(res, 404, "NOT_FOUND", "Parse run `", "deleted").await;
    assert_eq!(app.client.get(link).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn an_uploaded_text_is_parsed_into_its_own_blocks_and_chunked_as_asked() {
    let app = app().await;
    let text = "Invoice\n\nInvoice number: 12345\nTotal: $1,234.56\n\n\
                | Item | Amount |\n|---|---|\n| Paper | $10 |\n\nThank you.\u{c}Terms\n\nPay in 30 days.";
    let res = app
        .upload(KEY_A, "invoice.txt", text.as_bytes().to_vec())
        .await;
    let file: Value = res.json().await.unwrap();
    let id = file["id"].as_str().unwrap();
    let sync = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/parse",
            &json!({"file": {"id": id}, "config": {"chunkingStrategy": {"type": "document"},
                    "aKeyOfItsOwn": [1]}}),
        )
        .await;
    assert_eq!(sync["status"], "PROCESSED", "{sync}");
    // A config is kept as given, keys the SDK does not declare too.
    assert_eq!(sync["config"]["aKeyOfItsOwn"], json!([1]));
    assert_eq!(sync["file"]["id"], id);
    assert_eq!(sync["metrics"]["pageCount"], 2, "a form feed starts a page");
    assert_eq!(sync["usage"]["credits"].as_f64(), Some(2.0));
    let chunks = sync["output"]["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 1, "one chunk for the document");
    assert_eq!(chunks[0]["type"], "document");
    assert_eq!(
        chunks[0]["metadata"]["pageRange"],
        json!({"start": 1, "end": 2})
    );
    let kinds: Vec<&str> = chunks[0]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "heading",
            "key_value",
            "table",
            "text",
            "section_heading",
            "text"
        ]
    );
    assert_eq!(
        chunks[0]["blocks"][2]["details"],
        json!({"type": "table_details", "rowCount": 2, "columnCount": 2})
    );
    assert_eq!(
        chunks[0]["blocks"][1]["content"],
        "Invoice number: 12345\nTotal: $1,234.56"
    );
    // By section: a chunk per heading.
    let sections = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/parse?responseType=url",
            &json!({"file": {"id": id}, "config": {"chunkingStrategy": {"type": "section"}}}),
        )
        .await;
    assert_eq!(sections["output"], Value::Null);
    let link = sections["outputUrl"].as_str().unwrap();
    let served: Value = app
        .client
        .get(link)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chunks = served["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[1]["blocks"][0]["content"], "## Terms");
}

#[tokio::test]
async fn markers_rules_cancel_and_refusals() {
    let app = app().await;
    let before = app.state_document().await;
    for (body, says) in [
        (json!({}), "file: is required"),
        (
            json!({"file": {"text": "words"}}),
            "file.text: is not taken here",
        ),
        (
            json!({"file": {"url": "https://example.com/a.pdf", "id": "file_1"}}),
            "give exactly one of `url` or `id`",
        ),
        (
            json!({"file": {"url": "https://example.com/a.pdf"}, "config": {"target": "html"}}),
            "config.target: `html` is not one of markdown, spatial",
        ),
        (
            json!({"file": {"url": "https://example.com/a.pdf"},
                   "config": {"target": "spatial", "chunkingStrategy": {"type": "section"}}}),
            "config.chunkingStrategy.type: `section` is not supported",
        ),
        (
            json!({"file": {"url": "https://example.com/a.pdf"}, "dataRetention": {"mode": "never"}}),
            "dataRetention.mode",
        ),
        (
            json!({"file": {"url": "https://example.com/a.pdf"}, "metadata": []}),
            "metadata: must be an object",
        ),
    ] {
        let message = app
            .api_err(Method::POST, KEY_A, "/parse_runs", Some(&body), 400)
            .await;
        assert!(message.contains(says), "{body}: {message}");
    }
    let res = app
        .api(
            Method::POST,
            KEY_A,
            "/parse_runs",
            Some(&json!({"file": {"id": "file_nope"}})),
        )
        .await;
    assert_eq!(res.status(), 404);
    let page = app.api_ok_bare(Method::GET, KEY_A, "/parse_runs").await;
    assert_eq!(page["data"], json!([]), "nothing stored");
    assert_eq!(app.state_document().await, before);

    // A failure marker, with the API's reason; a chosen reason stands.
    let failed = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/parse",
            &json!({"file": {"url": "https://example.com/__fail__.pdf"}}),
        )
        .await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["failureReason"], "FILE_TYPE_NOT_SUPPORTED");
    assert_eq!(
        failed["failureMessage"],
        "File type not supported for parsing."
    );
    assert_eq!(failed["output"], Value::Null);
    let chosen = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/parse",
            &json!({"file": {"url": "https://example.com/scan__fail_OCR_ERROR__.pdf"}}),
        )
        .await;
    assert_eq!(chosen["failureReason"], "OCR_ERROR");

    // A rule that names a file pins the output.
    let pinned = json!({"chunks": [{"object": "chunk", "type": "page", "content": "Hello",
        "metadata": {"pageRange": {"start": 1, "end": 1}}, "blocks": []}]});
    app.mock_ok(
        Method::POST,
        "/rules",
        Some(&json!({"fileNameContains": "hello", "output": pinned})),
    )
    .await;
    let ruled = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/parse",
            &json!({"file": {"url": "https://example.com/hello.pdf"}}),
        )
        .await;
    assert_eq!(ruled["output"], pinned);

    // A held run is cancelled; then it cannot be again.
    let held = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/parse_runs",
            &json!({"file": {"url": "https://example.com/__hold__.pdf"}}),
        )
        .await;
    let id = held["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    let cancelled = app
        .api_ok_bare(Method::POST, KEY_A, &format!("/parse_runs/{id}/cancel"))
        .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            &format!("/parse_runs/{id}/cancel"),
            None,
            400,
        )
        .await;
    assert!(message.contains("is CANCELLED"), "{message}");
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/parse_runs?status=FAILED")
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let page = app
        .api_ok_bare(Method::GET, KEY_A, "/parse_runs?fileNameContains=HELLO")
        .await;
    assert_eq!(page["data"][0]["id"], ruled["id"]);
}

#[tokio::test]
async fn a_parse_batch_makes_one_run_per_input() {
    let app = app().await;
    let body = json!({
        "inputs": [
            {"file": {"url": "https://example.com/a.pdf"}, "metadata": {"n": 0}},
            {"file": {"text": "Memo\n\nAll hands at noon."}, "metadata": {"n": 1}},
        ],
        "config": {"chunkingStrategy": {"type": "document"}},
    });
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/parse_runs/batch", &body)
        .await;
    assert_eq!(made["object"], "batch_run");
    assert_eq!(made["status"], "PENDING");
    assert_eq!(made["runCount"], 2);
    let batch = made["id"].as_str().unwrap().to_owned();
    for _ in 0..300 {
        let got = app
            .api_ok_bare(Method::GET, KEY_A, &format!("/batch_runs/{batch}"))
            .await;
        if got["status"] == "PROCESSED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let page = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/parse_runs?batchId={batch}&maxPageSize=1"),
        )
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["batchId"], batch.as_str());
    let token = page["nextPageToken"].as_str().unwrap();
    let next = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/parse_runs?batchId={batch}&maxPageSize=1&nextPageToken={}",
                urlencode(token)
            ),
        )
        .await;
    assert!(next.get("nextPageToken").is_none());
    let text_run = [&page["data"][0], &next["data"][0]]
        .into_iter()
        .find(|r| r["metadata"]["n"] == 1)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/parse_runs/{text_run}"))
        .await;
    assert_eq!(run["status"], "PROCESSED");
    assert_eq!(run["file"]["name"], "raw_text.txt");
    assert_eq!(run["output"]["chunks"][0]["type"], "document");
    assert_eq!(
        run["output"]["chunks"][0]["content"],
        "# Memo\n\nAll hands at noon."
    );
    // An input's refusal names it.
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/parse_runs/batch",
            Some(
                &json!({"inputs": [{"file": {"url": "https://example.com/a.pdf"}},
                                    {"file": {"url": "nope"}}]}),
            ),
            400,
        )
        .await;
    assert!(message.contains("inputs[1].file.url"), "{message}");
}

/// A run made through the API reads its file through a parse run first:
/// its `parseRunId` names one that exists, of the same file.
#[tokio::test]
async fn runs_made_here_carry_the_parse_run_that_read_their_file() {
    let app = app().await;
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/classify",
            &json!({"classifier": {"id": "ex_cls"},
                    "file": {"url": "https://example.com/in/Invoice-9.pdf"}}),
        )
        .await;
    let parse_id = made["parseRunId"].as_str().unwrap();
    assert!(parse_id.starts_with("pr_"), "{made}");
    let parsed = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/parse_runs/{parse_id}"))
        .await;
    assert_eq!(parsed["status"], "PROCESSED");
    assert_eq!(parsed["file"], made["file"], "the same file");
    assert_eq!(
        parsed["output"]["chunks"][0]["blocks"][0]["content"],
        "# Invoice 9"
    );
    let page = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/parse_runs?source=DOCUMENT_PROCESSOR_RUN&sourceId={}",
                made["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(page["data"][0]["id"], parse_id);
    // The family's list shows it too; a fixture's run has none.
    let listed = app.api_ok_bare(Method::GET, KEY_A, "/classify_runs").await;
    assert_eq!(listed["data"][0]["parseRunId"], parse_id);
    assert_eq!(listed["data"][1]["parseRunId"], Value::Null);
}

/// A PDF whose streams show text (one plain, one Flate-compressed).
fn pdf_with_text() -> Vec<u8> {
    use std::io::Write;
    let page1: &[u8] = b"BT /F1 18 Tf 72 720 Td (Invoice) Tj ET\n\
        BT /F1 11 Tf 72 690 Td (Invoice number: 12345) Tj 0 -14 Td (Total: $1,234.56) Tj ET";
    let mut zipped = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zipped
        .write_all(b"BT 72 720 Td (Thank you for your business.) Tj ET")
        .unwrap();
    let page2 = zipped.finish().unwrap();
    let mut pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\nendobj\n\
        2 0 obj << /Type /Page >>\nendobj\n3 0 obj << /Type /Page >>\nendobj\n"
        .to_vec();
    for (n, (filter, data)) in [("", page1), ("/Filter /FlateDecode", &page2[..])]
        .into_iter()
        .enumerate()
    {
        pdf.extend_from_slice(
            format!(
                "{} 0 obj << {filter} /Length {} >>\nstream\n",
                n + 4,
                data.len()
            )
            .as_bytes(),
        );
        pdf.extend_from_slice(data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
    }
    pdf
}

/// An uploaded PDF's own text is read (no rendering engine: the strings
/// its streams show): its rawText, a parse run's blocks, a classification
/// and an extraction's fields all come from it.
#[tokio::test]
async fn an_uploaded_pdfs_own_text_is_read() {
    let app = app().await;
    let res = app.upload(KEY_A, "scan-0042.pdf", pdf_with_text()).await;
    let file: Value = res.json().await.unwrap();
    let id = file["id"].as_str().unwrap();
    assert_eq!(file["metadata"]["pageCount"], 2);
    let got = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/files/{id}?rawText=true"))
        .await;
    assert_eq!(
        got["contents"]["rawText"],
        "Invoice\nInvoice number: 12345\nTotal: $1,234.56\nThank you for your business."
    );
    let parsed = app
        .api_ok_bare_with(Method::POST, KEY_A, "/parse", &json!({"file": {"id": id}}))
        .await;
    let blocks = parsed["output"]["chunks"][0]["blocks"].as_array().unwrap();
    let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["text"],
        "one paragraph: no blank lines in the PDF's text"
    );
    assert!(
        blocks[0]["content"]
            .as_str()
            .unwrap()
            .starts_with("Invoice\nInvoice number: 12345"),
        "{blocks:?}"
    );
    let classified = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/classify",
            &json!({"file": {"id": id}, "config": {"classifications": [
                {"id": "receipt", "type": "receipt", "description": ""},
                {"id": "invoice", "type": "invoice", "description": ""}]}}),
        )
        .await;
    assert_eq!(classified["output"]["type"], "invoice");
    assert_eq!(
        classified["output"]["insights"][0]["content"],
        "The document's text names the `invoice` classification."
    );
    let extracted = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/extract",
            &json!({"file": {"id": id}, "config": {"schema": {"type": "object",
                "properties": {"invoice_number": {"type": ["string", "null"]}},
                "required": ["invoice_number"]}}}),
        )
        .await;
    assert_eq!(extracted["output"]["value"]["invoice_number"], "12345");
}
