//! Batches of the extract, classify and split families: `POST
//! /{family}_runs/batch`, `GET /batch_runs/{id}`, and the lists' `batchId`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn app() -> TestApp {
    let settings = extend_mock::Settings {
        processing_time: Duration::from_millis(30),
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&fixture(), SECRET, settings).await
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

impl TestApp {
    async fn batch_status(&self, id: &str) -> String {
        self.api_ok_bare(Method::GET, KEY_A, &format!("/batch_runs/{id}"))
            .await["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Polls until the batch is PROCESSED (at most 5 s).
    async fn batch_processed(&self, id: &str) {
        for _ in 0..500 {
            if self.batch_status(id).await == "PROCESSED" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("batch {id} never ended");
    }
}

#[tokio::test]
async fn a_batch_makes_one_run_per_input_and_ends_when_they_all_have() {
    let app = app().await;
    let body = json!({
        "extractor": {"id": "ex_inv"},
        "inputs": [
            {"file": {"url": "https://example.com/a.pdf"}, "metadata": {"n": 0}},
            {"file": {"text": "Invoice #77"}, "metadata": {"n": 1}},
            {"file": {"url": "https://example.com/__hold__.pdf"}, "metadata": {"n": 2}},
        ],
        "priority": 5,
    });
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs/batch", &body)
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("bpr_"), "{made}");
    assert_eq!(made["object"], "batch_run");
    assert_eq!(made["status"], "PENDING");
    assert_eq!(made["runCount"], 3);
    assert!(made["createdAt"].is_string());
    let mut keys: Vec<&String> = made.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["createdAt", "id", "object", "runCount", "status"]);

    // Its runs, listed by `batchId`: the family's runs, one per input.
    let page = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/extract_runs?batchId={id}"))
        .await;
    let runs = ids(&page);
    assert_eq!(runs.len(), 3, "{page}");
    let mut numbers: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metadata"]["n"].as_i64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, [0, 1, 2]);
    for run in &runs {
        assert!(run.starts_with("exr_"), "{run}");
        let legacy = app.get_run_ok(KEY_A, run).await;
        assert_eq!(legacy["processorId"], "ex_inv");
    }
    // In the legacy list, a batch's runs are its `sourceId`'s.
    let legacy = app
        .list_ok(
            KEY_A,
            &[("sourceId", &id), ("source", "BATCH_PROCESSOR_RUN")],
        )
        .await;
    assert_eq!(legacy["processorRuns"].as_array().unwrap().len(), 3);
    // `batchId` beside another `sourceId` or `source` matches nothing.
    for clash in ["sourceId=wf_1", "source=API"] {
        let page = app
            .api_ok_bare(
                Method::GET,
                KEY_A,
                &format!("/extract_runs?batchId={id}&{clash}"),
            )
            .await;
        assert_eq!(ids(&page), Vec::<String>::new(), "{clash}");
    }

    // PROCESSING while the held run is; PROCESSED once it is finished.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.batch_status(&id).await, "PROCESSING");
    let held = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metadata"]["n"] == 2)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.mock_ok(
        Method::POST,
        &format!("/processor_runs/{held}/finish"),
        None,
    )
    .await;
    assert_eq!(app.batch_status(&id).await, "PROCESSED");
    let got = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/batch_runs/{id}"))
        .await;
    assert_eq!(got["runCount"], 3);
    assert_eq!(got["createdAt"], made["createdAt"]);

    // Another workspace's batch, or none: the same 404.
    for (key, path) in [
        (KEY_B, format!("/batch_runs/{id}")),
        (KEY_A, "/batch_runs/bpr_nope".to_owned()),
    ] {
        let res = app.api(Method::GET, key, &path, None).await;
        assert_error(res, 404, "NOT_FOUND", "Batch run `", &path).await;
    }
}

