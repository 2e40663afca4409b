//! Workflows, their versions and runs: `/workflows`, `/workflows/{id}/versions`,
//! `/workflow_runs`, and what a run does with its steps.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn app() -> TestApp {
    let settings = extend_mock::Settings {
        processing_time: Duration::from_millis(20),
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&fixture(), SECRET, settings).await
}

fn classifications() -> Value {
    json!([
        {"id": "cls_invoice", "type": "invoice", "description": "An invoice"},
        {"id": "cls_receipt", "type": "receipt", "description": "A receipt"},
    ])
}

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "invoice_number": {"type": ["string", "null"]},
            "total": {"type": ["number", "null"]},
        },
        "required": ["invoice_number", "total"],
    })
}

/// Parse, classify, extract per class, then a review.
fn routed_steps(review: bool) -> Value {
    let after = if review {
        json!([{"step": "Review"}])
    } else {
        json!([])
    };
    let mut steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
        {"type": "PARSE", "name": "Parse", "config": {"parseConfig": {"target": "markdown"}},
         "next": [{"step": "Classify"}]},
        {"type": "CLASSIFY", "name": "Classify",
         "config": {"classifierConfig": {"classifications": classifications()}},
         "next": [
            {"step": "Extract invoice", "classificationId": "cls_invoice"},
            {"step": "Extract receipt", "classificationId": "cls_receipt"},
         ]},
        {"type": "EXTRACT", "name": "Extract invoice",
         "config": {"extractorConfig": {"schema": schema()}}, "next": after},
        {"type": "EXTRACT", "name": "Extract receipt",
         "config": {"extractor": {"id": "ex_inv", "version": "latest"}}, "next": after},
    ]);
    if review {
        steps
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "HUMAN_REVIEW", "name": "Review"}));
    }
    steps
}

impl TestApp {
    async fn workflow(&self, steps: Value) -> String {
        let made = self
            .api_ok_bare_with(
                Method::POST,
                KEY_A,
                "/workflows",
                &json!({"name": "Invoices", "steps": steps}),
            )
            .await;
        made["id"].as_str().unwrap().to_owned()
    }

    async fn start(&self, body: Value) -> Value {
        self.api_ok_bare_with(Method::POST, KEY_A, "/workflow_runs", &body)
            .await
    }

    /// Polls the workflow run until it is neither PENDING nor PROCESSING.
    async fn settled_run(&self, id: &str) -> Value {
        self.until_ended(&format!("/workflow_runs/{id}")).await
    }
}

/// The ids of a current-API list's `data`.
fn data_ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {page}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn steps_of(run: &Value) -> Vec<(String, String, String)> {
    run["stepRuns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stepType"].as_str().unwrap().to_owned(),
                s["step"]["name"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}

#[tokio::test]
async fn workflows_are_made_changed_deployed_and_read_by_version() {
    let app = app().await;
    // Without steps: a trigger, then a parse.
    let made = app
        .api_ok_bare_with(Method::POST, KEY_A, "/workflows", &json!({"name": "Plain"}))
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("workflow_"), "{made}");
    assert_eq!(made["object"], "workflow");
    assert_eq!(made["name"], "Plain");
    assert_eq!(made["createdBy"], Value::Null);
    let draft = &made["draftVersion"];
    assert_eq!(draft["object"], "workflow_version");
    assert_eq!(draft["version"], "draft");
    assert!(
        draft["id"]
            .as_str()
            .unwrap()
            .starts_with("workflow_version_")
    );
    assert_eq!(
        draft["steps"],
        json!([
            {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
            {"type": "PARSE", "name": "Parse"},
        ])
    );
    assert_eq!(
        app.api_ok_bare(Method::GET, KEY_A, &format!("/workflows/{id}"))
            .await,
        made
    );
    // Another workspace does not see it.
    app.api_err(Method::GET, KEY_B, &format!("/workflows/{id}"), None, 404)
        .await;

    // The draft's steps are replaced; an unconfigured extraction cannot be
    // deployed, and the refusal names the step.
    let steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
        {"type": "PARSE", "name": "Parse", "next": [{"step": "Extract"}]},
        {"type": "EXTRACT", "name": "Extract"},
    ]);
    let changed = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/workflows/{id}"),
            &json!({"name": "Renamed", "steps": steps}),
        )
        .await;
    assert_eq!(changed["name"], "Renamed");
    assert_eq!(changed["draftVersion"]["steps"], steps);
    let refusal = app
        .api_err(
            Method::POST,
            KEY_A,
            &format!("/workflows/{id}/versions"),
            Some(&json!({})),
            400,
        )
        .await;
    assert_eq!(
        refusal,
        "request body: steps[2]: step `Extract` (EXTRACT) is not configured: give its `config` \
         before deploying"
    );

    // Deployed with steps given: version "1", the draft untouched; then the
    // draft itself as "2".
    let one = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/workflows/{id}/versions"),
            &json!({"name": "first", "steps": routed_steps(false)}),
        )
        .await;
    assert_eq!(one["version"], "1");
    assert_eq!(one["name"], "first");
    assert_eq!(one["steps"], routed_steps(false));
    let configured = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
        {"type": "PARSE", "name": "Parse"},
    ]);
    app.api_ok_bare_with(
        Method::POST,
        KEY_A,
        &format!("/workflows/{id}"),
        &json!({"steps": configured}),
    )
    .await;
    let two = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/workflows/{id}/versions"),
            &json!({}),
        )
        .await;
    assert_eq!(two["version"], "2");
    assert_eq!(two["steps"], configured);

    // Read by number, id, `draft` and `latest`.
    for (asked, version) in [("1", "1"), ("latest", "2"), ("draft", "draft")] {
        let got = app
            .api_ok_bare(
                Method::GET,
                KEY_A,
                &format!("/workflows/{id}/versions/{asked}"),
            )
            .await;
        assert_eq!(got["version"], version, "{asked}");
    }
    let by_id = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/workflows/{id}/versions/{}", one["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(by_id, one);
    app.api_err(
        Method::GET,
        KEY_A,
        &format!("/workflows/{id}/versions/3"),
        None,
        404,
    )
    .await;

    // Versions list the draft too, in pages, summaries without steps.
    let first = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/workflows/{id}/versions?maxPageSize=2&sortDir=asc"),
        )
        .await;
    let versions: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["draft", "1"]);
    assert!(first["data"][0].get("steps").is_none());
    let token = first["nextPageToken"].as_str().unwrap();
    let rest = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/workflows/{id}/versions?maxPageSize=2&sortDir=asc&nextPageToken={}",
                urlencode(token)
            ),
        )
        .await;
    assert_eq!(rest["data"][0]["version"], "2");
    assert!(rest.get("nextPageToken").is_none(), "{rest}");

    // The workflows list, by updatedAt: the one changed last first.
    let other = app.workflow(routed_steps(false)).await;
    let list = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            "/workflows?sortBy=createdAt&sortDir=desc",
        )
        .await;
    assert_eq!(data_ids(&list), [other.clone(), id.clone()]);
    assert!(list["data"][0].get("draftVersion").is_none());
    app.api_ok_bare_with(
        Method::POST,
        KEY_A,
        &format!("/workflows/{id}"),
        &json!({"name": "Touched"}),
    )
    .await;
    let list = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            "/workflows?sortBy=updatedAt&sortDir=desc",
        )
        .await;
    assert_eq!(data_ids(&list), [id, other]);
}

