//! The processor catalogue: derived from runs or declared in fixtures, listed
//! in keyset pages, created, cloned, renamed, published, read, isolated.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn ids_of(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

fn extract_config() -> Value {
    json!({
        "type": "EXTRACT",
        "schema": {
            "type": "object",
            "properties": {
                "invoice_number": { "type": "string" },
                "total": { "type": "number" },
                "paid": { "type": "boolean" },
                "lines": { "type": "array", "items": { "type": "object", "properties": {
                    "description": { "type": "string" }, "amount": { "type": "number" } } } }
            },
            "required": ["invoice_number", "total"]
        }
    })
}

async fn create(app: &TestApp, body: Value) -> Value {
    app.api_ok(Method::POST, KEY_A, "/processors", Some(&body))
        .await["processor"]
        .clone()
}

#[tokio::test]
async fn the_catalogue_is_derived_from_the_runs_of_each_workspace() {
    let app = spawn_app(&fixture()).await;
    let body = app
        .api_ok(
            Method::GET,
            KEY_A,
            "/processors?sortBy=createdAt&sortDir=asc",
            None,
        )
        .await;
    // ex_inv's first run was at minute 60, ex_cls's at 120, ex_split's at 180, ex_old's at 300.
    assert_eq!(
        ids_of(&body, "processors"),
        ["ex_inv", "ex_cls", "ex_split", "ex_old"]
    );
    assert!(body.get("nextPageToken").is_none(), "{body}");
    let inv = &body["processors"][0];
    assert_eq!(inv["object"], "document_processor");
    assert_eq!(inv["name"], "Processor ex_inv");
    assert_eq!(inv["type"], "EXTRACT");
    assert_eq!(inv["createdAt"], minutes(60));
    assert_eq!(inv["updatedAt"], minutes(420), "the latest run's update");
    let versions: Vec<&str> = inv["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["draft", "1.0"]);
    assert_eq!(inv["versions"][1]["id"], "exv_ex_inv");
    // A run stored without a type: its processor is EXTRACT.
    assert_eq!(body["processors"][3]["type"], "EXTRACT");

    // Another workspace has its own catalogue, even under the same processor id.
    let b = app.api_ok(Method::GET, KEY_B, "/processors", None).await;
    assert_eq!(ids_of(&b, "processors"), ["ex_inv"]);
    assert_eq!(b["processors"][0]["createdAt"], minutes(10));

    // The full run's config is its version's.
    let versions = app
        .api_ok(Method::GET, KEY_A, "/processors/ex_cls/versions", None)
        .await;
    let published = &versions["versions"][1];
    assert_eq!(published["version"], "1.0");
    let run = app.get_run_ok(KEY_A, "exr_2").await;
    assert_eq!(run["config"], published["config"]);
    assert_eq!(published["config"]["type"], "CLASSIFY");
}

#[tokio::test]
async fn pages_filter_by_type_and_walk_without_gaps_or_repeats() {
    let app = spawn_app(&fixture()).await;
    for _ in 0..5 {
        create(
            &app,
            json!({"name": "Extra", "type": "EXTRACT", "config": extract_config()}),
        )
        .await;
    }
    for (order, dir) in [
        ("createdAt", "asc"),
        ("createdAt", "desc"),
        ("updatedAt", "desc"),
        ("updatedAt", "asc"),
    ] {
        let all = app
            .api_ok(
                Method::GET,
                KEY_A,
                &format!("/processors?sortBy={order}&sortDir={dir}&maxPageSize=100"),
                None,
            )
            .await;
        let everything = ids_of(&all, "processors");
        assert_eq!(everything.len(), 9);
        let mut walked = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/processors?sortBy={order}&sortDir={dir}&maxPageSize=2");
            if let Some(t) = &token {
                path.push_str(&format!("&nextPageToken={}", urlencoding(t)));
            }
            let page = app.api_ok(Method::GET, KEY_A, &path, None).await;
            walked.extend(ids_of(&page, "processors"));
            match page["nextPageToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(walked, everything, "{order} {dir}");
    }
    let extract = app
        .api_ok(
            Method::GET,
            KEY_A,
            "/processors?type=EXTRACT&maxPageSize=100",
            None,
        )
        .await;
    assert_eq!(ids_of(&extract, "processors").len(), 7);
    let classify = app
        .api_ok(Method::GET, KEY_A, "/processors?type=CLASSIFY", None)
        .await;
    assert_eq!(ids_of(&classify, "processors"), ["ex_cls"]);

    let message = app
        .api_err(Method::GET, KEY_A, "/processors?type=OCR", None, 400)
        .await;
    assert!(message.contains("`type`"), "{message}");
    // A token made for the runs' list is refused here.
    let runs = app.list_ok(KEY_A, &[("maxPageSize", "1")]).await;
    let token = runs["nextPageToken"].as_str().unwrap();
    let message = app
        .api_err(
            Method::GET,
            KEY_A,
            &format!("/processors?nextPageToken={}", urlencoding(token)),
            None,
            400,
        )
        .await;
    assert!(message.contains("another list"), "{message}");
}

fn urlencoding(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

#[tokio::test]
async fn create_publish_and_read_versions() {
    let app = spawn_app(&fixture()).await;
    let p = create(
        &app,
        json!({"name": "Invoices", "type": "EXTRACT", "config": extract_config()}),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ex_") && id.len() == 24, "{id}");
    assert_eq!(p["object"], "document_processor");
    assert_eq!(p["draftVersion"]["version"], "draft");
    assert_eq!(p["draftVersion"]["config"], extract_config());
    assert_eq!(p["draftVersion"]["processorId"], p["id"]);
    assert_eq!(p["draftVersion"]["processorType"], "EXTRACT");
    assert!(
        p["draftVersion"]["id"]
            .as_str()
            .unwrap()
            .starts_with("exv_")
    );

    let mut numbers = Vec::new();
    for (release, description) in [
        ("major", Some("first")),
        ("minor", None),
        ("major", None),
        ("minor", None),
    ] {
        let mut body = json!({"releaseType": release});
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let v = app
            .api_ok(
                Method::POST,
                KEY_A,
                &format!("/processors/{id}/publish"),
                Some(&body),
            )
            .await["processorVersion"]
            .clone();
        assert_eq!(v["object"], "document_processor_version");
        assert_eq!(v["config"], extract_config());
        numbers.push(v["version"].as_str().unwrap().to_owned());
        let read = app
            .api_ok(
                Method::GET,
                KEY_A,
                &format!("/processors/{id}/versions/{}", v["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(read["version"], v);
    }
    assert_eq!(numbers, ["1.0", "1.1", "2.0", "2.1"]);

    let versions = app
        .api_ok(
            Method::GET,
            KEY_A,
            &format!("/processors/{id}/versions"),
            None,
        )
        .await;
    let listed: Vec<&str> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["draft", "2.1", "2.0", "1.1", "1.0"]);
    assert_eq!(versions["versions"][4]["description"], "first");

    // A publish with its own config: the version has it, the draft keeps its own.
    let other = json!({"type": "EXTRACT", "schema": {"type": "object", "properties": {"x": {"type": "string"}}}});
    let v = app
        .api_ok(
            Method::POST,
            KEY_A,
            &format!("/processors/{id}/publish"),
            Some(&json!({"releaseType": "minor", "config": other})),
        )
        .await;
    assert_eq!(v["processorVersion"]["version"], "2.2");
    assert_eq!(v["processorVersion"]["config"], other);
    let draft = app
        .api_ok(
            Method::GET,
            KEY_A,
            &format!(
                "/processors/{id}/versions/{}",
                p["draftVersion"]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(draft["version"]["config"], extract_config());

    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            &format!("/processors/{id}/publish"),
            Some(&json!({"releaseType": "patch"})),
            400,
        )
        .await;
    assert!(message.contains("releaseType"), "{message}");
    let message = app
        .api_err(
            Method::GET,
            KEY_A,
            &format!("/processors/{id}/versions/exv_nope"),
            None,
            404,
        )
        .await;
    assert_eq!(message, "Processor version `exv_nope` not found");
}

#[tokio::test]
async fn update_renames_and_sets_the_draft_and_moves_the_processor() {
    let app = spawn_app(&fixture()).await;
    let before = app
        .api_ok(Method::GET, KEY_A, "/processors?maxPageSize=1", None)
        .await;
    assert_eq!(
        ids_of(&before, "processors"),
        ["ex_inv"],
        "latest updatedAt first"
    );
    let config = json!({"type": "CLASSIFY", "classifications": [
        {"id": "inv", "type": "invoice", "description": "An invoice"},
        {"id": "rcpt", "type": "receipt", "description": "A receipt"}]});
    let updated = app
        .api_ok(
            Method::POST,
            KEY_A,
            "/processors/ex_cls",
            Some(&json!({"name": "Renamed", "config": config})),
        )
        .await["processor"]
        .clone();
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["draftVersion"]["config"], config);
    assert_eq!(updated["draftVersion"]["processorName"], "Renamed");
    let after = app
        .api_ok(Method::GET, KEY_A, "/processors?maxPageSize=1", None)
        .await;
    assert_eq!(
        ids_of(&after, "processors"),
        ["ex_cls"],
        "an update moves it to the front"
    );
    assert_eq!(after["processors"][0]["updatedAt"], updated["updatedAt"]);
    // The published version keeps its config: runs made on it do not change.
    let run = app.get_run_ok(KEY_A, "exr_2").await;
    assert_ne!(run["config"], config);
    // An empty update changes nothing but the time.
    let same = app
        .api_ok(Method::POST, KEY_A, "/processors/ex_cls", Some(&json!({})))
        .await;
    assert_eq!(same["processor"]["draftVersion"]["config"], config);
    // Python's SDK sends nulls for what it leaves out.
    let same = app
        .api_ok(
            Method::POST,
            KEY_A,
            "/processors/ex_cls",
            Some(&json!({"name": null, "config": null})),
        )
        .await;
    assert_eq!(same["processor"]["name"], "Renamed");
}

#[tokio::test]
async fn bad_bodies_are_refused_naming_the_field_and_change_nothing() {
    let app = spawn_app(&fixture()).await;
    let before = app.state_document().await;
    let cases = [
        (
            json!({"type": "EXTRACT", "config": extract_config()}),
            "missing field `name`",
        ),
        (
            json!({"name": " ", "type": "EXTRACT", "config": extract_config()}),
            "name: must not be empty",
        ),
        (
            json!({"name": "x", "type": "OCR", "config": extract_config()}),
            "type",
        ),
        (
            json!({"name": "x", "type": "EXTRACT"}),
            "one of `config` or `cloneProcessorId` is required",
        ),
        (
            json!({"name": "x", "type": "EXTRACT", "config": extract_config(), "cloneProcessorId": "ex_inv"}),
            "not both",
        ),
        (
            json!({"name": "x", "type": "CLASSIFY", "config": extract_config()}),
            "config.type: `EXTRACT` does not match the processor's type `CLASSIFY`",
        ),
        (
            json!({"name": "x", "type": "CLASSIFY", "config": {"type": "CLASSIFY"}}),
            "config.classifications: required",
        ),
        (
            json!({"name": "x", "type": "SPLITTER", "config": {"type": "SPLITTER", "splitClassifications": [{"id": "a", "type": "t"}]}}),
            "config.splitClassifications[0].description",
        ),
        (
            json!({"name": "x", "type": "EXTRACT", "config": {"type": "EXTRACT", "schema": {"type": "object", "properties": {"a": {"anyOf": []}}}}}),
            "config.schema.properties.a.anyOf: extend-mock cannot make values for `anyOf`",
        ),
        (
            json!({"name": "x", "type": "EXTRACT", "config": {"type": "EXTRACT", "schema": {"type": "array"}}}),
            "config.schema.type",
        ),
        (
            json!({"name": "x", "type": "EXTRACT", "config": {"type": "EXTRACT", "schema": {"type": "object", "properties": {"a": {"type": "date"}}}}}),
            "`date` is not one of",
        ),
        (
            json!({"name": "x", "type": "EXTRACT", "cloneProcessorId": "ex_cls"}),
            "cloneProcessorId: processor `ex_cls` is `CLASSIFY`, not `EXTRACT`",
        ),
        (
            json!({"name": "x", "type": "EXTRACT", "config": "nope"}),
            "config",
        ),
    ];
    for (body, expected) in cases {
        let message = app
            .api_err(Method::POST, KEY_A, "/processors", Some(&body), 400)
            .await;
        assert!(message.contains(expected), "{body}: {message}");
    }
    let res = app
        .client
        .post(app.url("/processors"))
        .bearer_auth(KEY_A)
        .header("x-extend-api-version", VERSION)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/processors/ex_inv",
            Some(&json!({"config": {"type": "CLASSIFY"}})),
            400,
        )
        .await;
    assert!(message.contains("config.type"), "{message}");
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/processors/ex_inv/publish",
            Some(&json!({"releaseType": "major", "config": {"type": "EXTRACT", "schema": 3}})),
            400,
        )
        .await;
    assert!(message.contains("config.schema"), "{message}");
    let message = app
        .api_err(
            Method::POST,
            KEY_A,
            "/processors",
            Some(&json!({"name": "x", "type": "EXTRACT", "cloneProcessorId": "ex_nope"})),
            404,
        )
        .await;
    assert_eq!(message, "Processor `ex_nope` not found");
    assert_eq!(app.state_document().await, before, "nothing changed");
}

#[tokio::test]
async fn clone_copies_the_draft_config() {
    let app = spawn_app(&fixture()).await;
    let source = create(
        &app,
        json!({"name": "Source", "type": "EXTRACT", "config": extract_config()}),
    )
    .await;
    let clone = create(
        &app,
        json!({"name": "Clone", "type": "EXTRACT", "cloneProcessorId": source["id"]}),
    )
    .await;
    assert_ne!(clone["id"], source["id"]);
    assert_eq!(clone["draftVersion"]["config"], extract_config());
    assert_eq!(clone["name"], "Clone");
}

#[tokio::test]
async fn another_workspaces_processor_is_not_found_in_the_same_words() {
    let app = spawn_app(&fixture()).await;
    // ex_cls exists in ws_a only; ws_b's key sees a missing one.
    let calls: [(Method, &str, Option<Value>); 4] = [
        (
            Method::POST,
            "/processors/ex_cls",
            Some(json!({"name": "mine"})),
        ),
        (Method::GET, "/processors/ex_cls/versions", None),
        (
            Method::POST,
            "/processors/ex_cls/publish",
            Some(json!({"releaseType": "major"})),
        ),
        (Method::GET, "/processors/ex_cls/versions/exv_ex_cls", None),
    ];
    for (method, path, body) in calls {
        let foreign = app
            .api_err(method.clone(), KEY_B, path, body.as_ref(), 404)
            .await;
        let missing_path = path.replace("ex_cls", "ex_missing");
        let missing = app
            .api_err(method.clone(), KEY_A, &missing_path, body.as_ref(), 404)
            .await;
        assert_eq!(foreign, "Processor `ex_cls` not found", "{method} {path}");
        assert_eq!(
            missing, "Processor `ex_missing` not found",
            "{method} {path}"
        );
    }
    let b = app.api_ok(Method::GET, KEY_B, "/processors", None).await;
    assert!(!ids_of(&b, "processors").contains(&"ex_cls".to_owned()));
    // An organization key names the workspace per request.
    let res = app
        .client
        .get(app.url("/processors"))
        .bearer_auth(KEY_ORG_A)
        .header("x-extend-api-version", VERSION)
        .header("x-extend-workspace-id", "ws_b")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(ids_of(&body, "processors"), ["ex_inv"]);
    // Auth comes first, as on every route.
    let res = app.client.get(app.url("/processors")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_same_seed_makes_the_same_ids_and_reset_starts_the_stream_again() {
    let a = spawn_app(&fixture()).await;
    let b = spawn_app(&fixture()).await;
    let body = json!({"name": "x", "type": "EXTRACT", "config": extract_config()});
    let first = create(&a, body.clone()).await;
    assert_eq!(create(&b, body.clone()).await["id"], first["id"]);
    let second = create(&a, body.clone()).await;
    assert_ne!(second["id"], first["id"]);
    a.mock_ok(Method::POST, "/reset", None).await;
    let again = create(&a, body.clone()).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["draftVersion"]["id"], first["draftVersion"]["id"]);
}

fn declared_processor() -> Value {
    json!({
        "id": "ex_declared",
        "workspaceId": "ws_a",
        "name": "Declared Invoices",
        "type": "EXTRACT",
        "createdAt": minutes(1),
        "updatedAt": minutes(2),
        "draftVersion": {"id": "exv_declared_draft", "version": "draft", "config": extract_config(),
                         "createdAt": minutes(1), "updatedAt": minutes(2)},
        "versions": [{"id": "exv_declared_1", "version": "1.0", "description": "first",
                      "config": extract_config(), "createdAt": minutes(1), "updatedAt": minutes(1)}]
    })
}

#[tokio::test]
async fn declared_processors_load_and_their_runs_use_their_configs() {
    let mut doc = organizations_and_keys();
    doc["processors"] = json!([declared_processor()]);
    let mut r = run(
        "exr_d",
        "ws_a",
        "PROCESSED",
        "ex_declared",
        Some("EXTRACT"),
        "API",
        None,
        "x.pdf",
        5,
        6,
    );
    r["processorVersionId"] = json!("exv_declared_1");
    doc["processorRuns"] = json!([r]);
    let app = spawn_app(&doc).await;
    let listed = app.api_ok(Method::GET, KEY_A, "/processors", None).await;
    assert_eq!(ids_of(&listed, "processors"), ["ex_declared"]);
    assert_eq!(listed["processors"][0]["createdAt"], minutes(1));
    let full = app.get_run_ok(KEY_A, "exr_d").await;
    assert_eq!(full["config"], extract_config());
    let value = &full["output"]["value"];
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["invoice_number", "lines", "paid", "total"],
        "{value}"
    );
    assert!(value["total"].is_number() && value["paid"].is_boolean() && value["lines"].is_array());
    // The export round-trips the catalogue.
    let exported = app.state_document().await;
    assert_eq!(exported["processors"], json!([declared_processor()]));
    app.mock_ok(Method::PUT, "/fixtures", Some(&exported)).await;
    assert_eq!(app.state_document().await, exported);
}

#[tokio::test]
async fn runs_that_disagree_with_the_declared_catalogue_are_load_errors_naming_the_run() {
    let app = spawn_app(&organizations_and_keys()).await;
    let base = || {
        let mut doc = organizations_and_keys();
        doc["processors"] = json!([declared_processor()]);
        doc
    };
    let mut unknown = base();
    unknown["processorRuns"] = json!([run(
        "exr_x",
        "ws_a",
        "PROCESSED",
        "ex_other",
        Some("EXTRACT"),
        "API",
        None,
        "x.pdf",
        5,
        6
    )]);
    let mut wrong_type = base();
    let mut r = run(
        "exr_x",
        "ws_a",
        "PROCESSED",
        "ex_declared",
        Some("CLASSIFY"),
        "API",
        None,
        "x.pdf",
        5,
        6,
    );
    r["processorVersionId"] = json!("exv_declared_1");
    wrong_type["processorRuns"] = json!([r]);
    let mut wrong_version = base();
    wrong_version["processorRuns"] = json!([run(
        "exr_x",
        "ws_a",
        "PROCESSED",
        "ex_declared",
        Some("EXTRACT"),
        "API",
        None,
        "x.pdf",
        5,
        6
    )]);
    let mut bad_config = base();
    bad_config["processors"][0]["versions"][0]["config"] = json!({"type": "CLASSIFY"});
    let mut bad_number = base();
    bad_number["processors"][0]["versions"][0]["version"] = json!("one");
    let cases = [
        (
            unknown,
            "processorRuns[0]: processorId: processor `ex_other` is not among the document's processors",
        ),
        (
            wrong_type,
            "processorRuns[0]: type: the run is `CLASSIFY` but processor `ex_declared` is `EXTRACT`",
        ),
        (
            wrong_version,
            "processorRuns[0]: processorVersionId: `exv_ex_declared` is not a version of processor `ex_declared`",
        ),
        (
            bad_config,
            "processors[0]: versions[0].config.type: `CLASSIFY` does not match",
        ),
        (
            bad_number,
            "processors[0]: versions[0].version: `one` is not a version number",
        ),
    ];
    for (doc, expected) in cases {
        let res = app.mock(Method::PUT, "/fixtures", Some(&doc)).await;
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{message}");
    }
    // Runs of one processor that disagree on its type, with no catalogue declared.
    let mut doc = organizations_and_keys();
    doc["processorRuns"] = json!([
        run(
            "exr_1",
            "ws_a",
            "PROCESSED",
            "ex_p",
            Some("EXTRACT"),
            "API",
            None,
            "x.pdf",
            5,
            6
        ),
        run(
            "exr_2",
            "ws_a",
            "PROCESSED",
            "ex_p",
            Some("SPLITTER"),
            "API",
            None,
            "x.pdf",
            5,
            6
        ),
    ]);
    let res = app.mock(Method::PUT, "/fixtures", Some(&doc)).await;
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains(
            "processorRuns[1]: type: the run is `SPLITTER` but processor `ex_p` is `EXTRACT`"
        ),
        "{body}"
    );
}

#[tokio::test]
async fn runs_added_through_the_control_plane_join_or_grow_the_catalogue() {
    let app = spawn_app(&fixture()).await;
    let mut new_version = run(
        "exr_n1",
        "ws_a",
        "PROCESSED",
        "ex_inv",
        Some("EXTRACT"),
        "API",
        None,
        "x.pdf",
        500,
        500,
    );
    new_version["processorVersionId"] = json!("exv_inv_2");
    let new_processor = run(
        "exr_n2",
        "ws_a",
        "PROCESSED",
        "ex_new",
        Some("SPLITTER"),
        "API",
        None,
        "x.pdf",
        510,
        520,
    );
    app.mock_ok(
        Method::POST,
        "/processor_runs",
        Some(&json!({"processorRuns": [new_version, new_processor]})),
    )
    .await;
    let listed = app
        .api_ok(Method::GET, KEY_A, "/processors?maxPageSize=2", None)
        .await;
    assert_eq!(ids_of(&listed, "processors"), ["ex_new", "ex_inv"]);
    let versions: Vec<&str> = listed["processors"][1]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["draft", "2.0", "1.0"]);
    // A batch refused whole leaves the catalogue as it was.
    let before = app
        .api_ok(Method::GET, KEY_A, "/processors?maxPageSize=100", None)
        .await;
    let fresh = run(
        "exr_n3",
        "ws_a",
        "PROCESSED",
        "ex_newer",
        Some("EXTRACT"),
        "API",
        None,
        "x.pdf",
        600,
        600,
    );
    let clash = run(
        "exr_n4",
        "ws_a",
        "PROCESSED",
        "ex_new",
        Some("EXTRACT"),
        "API",
        None,
        "x.pdf",
        600,
        600,
    );
    let res = app
        .mock(
            Method::POST,
            "/processor_runs",
            Some(&json!({"processorRuns": [fresh, clash]})),
        )
        .await;
    assert_eq!(res.status(), 400);
    let after = app
        .api_ok(Method::GET, KEY_A, "/processors?maxPageSize=100", None)
        .await;
    assert_eq!(after, before);
}