#[tokio::test]
async fn classify_and_split_batches_and_a_cancelled_last_run() {
    let app = app().await;
    let classify = json!({"classifier": {"id": "ex_cls"},
        "inputs": [{"file": {"text": "a W-2"}}, {"file": {"url": "https://example.com/__hold__.pdf"}}]});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/classify_runs/batch", &classify)
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    // The other run ends on its own; the held one is cancelled: the batch
    // has ended (a cancelled run has ended too).
    tokio::time::sleep(Duration::from_millis(150)).await;
    let page = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/classify_runs?batchId={id}&status=PROCESSING"),
        )
        .await;
    let held = ids(&page);
    assert_eq!(held.len(), 1, "{page}");
    assert!(held[0].starts_with("clr_"));
    assert_eq!(app.batch_status(&id).await, "PROCESSING");
    app.api_ok_bare(
        Method::POST,
        KEY_A,
        &format!("/classify_runs/{}/cancel", held[0]),
    )
    .await;
    assert_eq!(app.batch_status(&id).await, "PROCESSED");

    let split = json!({"splitter": {"id": "ex_split"},
        "inputs": [{"file": {"url": "https://example.com/a.pdf"}}, {"file": {"url": "https://example.com/b.pdf"}}]});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/split_runs/batch", &split)
        .await;
    let id = made["id"].as_str().unwrap();
    app.batch_processed(id).await;
    let page = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/split_runs?batchId={id}"))
        .await;
    assert_eq!(ids(&page).len(), 2);
    assert!(
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "PROCESSED" && r["object"] == "split_run")
    );
}

#[tokio::test]
async fn refusals_name_the_input_and_store_nothing() {
    let app = app().await;
    let before = app.state_document().await;
    let inputs = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"file": {"url": format!("https://example.com/{i}.pdf")}}))
            .collect()
    };
    for (path, body, status, says) in [
        (
            "/extract_runs/batch",
            json!({"extractor": {"id": "ex_inv"},
                   "inputs": [{"file": {"url": "https://example.com/a.pdf"}},
                              {"file": {"url": "ftp://example.com/b.pdf"}}]}),
            400,
            "inputs[1].file.url: `ftp://example.com/b.pdf` is not an http(s) URL",
        ),
        (
            "/extract_runs/batch",
            json!({"extractor": {"id": "ex_inv"},
                   "inputs": [{"file": {"url": "https://example.com/a.pdf"}, "metadata": 7}]}),
            400,
            "inputs[0].metadata: must be an object",
        ),
        (
            "/split_runs/batch",
            json!({"splitter": {"id": "ex_split"}, "inputs": [{"file": {"text": "pages"}}]}),
            400,
            "inputs[0].file.text: is not taken here",
        ),
        (
            "/extract_runs/batch",
            json!({"extractor": {"id": "ex_inv"}, "inputs": []}),
            400,
            "inputs: is required: 1 to 1000 inputs",
        ),
        (
            "/extract_runs/batch",
            json!({"extractor": {"id": "ex_inv"}, "inputs": inputs(1001)}),
            400,
            "inputs: is required: 1 to 1000 inputs",
        ),
        (
            "/extract_runs/batch",
            json!({"inputs": inputs(1)}),
            400,
            "extractor: is required",
        ),
        (
            "/classify_runs/batch",
            json!({"classifier": {"id": "ex_cls"}, "config": {"classifications": []},
                   "inputs": inputs(1)}),
            400,
            "config: is not taken by a batch",
        ),
        (
            "/extract_runs/batch",
            json!({"extractor": {"id": "ex_nope"}, "inputs": inputs(2)}),
            404,
            "Extractor `ex_nope` not found",
        ),
        (
            "/extract_runs/batch",
            json!({"extractor": {"id": "ex_inv"}, "inputs": inputs(2), "priority": 0}),
            400,
            "priority",
        ),
    ] {
        let message = app
            .api_err(Method::POST, KEY_A, path, Some(&body), status)
            .await;
        assert!(message.contains(says), "{path}: {message}");
    }
    assert_eq!(app.state_document().await, before, "no run stored");
    let page = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            "/extract_runs?source=BATCH_PROCESSOR_RUN",
        )
        .await;
    assert_eq!(ids(&page), Vec::<String>::new());
}

#[tokio::test]
async fn a_batch_of_a_thousand_is_made_in_one_change() {
    let app = app().await;
    let inputs: Vec<Value> = (0..1000)
        .map(|i| json!({"file": {"url": format!("https://example.com/doc-{i}.pdf")}}))
        .collect();
    let body = json!({"extractor": {"id": "ex_inv"}, "inputs": inputs});
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/extract_runs/batch", &body)
        .await;
    assert_eq!(made["runCount"], 1000);
    let id = made["id"].as_str().unwrap();
    app.batch_processed(id).await;
    let (walked, _) = app
        .walk_all_pages(KEY_A, &[("sourceId", id), ("maxPageSize", "100")])
        .await;
    assert_eq!(walked.len(), 1000);
}