#[tokio::test]
async fn bad_steps_name_what_is_wrong() {
    let app = app().await;
    let cases = [
        (
            json!({"name": "x", "steps": [{"type": "PARSE", "name": "A", "next": [{"step": "B"}]}]}),
            "request body: steps[0].next[0].step: `B` is not the name of a step of this workflow",
        ),
        (
            json!({"name": "x", "steps": [{"type": "PARSE", "name": "A"}, {"type": "PARSE", "name": "A"}]}),
            "request body: steps[1].name: `A` names another step too; step names are unique",
        ),
        (
            json!({"name": "x", "steps": [{"type": "SHRED", "name": "A"}]}),
            "request body: steps[0].type: `SHRED` is not one of TRIGGER, PARSE, EXTRACT, \
             CLASSIFY, SPLIT, MERGE_EXTRACT, CONDITIONAL, CONDITIONAL_EXTRACT, \
             EXTERNAL_DATA_VALIDATION, WEBHOOK_RESPONSE, RULE_VALIDATION, HUMAN_REVIEW, COLLECT, \
             FILE_CONVERSION, VALIDATION, ROUTER",
        ),
        (
            json!({"name": "x", "steps": [{"type": "EXTRACT", "name": "A",
                "config": {"extractor": {"id": "ex_nope", "version": "latest"}}}]}),
            "request body: steps[0].config.extractor.id: no extractor `ex_nope` in this workspace",
        ),
        (
            json!({"name": "x", "steps": [{"type": "CLASSIFY", "name": "A",
                "config": {"classifier": {"id": "ex_inv", "version": "draft"}}}]}),
            "request body: steps[0].config.classifier.id: no classifier `ex_inv` in this workspace",
        ),
        (
            json!({"name": "x", "steps": [{"type": "EXTRACT", "name": "A", "config": {}}]}),
            "request body: steps[0].config: give exactly one of `extractor` or `extractorConfig`",
        ),
        (json!({"steps": []}), "request body: name: is required"),
    ];
    for (body, message) in cases {
        assert_eq!(
            app.api_err(Method::POST, KEY_A, "/workflows", Some(&body), 400)
                .await,
            message,
            "{body}"
        );
    }
    let list = app.api_ok_bare(Method::GET, KEY_A, "/workflows").await;
    assert_eq!(list["data"], json!([]), "nothing was made");
}

