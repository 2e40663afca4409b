//! `--fixtures`: files, folders, merging, and documents that must stop start-up.

use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::*;

fn org_and_key() -> Value {
    json!({
        "organizations": [ { "id": "org_x", "name": "X", "workspaces": [ { "id": "ws_x", "name": "X" } ] } ],
        "apiKeys": [ { "token": "sk_x", "scope": "workspace", "workspaceId": "ws_x" } ]
    })
}

fn a_run(id: &str) -> Value {
    json!({
        "id": id, "workspaceId": "ws_x", "status": "PROCESSED", "processorId": "ex_1",
        "processorName": "Invoice Extractor", "processorVersionId": "exv_1", "type": "EXTRACT",
        "source": "API", "fileName": "a.pdf",
        "createdAt": "2024-03-21T15:29:55Z", "updatedAt": "2024-03-21T16:45:00Z"
    })
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

async fn listed_ids(server: &Running) -> Vec<String> {
    let body: Value = server
        .list("sk_x", &[("sortDir", "asc")])
        .await
        .json()
        .await
        .unwrap();
    body["processorRuns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn fixtures_replace_the_built_in_document_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "a_org.json", &org_and_key().to_string());
    let runs = write(
        dir.path(),
        "b_runs.json",
        &json!({ "processorRuns": [a_run("exr_1"), a_run("exr_2")] }).to_string(),
    );
    std::fs::write(dir.path().join("notes.txt"), "not a fixture").unwrap();

    // A folder: its *.json files, merged; the built-in keys are gone.
    let folder = dir.path().display().to_string();
    let server = start(&["--port", "0", "--fixtures", &folder], &[]).await;
    assert_eq!(listed_ids(&server).await, ["exr_1", "exr_2"]);
    assert_eq!(server.list("sk_test_acme", &[]).await.status(), 401);
    assert!(
        server
            .banner
            .join("\n")
            .contains("1 organization, 1 workspace, 2 processor runs")
    );

    // The flag repeated, and the variable with commas, do the same.
    let server = start(
        &["--port", "0", "--fixtures", &base, "--fixtures", &runs],
        &[],
    )
    .await;
    assert_eq!(listed_ids(&server).await, ["exr_1", "exr_2"]);
    let joined = format!("{base},{runs}");
    let server = start(&["--port", "0"], &[("EXTEND_MOCK_FIXTURES", &joined)]).await;
    assert_eq!(listed_ids(&server).await, ["exr_1", "exr_2"]);
}

#[tokio::test]
async fn a_bad_document_stops_start_up_naming_the_file_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let with_runs = |runs: Vec<Value>| {
        let mut doc = org_and_key();
        doc["processorRuns"] = runs.into();
        doc.to_string()
    };
    let mut bad_status = a_run("exr_1");
    bad_status["status"] = json!("DONE");
    let mut other_ws = a_run("exr_1");
    other_ws["workspaceId"] = json!("ws_nowhere");
    let mut backwards = a_run("exr_1");
    backwards["updatedAt"] = json!("2024-03-21T15:00:00Z");
    let mut bad_time = a_run("exr_1");
    bad_time["createdAt"] = json!("yesterday");
    let mut missing = a_run("exr_1");
    missing.as_object_mut().unwrap().remove("fileName");
    let mut typo = a_run("exr_1");
    typo["filename"] = json!("a.pdf");
    let mut bad_type = a_run("exr_1");
    bad_type["type"] = json!("OCR");
    let mut long_id = a_run("exr_1");
    long_id["id"] = json!("x".repeat(256));

    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("not JSON", "{ \"organizations\": [".into(), vec!["EOF"]),
        ("unknown status", with_runs(vec![bad_status]), vec!["processorRuns[0].status", "`DONE` is not one of"]),
        ("unknown type", with_runs(vec![bad_type]), vec!["processorRuns[0].type", "`OCR`"]),
        ("duplicate id", with_runs(vec![a_run("exr_1"), a_run("exr_1")]), vec!["processorRuns[1]", "duplicate run id `exr_1`"]),
        ("unknown workspace", with_runs(vec![other_ws]), vec!["processorRuns[0]", "workspaceId", "ws_nowhere"]),
        ("updatedAt before createdAt", with_runs(vec![backwards]), vec!["processorRuns[0]", "updatedAt", "earlier than createdAt"]),
        ("bad timestamp", with_runs(vec![bad_time]), vec!["processorRuns[0].createdAt", "RFC 3339"]),
        ("missing field", with_runs(vec![missing]), vec!["processorRuns[0]", "missing field `fileName`"]),
        ("misspelt field", with_runs(vec![typo]), vec!["processorRuns[0]", "unknown field `filename`"]),
        ("id too long", with_runs(vec![long_id]), vec!["processorRuns[0].id", "255"]),
        ("misspelt top-level key", r#"{"processorRun": []}"#.into(), vec!["unknown field `processorRun`"]),
        (
            "key for an unknown workspace",
            json!({ "organizations": [], "apiKeys": [ { "token": "t", "scope": "workspace", "workspaceId": "ws_q" } ] }).to_string(),
            vec!["apiKeys[0]", "workspaceId", "ws_q"],
        ),
        (
            "organization key without organization",
            json!({ "apiKeys": [ { "token": "t", "scope": "organization" } ] }).to_string(),
            vec!["apiKeys[0]", "organizationId"],
        ),
        (
            "duplicate workspace",
            json!({ "organizations": [
                { "id": "o1", "name": "1", "workspaces": [ { "id": "w", "name": "w" } ] },
                { "id": "o2", "name": "2", "workspaces": [ { "id": "w", "name": "w" } ] } ] }).to_string(),
            vec!["organizations[1]", "duplicate workspace id `w`"],
        ),
    ];
    for (i, (case, content, needles)) in cases.into_iter().enumerate() {
        let file = write(dir.path(), &format!("case_{i}.json"), &content);
        let (code, stdout, stderr) = run_to_exit(&["--port", "0", "--fixtures", &file], &[]).await;
        assert_ne!(code, 0, "{case}: should not start");
        assert!(stdout.is_empty(), "{case}: printed a banner: {stdout}");
        assert!(
            stderr.contains(&file),
            "{case}: stderr does not name {file}: {stderr}"
        );
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{case}: stderr lacks `{needle}`: {stderr}"
            );
        }
        assert_eq!(
            stderr.lines().count(),
            1,
            "{case}: one clear message: {stderr}"
        );
    }
}

#[tokio::test]
async fn missing_paths_and_empty_folders_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json").display().to_string();
    let (code, _, stderr) = run_to_exit(&["--port", "0", "--fixtures", &missing], &[]).await;
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&missing) && stderr.contains("No such file"),
        "{stderr}"
    );

    let empty = tempfile::tempdir().unwrap();
    let folder = empty.path().display().to_string();
    let (code, _, stderr) = run_to_exit(&["--port", "0", "--fixtures", &folder], &[]).await;
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&folder) && stderr.contains("no .json"),
        "{stderr}"
    );
}

#[tokio::test]
async fn runs_may_refer_to_a_workspace_declared_in_another_file() {
    let dir = tempfile::tempdir().unwrap();
    // Name order puts the runs first; merging still resolves the workspace.
    write(
        dir.path(),
        "1_runs.json",
        &json!({ "processorRuns": [a_run("exr_9")] }).to_string(),
    );
    write(dir.path(), "2_org.json", &org_and_key().to_string());
    let folder = dir.path().display().to_string();
    let server = start(&["--port", "0", "--fixtures", &folder], &[]).await;
    assert_eq!(listed_ids(&server).await, ["exr_9"]);
}