#[tokio::test]
async fn a_run_parses_classifies_and_extracts_along_the_chosen_branch() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let made = app
        .start(json!({
            "workflow": {"id": wf, "version": "draft"},
            // One line: a number field's value is the word after its label.
            "file": {"text": "Invoice #12345 Total: $1,234.56", "name": "march.txt"},
            "metadata": {"customer": "acme"},
            "secrets": {"token": "s3cr3t"},
        }))
        .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("workflow_run_"), "{made}");
    assert_eq!(made["status"], "PROCESSING");
    assert_eq!(made["workflow"]["id"], wf);
    assert_eq!(made["workflowVersion"]["version"], "draft");
    assert_eq!(made["metadata"], json!({"customer": "acme"}));
    assert_eq!(made["files"][0]["name"], "march.txt");
    assert_eq!(made["files"][0]["type"], "TXT");
    assert!(
        !made.to_string().contains("s3cr3t"),
        "secrets are never echoed"
    );
    assert_eq!(
        steps_of(&made),
        owned(&[("PARSE", "Parse", "PROCESSING")]),
        "the first step runs at once"
    );

    let run = app.settled_run(&id).await;
    assert_eq!(run["status"], "PROCESSED", "{run}");
    assert_eq!(
        steps_of(&run),
        owned(&[
            ("PARSE", "Parse", "PROCESSED"),
            ("CLASSIFY", "Classify", "PROCESSED"),
            ("EXTRACT", "Extract invoice", "PROCESSED"),
        ])
    );
    let steps = run["stepRuns"].as_array().unwrap();
    let parse = &steps[0]["result"]["parseRun"];
    let classify = &steps[1]["result"]["classifyRun"];
    let extract = &steps[2]["result"]["extractRun"];
    assert_eq!(parse["config"]["target"], "markdown");
    assert_eq!(classify["output"]["id"], "cls_invoice");
    assert_eq!(
        extract["output"]["value"],
        json!({"invoice_number": "12345", "total": 1234.56})
    );
    for step in steps {
        assert_eq!(step["object"], "workflow_step_run");
        assert_eq!(step["workflowRunId"], id.as_str());
        assert_eq!(step["files"], run["files"]);
        assert_eq!(step["step"]["type"], step["stepType"]);
        assert!(step["step"]["id"].as_str().unwrap().starts_with("step_"));
    }
    // Every step read the same file: the text, kept in the file store.
    let file_id = run["files"][0]["id"].as_str().unwrap();
    assert_eq!(classify["file"]["id"], file_id);
    assert_eq!(parse["file"]["id"], file_id);
    assert!(run["endTime"].is_string() && run["startTime"].is_string());
    assert_eq!(run["usage"]["credits"], 3.0);
    assert_eq!(run["usage"]["breakdown"].as_array().unwrap().len(), 3);

    // The runs are their families' own: listed by source, in both views.
    let source = format!("source=WORKFLOW_RUN&sourceId={id}");
    let extracts = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/extract_runs?{source}"))
        .await;
    assert_eq!(data_ids(&extracts), [extract["id"].as_str().unwrap()]);
    let parses = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/parse_runs?{source}"))
        .await;
    assert_eq!(data_ids(&parses), [parse["id"].as_str().unwrap()]);
    let legacy = app
        .api_ok(
            Method::GET,
            KEY_A,
            &format!("/processor_runs?{source}&sortBy=createdAt&sortDir=asc"),
            None,
        )
        .await;
    let legacy: Vec<&str> = legacy["processorRuns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        legacy,
        [
            classify["id"].as_str().unwrap(),
            extract["id"].as_str().unwrap()
        ],
        "the legacy view lists them by source too"
    );

    // A receipt takes the other branch, to the saved extractor.
    let receipt = app
        .start(json!({
            "workflow": {"id": wf, "version": "draft"},
            "file": {"text": "Receipt for your payment. Paid in full.", "name": "paid.txt"},
        }))
        .await;
    let receipt = app.settled_run(receipt["id"].as_str().unwrap()).await;
    assert_eq!(
        steps_of(&receipt),
        owned(&[
            ("PARSE", "Parse", "PROCESSED"),
            ("CLASSIFY", "Classify", "PROCESSED"),
            ("EXTRACT", "Extract receipt", "PROCESSED"),
        ])
    );
    assert_eq!(
        receipt["stepRuns"][2]["result"]["extractRun"]["extractor"]["id"],
        "ex_inv"
    );
}

#[tokio::test]
async fn given_outputs_pick_the_branch_and_a_failing_step_fails_the_run() {
    let app = app().await;
    // `ex_cls` is a classifier of the fixture: a step that names it takes the
    // output given at the run's creation.
    let steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Classify"}]},
        {"type": "CLASSIFY", "name": "Classify",
         "config": {"classifier": {"id": "ex_cls", "version": "draft"}},
         "next": [
            {"step": "Extract", "classificationId": "cls_receipt"},
            {"step": "Never", "classificationId": "cls_other"},
         ]},
        {"type": "EXTRACT", "name": "Extract", "config": {"extractorConfig": {"schema": schema()}}},
        {"type": "EXTRACT", "name": "Never", "config": {"extractorConfig": {"schema": schema()}}},
    ]);
    let wf = app.workflow(steps).await;
    let made = app
        .start(json!({
            "workflow": {"id": wf},
            "file": {"url": "https://example.com/invoice.pdf"},
            "outputs": [{"processorId": "ex_cls", "output": {"id": "cls_receipt", "type": "receipt"}}],
        }))
        .await;
    let run = app.settled_run(made["id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "PROCESSED");
    assert_eq!(
        run["stepRuns"][0]["result"]["classifyRun"]["output"],
        json!({"id": "cls_receipt", "type": "receipt", "confidence": 1.0, "insights": []})
    );
    assert_eq!(
        steps_of(&run),
        owned(&[
            ("CLASSIFY", "Classify", "PROCESSED"),
            ("EXTRACT", "Extract", "PROCESSED"),
        ])
    );

    // A marker fails the first step, and the run with its reason.
    let failing = app
        .start(json!({
            "workflow": {"id": wf},
            "file": {"url": "https://example.com/scan__fail_PROCESSING_TIMEOUT__.pdf"},
        }))
        .await;
    let run = app.settled_run(failing["id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "FAILED");
    assert_eq!(run["failureReason"], "PROCESSING_TIMEOUT");
    assert_eq!(
        run["failureMessage"],
        "Step `Classify` (CLASSIFY) failed: Processing did not finish within the time limit."
    );
    assert_eq!(steps_of(&run), owned(&[("CLASSIFY", "Classify", "FAILED")]));
}

#[tokio::test]
async fn a_review_holds_the_run_until_approved_or_rejected() {
    let app = app().await;
    let wf = app.workflow(routed_steps(true)).await;
    let body = json!({
        "workflow": {"id": wf, "version": "draft"},
        "file": {"text": "Invoice #9\nTotal: $5.00"},
    });
    let first = app.start(body.clone()).await;
    let id = first["id"].as_str().unwrap();
    let run = app.settled_run(id).await;
    assert_eq!(run["status"], "NEEDS_REVIEW");
    assert_eq!(run["reviewed"], false);
    assert_eq!(run["endTime"], Value::Null);
    // Not cancellable in review.
    let refusal = app
        .api_err(
            Method::POST,
            KEY_A,
            &format!("/workflow_runs/{id}/cancel"),
            None,
            400,
        )
        .await;
    assert_eq!(
        refusal,
        format!(
            "Workflow run `{id}` is NEEDS_REVIEW; only a PENDING or PROCESSING run can be cancelled"
        )
    );
    let approved = app
        .mock_ok(
            Method::POST,
            &format!("/workflow_runs/{id}/approve"),
            Some(&json!({"reviewer": "ana@acme.test"})),
        )
        .await;
    assert_eq!(approved["status"], "PROCESSED");
    assert_eq!(approved["reviewed"], true);
    assert_eq!(approved["reviewedByUser"], "ana@acme.test");
    assert!(approved["reviewedAt"].is_string());
    assert_eq!(
        app.api_ok_bare(Method::GET, KEY_A, &format!("/workflow_runs/{id}"))
            .await["status"],
        "PROCESSED"
    );
    // Approved twice: refused.
    let res = app
        .mock(Method::POST, &format!("/workflow_runs/{id}/approve"), None)
        .await;
    assert_eq!(res.status(), 400);

    let second = app.start(body).await;
    let id = second["id"].as_str().unwrap();
    app.settled_run(id).await;
    let rejected = app
        .mock_ok(
            Method::POST,
            &format!("/workflow_runs/{id}/reject"),
            Some(&json!({"note": "Total does not match"})),
        )
        .await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["rejectionNote"], "Total does not match");
    assert_eq!(rejected["reviewedByUser"], "reviewer@extend-mock.test");
    assert!(rejected["endTime"].is_string());
    let missing = app
        .mock(
            Method::POST,
            "/workflow_runs/workflow_run_nope/approve",
            None,
        )
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn cancelling_a_run_cancels_its_unfinished_steps_and_their_runs() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let made = app
        .start(json!({
            "workflow": {"id": wf, "version": "draft"},
            "file": {"url": "https://example.com/big__hold__.pdf"},
        }))
        .await;
    let id = made["id"].as_str().unwrap();
    let parse_id = made["stepRuns"][0]["result"]["parseRun"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(
        app.api_ok_bare(Method::GET, KEY_A, &format!("/workflow_runs/{id}"))
            .await["status"],
        "PROCESSING",
        "held"
    );
    let cancelled = app
        .api_ok_bare(Method::POST, KEY_A, &format!("/workflow_runs/{id}/cancel"))
        .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(
        steps_of(&cancelled),
        owned(&[("PARSE", "Parse", "CANCELLED")])
    );
    assert_eq!(
        cancelled["stepRuns"][0]["result"]["parseRun"]["status"],
        "CANCELLED"
    );
    let parse = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/parse_runs/{parse_id}"))
        .await;
    assert_eq!(parse["status"], "CANCELLED");
    app.api_err(
        Method::POST,
        KEY_A,
        &format!("/workflow_runs/{id}/cancel"),
        None,
        400,
    )
    .await;

    // A step's run cancelled through its own family cancels the workflow run.
    let other = app
        .start(json!({
            "workflow": {"id": wf, "version": "draft"},
            "file": {"url": "https://example.com/other__hold__.pdf"},
        }))
        .await;
    let parse_id = other["stepRuns"][0]["result"]["parseRun"]["id"]
        .as_str()
        .unwrap();
    app.api_ok_bare(
        Method::POST,
        KEY_A,
        &format!("/parse_runs/{parse_id}/cancel"),
    )
    .await;
    let run = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/workflow_runs/{}", other["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(run["status"], "CANCELLED");
}

#[tokio::test]
async fn a_reset_with_runs_in_flight_drops_them_cleanly() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let made = app
        .start(json!({
            "workflow": {"id": wf, "version": "draft"},
            "file": {"url": "https://example.com/slow__slow__.pdf"},
        }))
        .await;
    let id = made["id"].as_str().unwrap();
    app.mock_ok(Method::POST, "/reset", None).await;
    app.api_err(
        Method::GET,
        KEY_A,
        &format!("/workflow_runs/{id}"),
        None,
        404,
    )
    .await;
    app.api_err(Method::GET, KEY_A, &format!("/workflows/{wf}"), None, 404)
        .await;
    // Whatever was due after the reset ends nothing; the server still serves.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let list = app.api_ok_bare(Method::GET, KEY_A, "/workflow_runs").await;
    assert_eq!(list["data"], json!([]));
    let wf = app.workflow(routed_steps(false)).await;
    let again = app
        .start(json!({"workflow": {"id": wf}, "file": {"text": "Invoice #1"}}))
        .await;
    let run = app.settled_run(again["id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "PROCESSED");
}

#[tokio::test]
async fn runs_are_updated_listed_filtered_paged_and_deleted() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let other = app.workflow(routed_steps(false)).await;
    let mut made = Vec::new();
    for (workflow, name) in [
        (&wf, "alpha.pdf"),
        (&wf, "beta__hold__.pdf"),
        (&other, "gamma.pdf"),
    ] {
        let run = app
            .start(json!({
                "workflow": {"id": workflow, "version": "draft"},
                "file": {"url": format!("https://example.com/{name}")},
                "metadata": {"n": made.len()},
            }))
            .await;
        made.push(run["id"].as_str().unwrap().to_owned());
    }
    app.settled_run(&made[0]).await;
    app.settled_run(&made[2]).await;

    let list = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            app.api_ok_bare(Method::GET, KEY_A, &format!("/workflow_runs?{query}"))
                .await
        }
    };
    let all = list("sortBy=createdAt&sortDir=asc").await;
    assert_eq!(data_ids(&all), made);
    let summary = &all["data"][0];
    assert_eq!(summary["object"], "workflow_run");
    assert!(summary["createdAt"].is_string() && summary["updatedAt"].is_string());
    assert!(summary.get("stepRuns").is_none() && summary.get("metadata").is_none());
    assert_eq!(
        data_ids(&list(&format!("workflowId={wf}&sortBy=createdAt&sortDir=asc")).await),
        made[..2]
    );
    assert_eq!(
        data_ids(&list("status=PROCESSING").await),
        [made[1].clone()]
    );
    assert_eq!(
        data_ids(&list("fileNameContains=GAMMA").await),
        [made[2].clone()]
    );
    let bad = app
        .api_err(Method::GET, KEY_A, "/workflow_runs?status=DONE", None, 400)
        .await;
    assert!(
        bad.starts_with("Invalid query parameter `status`: `DONE` is not one of PENDING"),
        "{bad}"
    );
    // Pages of one, newest first.
    let mut seen = Vec::new();
    let mut query = "maxPageSize=1&sortBy=createdAt".to_owned();
    loop {
        let page = list(&query).await;
        seen.extend(data_ids(&page));
        match page["nextPageToken"].as_str() {
            Some(token) => {
                query = format!(
                    "maxPageSize=1&sortBy=createdAt&nextPageToken={}",
                    urlencode(token)
                )
            }
            None => break,
        }
    }
    assert_eq!(seen, made.iter().rev().cloned().collect::<Vec<_>>());
    // Another workspace sees none of them.
    let theirs = app.api_ok_bare(Method::GET, KEY_B, "/workflow_runs").await;
    assert_eq!(theirs["data"], json!([]));

    // Update: metadata merged, the given keys winning.
    let updated = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            &format!("/workflow_runs/{}", made[1]),
            &json!({"name": "beta", "metadata": {"n": 10, "checked": true}}),
        )
        .await;
    assert_eq!(updated["metadata"], json!({"n": 10, "checked": true}));
    assert_eq!(
        data_ids(&list("sortBy=updatedAt&sortDir=desc&maxPageSize=1").await),
        [made[1].clone()]
    );

    // Delete: gone, and its held step's run is cancelled.
    let held = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/workflow_runs/{}", made[1]))
        .await;
    let parse_id = held["stepRuns"][0]["result"]["parseRun"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app
        .api_ok_bare(
            Method::DELETE,
            KEY_A,
            &format!("/workflow_runs/{}", made[1]),
        )
        .await;
    assert_eq!(deleted, json!({"id": made[1]}));
    app.api_err(
        Method::GET,
        KEY_A,
        &format!("/workflow_runs/{}", made[1]),
        None,
        404,
    )
    .await;
    assert_eq!(
        app.api_ok_bare(Method::GET, KEY_A, &format!("/parse_runs/{parse_id}"))
            .await["status"],
        "CANCELLED"
    );
}

#[tokio::test]
async fn a_batch_makes_a_run_per_input_and_refusals_make_nothing() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/workflow_runs/batch",
            &json!({
                "workflow": {"id": wf, "version": "draft"},
                "inputs": [
                    {"file": {"text": "Invoice #1"}, "metadata": {"n": 1}},
                    {"file": {"url": "https://example.com/b.pdf"}, "secrets": {"k": "v"}},
                ],
                "priority": 10,
            }),
        )
        .await;
    let batch = made["batchId"].as_str().unwrap();
    assert!(batch.starts_with("batch_"), "{made}");
    assert_eq!(made.as_object().unwrap().len(), 1);
    let page = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/workflow_runs?batchId={batch}"),
        )
        .await;
    assert_eq!(data_ids(&page).len(), 2);
    assert!(
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["batchId"] == batch)
    );

    let refusals = [
        (
            json!({"workflow": {"id": wf}, "inputs": [{"file": {"text": "x"}}, {"file": {}}]}),
            400,
            "request body: inputs[1].file: give exactly one of `url`, `id` or `text`",
        ),
        (
            json!({"workflow": {"id": wf}, "inputs": []}),
            400,
            "request body: inputs: is required: 1 to 1000 inputs, each `{file, metadata?, secrets?}`",
        ),
        (
            json!({"workflow": {"id": "workflow_nope"}, "inputs": [{"file": {"text": "x"}}]}),
            404,
            "Workflow `workflow_nope` not found",
        ),
    ];
    for (body, status, message) in refusals {
        assert_eq!(
            app.api_err(
                Method::POST,
                KEY_A,
                "/workflow_runs/batch",
                Some(&body),
                status
            )
            .await,
            message
        );
    }
    let runs = app.api_ok_bare(Method::GET, KEY_A, "/workflow_runs").await;
    assert_eq!(data_ids(&runs).len(), 2, "refused batches made nothing");
}

#[tokio::test]
async fn bad_run_bodies_are_refused_by_name() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let cases = [
        (json!({"file": {"text": "x"}}), 400, "request body: workflow: is required: `{id, version?}`".to_owned()),
        (
            json!({"workflow": {"id": wf}}),
            400,
            "request body: file: one of `file` or `package` is required".to_owned(),
        ),
        (
            json!({"workflow": {"id": wf, "version": "7"}, "file": {"text": "x"}}),
            404,
            format!("Workflow `{wf}` has no version `7`"),
        ),
        (
            json!({"workflow": {"id": wf}, "package": {"files": [{"url": "https://e.com/a.pdf"}]}}),
            400,
            "request body: package.files: is required: 2 to 50 files, each `{url}` or `{id}`".to_owned(),
        ),
        (
            json!({"workflow": {"id": wf}, "file": {"text": "x"},
                   "outputs": [{"processorId": "ex_nope", "output": {}}]}),
            400,
            "request body: outputs[0].processorId: no extractor, classifier or splitter `ex_nope` in this workspace".to_owned(),
        ),
        (
            json!({"workflow": {"id": wf}, "file": {"text": "x"}, "priority": 0}),
            400,
            "request body: priority: `0` is not a whole number from 1 to 100".to_owned(),
        ),
        (
            json!({"workflow": {"id": wf}, "file": {"id": "file_nope"}}),
            404,
            "File `file_nope` not found".to_owned(),
        ),
    ];
    for (body, status, message) in cases {
        let got = app
            .api_err(Method::POST, KEY_A, "/workflow_runs", Some(&body), status)
            .await;
        assert_eq!(got, message, "{body}");
    }
    let runs = app.api_ok_bare(Method::GET, KEY_A, "/workflow_runs").await;
    assert_eq!(runs["data"], json!([]));
}

#[tokio::test]
async fn a_package_run_extracts_all_its_files_and_parses_the_first() {
    let app = app().await;
    let steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "Parse"}]},
        {"type": "PARSE", "name": "Parse", "next": [{"step": "Check"}]},
        {"type": "RULE_VALIDATION", "name": "Check",
         "config": {"rules": [{"name": "total", "formula": "TRUE"}]}, "next": [{"step": "Extract"}]},
        {"type": "EXTRACT", "name": "Extract", "config": {"extractorConfig": {"schema": schema()}}},
    ]);
    let wf = app.workflow(steps).await;
    let made = app
        .start(json!({
            "workflow": {"id": wf},
            "package": {"files": [
                {"url": "https://example.com/one.pdf"},
                {"url": "https://example.com/two.pdf"},
            ]},
        }))
        .await;
    let run = app.settled_run(made["id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "PROCESSED");
    assert_eq!(run["files"].as_array().unwrap().len(), 2);
    assert_eq!(
        steps_of(&run),
        owned(&[
            ("PARSE", "Parse", "PROCESSED"),
            ("RULE_VALIDATION", "Check", "PROCESSED"),
            ("EXTRACT", "Extract", "PROCESSED"),
        ])
    );
    assert_eq!(
        run["stepRuns"][1]["result"],
        json!({"rules": [{"name": "total", "valid": true}], "allPassed": true})
    );
    let extract = &run["stepRuns"][2]["result"]["extractRun"];
    assert_eq!(extract["files"].as_array().unwrap().len(), 2);
    assert_eq!(
        run["stepRuns"][0]["result"]["parseRun"]["file"]["name"],
        "one.pdf"
    );
}

#[tokio::test]
async fn fixtures_declare_workflows_and_give_them_back() {
    let app = app().await;
    let mut doc = fixture();
    doc["workflows"] = json!([{
        "id": "workflow_intake",
        "workspaceId": "ws_a",
        "name": "Intake",
        "steps": routed_steps(true),
        "versions": [{"name": "v1", "steps": routed_steps(false)}],
    }]);
    app.mock_ok(Method::PUT, "/fixtures", Some(&doc)).await;
    let workflow = app
        .api_ok_bare(Method::GET, KEY_A, "/workflows/workflow_intake")
        .await;
    assert_eq!(workflow["name"], "Intake");
    assert_eq!(workflow["createdAt"], "2024-03-01T00:00:00Z");
    assert_eq!(workflow["draftVersion"]["steps"], routed_steps(true));
    let latest = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            "/workflows/workflow_intake/versions/latest",
        )
        .await;
    assert_eq!(
        (&latest["version"], &latest["name"]),
        (&json!("1"), &json!("v1"))
    );
    // The same ids on every start (another server here), so a suite may
    // name them.
    let other = spawn_app(&doc).await;
    let again = other
        .api_ok_bare(Method::GET, KEY_A, "/workflows/workflow_intake/versions/1")
        .await;
    assert_eq!(again["id"], latest["id"]);
    // Runnable at once, by the version the fixture deployed.
    let made = app
        .start(json!({"workflow": {"id": "workflow_intake"}, "file": {"text": "Invoice #3"}}))
        .await;
    assert_eq!(made["workflowVersion"]["version"], "1");
    assert_eq!(
        app.settled_run(made["id"].as_str().unwrap()).await["status"],
        "PROCESSED"
    );

    // The state as a document gives the workflow back as declared.
    let state = app.state_document().await;
    assert_eq!(state["workflows"][0]["steps"], routed_steps(true));
    assert_eq!(state["workflows"][0]["versions"][0]["name"], "v1");

    // A bad step is refused with where it is.
    doc["workflows"][0]["steps"][1]["next"] = json!([{"step": "Nowhere"}]);
    let res = app.mock(Method::PUT, "/fixtures", Some(&doc)).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.ends_with(
            "workflows[0]: steps[1].next[0].step: `Nowhere` is not the name of a step of this workflow"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_steps_null_keys_are_read_as_absent_and_not_kept() {
    let app = app().await;
    let made = app
        .api_ok_bare_with(
            Method::POST,
            KEY_A,
            "/workflows",
            &json!({"name": "n", "steps": [{"type": "PARSE", "name": "P", "next": null, "config": null}]}),
        )
        .await;
    assert_eq!(
        made["draftVersion"]["steps"],
        json!([{"type": "PARSE", "name": "P"}])
    );
}

#[tokio::test]
async fn a_steps_run_deleted_through_its_family_cancels_the_workflow_run() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let made = app
        .start(json!({
            "workflow": {"id": wf, "version": "draft"},
            "file": {"url": "https://example.com/held__hold__.pdf"},
        }))
        .await;
    let id = made["id"].as_str().unwrap();
    let parse_id = made["stepRuns"][0]["result"]["parseRun"]["id"]
        .as_str()
        .unwrap();
    app.api_ok_bare(Method::DELETE, KEY_A, &format!("/parse_runs/{parse_id}"))
        .await;
    let run = app
        .api_ok_bare(Method::GET, KEY_A, &format!("/workflow_runs/{id}"))
        .await;
    assert_eq!(run["status"], "CANCELLED");
    assert_eq!(steps_of(&run), owned(&[("PARSE", "Parse", "CANCELLED")]));
    assert_eq!(run["stepRuns"][0]["result"], Value::Null, "its run is gone");
}

#[tokio::test]
async fn parallel_reviews_are_decided_one_after_the_other() {
    let app = app().await;
    let steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "A"}, {"step": "B"}]},
        {"type": "PARSE", "name": "A", "next": [{"step": "Review A"}]},
        {"type": "PARSE", "name": "B", "next": [{"step": "Review B"}]},
        {"type": "HUMAN_REVIEW", "name": "Review A", "next": [{"step": "After A"}]},
        {"type": "HUMAN_REVIEW", "name": "Review B", "next": [{"step": "After B"}]},
        {"type": "PARSE", "name": "After A"},
        {"type": "PARSE", "name": "After B"},
    ]);
    let wf = app.workflow(steps).await;
    let made = app
        .start(json!({"workflow": {"id": wf}, "file": {"text": "Invoice #1"}}))
        .await;
    let id = made["id"].as_str().unwrap();
    assert_eq!(
        steps_of(&made),
        owned(&[("PARSE", "A", "PROCESSING"), ("PARSE", "B", "PROCESSING")]),
        "branches start in the order the trigger names them"
    );
    assert_eq!(app.settled_run(id).await["status"], "NEEDS_REVIEW");
    let approved = app
        .mock_ok(Method::POST, &format!("/workflow_runs/{id}/approve"), None)
        .await;
    assert_eq!(approved["status"], "PROCESSING");
    assert_eq!(
        app.settled_run(id).await["status"],
        "NEEDS_REVIEW",
        "the second review"
    );
    app.mock_ok(Method::POST, &format!("/workflow_runs/{id}/approve"), None)
        .await;
    let run = app.settled_run(id).await;
    assert_eq!(run["status"], "PROCESSED");
    assert_eq!(
        steps_of(&run),
        owned(&[
            ("PARSE", "A", "PROCESSED"),
            ("PARSE", "B", "PROCESSED"),
            ("PARSE", "After A", "PROCESSED"),
            ("PARSE", "After B", "PROCESSED"),
        ])
    );
}

#[tokio::test]
async fn a_step_that_cannot_start_fails_the_run_and_its_sibling_never_starts() {
    let app = app().await;
    let steps = json!([
        {"type": "TRIGGER", "name": "Trigger", "next": [{"step": "A"}, {"step": "B"}]},
        {"type": "EXTRACT", "name": "A", "config": {"extractor": {"id": "ex_inv", "version": "9.9"}}},
        {"type": "PARSE", "name": "B"},
    ]);
    let wf = app.workflow(steps).await;
    let made = app
        .start(json!({"workflow": {"id": wf}, "file": {"text": "Invoice #1"}}))
        .await;
    let id = made["id"].as_str().unwrap();
    assert_eq!(made["status"], "FAILED");
    assert_eq!(made["failureReason"], "STEP_FAILED");
    assert_eq!(
        made["failureMessage"],
        "A step's run could not be made: Extractor version `9.9` not found"
    );
    assert_eq!(
        steps_of(&made),
        owned(&[("EXTRACT", "A", "FAILED"), ("PARSE", "B", "CANCELLED")])
    );
    let parses = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/parse_runs?source=WORKFLOW_RUN&sourceId={id}"),
        )
        .await;
    assert_eq!(parses["data"], json!([]), "B's run was never made");
}

#[tokio::test]
async fn version_tokens_are_one_workflows_with_strict_tokens() {
    let rules = extend_mock::domain::PagingRules {
        default_page_size: 10,
        strict_tokens: true,
    };
    let app = spawn_app_with(&fixture(), SECRET, rules).await;
    let mut workflows = Vec::new();
    for _ in 0..2 {
        let wf = app.workflow(routed_steps(false)).await;
        for _ in 0..2 {
            app.api_ok_bare_with(
                Method::POST,
                KEY_A,
                &format!("/workflows/{wf}/versions"),
                &json!({}),
            )
            .await;
        }
        workflows.push(wf);
    }
    let first = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!("/workflows/{}/versions?maxPageSize=2", workflows[0]),
        )
        .await;
    let token = urlencode(first["nextPageToken"].as_str().unwrap());
    let rest = app
        .api_ok_bare(
            Method::GET,
            KEY_A,
            &format!(
                "/workflows/{}/versions?maxPageSize=2&nextPageToken={token}",
                workflows[0]
            ),
        )
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    // Another workflow's versions with that token: refused.
    app.api_err(
        Method::GET,
        KEY_A,
        &format!(
            "/workflows/{}/versions?maxPageSize=2&nextPageToken={token}",
            workflows[1]
        ),
        None,
        400,
    )
    .await;
}

#[tokio::test]
async fn outputs_and_batches_beyond_what_can_run_are_refused() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/workflow_runs",
            Some(&json!({"workflow": {"id": wf}, "file": {"text": "x"},
                         "outputs": [{"processorId": "ex_split", "output": {"splits": [1, "x"]}}]})),
            400,
        )
        .await;
    assert!(
        message.starts_with("request body: outputs[0].output: "),
        "{message}"
    );
    // 1,000 inputs of a workflow with four steps that make runs: 4,000 runs,
    // taken; a workflow with 25 such steps: 25,000, refused.
    let mut many = vec![json!({"type": "TRIGGER", "name": "T", "next": [{"step": "P0"}]})];
    for i in 0..25 {
        let next = if i < 24 {
            json!([{"step": format!("P{}", i + 1)}])
        } else {
            json!([])
        };
        many.push(json!({"type": "PARSE", "name": format!("P{i}"), "next": next}));
    }
    let big = app.workflow(json!(many)).await;
    let inputs: Vec<Value> = (0..1000).map(|_| json!({"file": {"text": "x"}})).collect();
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/workflow_runs/batch",
            Some(&json!({"workflow": {"id": big}, "inputs": inputs})),
            400,
        )
        .await;
    assert_eq!(
        message,
        "request body: inputs: 1000 inputs of a workflow with 25 steps that make runs could \
         make 25000 runs; a batch may make at most 20000: send fewer inputs at a time"
    );
}

/// The lists of parse, edit and workflow runs are kept once written (see
/// `body_cache`), like the other families' pages: asked again, the same
/// bytes; after any change (a run made, ended, deleted; a reset), the
/// store's; a page kept for one workspace is never another's.
#[tokio::test]
async fn parse_edit_and_workflow_run_pages_are_the_stores_after_every_change() {
    let app = app().await;
    let wf = app.workflow(routed_steps(false)).await;
    let status_of = |page: &Value, id: &str| -> Option<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].as_str().unwrap().to_owned())
    };
    let bytes = async |path: &str| {
        app.api(Method::GET, KEY_A, path, None)
            .await
            .bytes()
            .await
            .unwrap()
    };
    for (list, body) in [
        (
            "/parse_runs",
            json!({"file": {"url": "https://example.com/Invoice.pdf"}}),
        ),
        (
            "/edit_runs",
            json!({"file": {"url": "https://example.com/form.pdf"}}),
        ),
        (
            "/workflow_runs",
            json!({"workflow": {"id": wf}, "file": {"text": "Invoice #7"}}),
        ),
    ] {
        let before = app.api_ok_bare(Method::GET, KEY_A, list).await;
        assert_eq!(bytes(list).await, bytes(list).await, "{list} asked again");
        let made = app.api_ok_bare_with(Method::POST, KEY_A, list, &body).await;
        let id = made["id"].as_str().unwrap().to_owned();
        let page = app.api_ok_bare(Method::GET, KEY_A, list).await;
        assert_eq!(data_ids(&page)[0], id, "{list}: the new run first");
        assert_eq!(
            data_ids(&page)[1..],
            data_ids(&before)[..],
            "{list}: then the others"
        );
        // Ended on its own (the lifecycle writes the store): the page says so.
        let ended = app.until_ended(&format!("{list}/{id}")).await;
        let page = app.api_ok_bare(Method::GET, KEY_A, list).await;
        assert_eq!(
            status_of(&page, &id).as_deref(),
            ended["status"].as_str(),
            "{list}: {page}"
        );
        assert_ne!(ended["status"], "PROCESSING");
        // Another workspace's page of the same query is its own.
        let theirs = app.api_ok_bare(Method::GET, KEY_B, list).await;
        assert!(!data_ids(&theirs).contains(&id), "{list}: {theirs}");
        // Deleted: gone.
        app.api_ok_bare(Method::DELETE, KEY_A, &format!("{list}/{id}"))
            .await;
        let after = app.api_ok_bare(Method::GET, KEY_A, list).await;
        assert_eq!(
            data_ids(&after),
            data_ids(&before),
            "{list} after the delete"
        );
    }
    // A reset: the start-up pages (no runs of these families).
    app.mock_ok(Method::POST, "/reset", None).await;
    for list in ["/parse_runs", "/edit_runs", "/workflow_runs"] {
        let page = app.api_ok_bare(Method::GET, KEY_A, list).await;
        assert_eq!(page["data"], json!([]), "{list} after the reset");
    }
}
