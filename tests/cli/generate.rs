//! `--generate N --seed S`: the same runs for the same seed, byte for byte.

use serde_json::Value;

use crate::helpers::*;

/// Every page of a workspace, as raw response bodies.
async fn all_pages(server: &Running, key: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("maxPageSize", "100")];
        if let Some(t) = &token {
            query.push(("nextPageToken", t));
        }
        let text = server.list(key, &query).await.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        bodies.push(text);
        match body["nextPageToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return bodies,
        }
    }
}

#[tokio::test]
async fn the_same_seed_gives_byte_identical_answers() {
    let args = [
        "--port",
        "0",
        "--generate",
        "600",
        "--seed",
        "7",
        "--page-secret",
        "s",
    ];
    let first = start(&args, &[]).await;
    let second = start(&args, &[]).await;
    let other = start(
        &[
            "--port",
            "0",
            "--generate",
            "600",
            "--seed",
            "8",
            "--page-secret",
            "s",
        ],
        &[],
    )
    .await;
    assert!(
        first.banner[1].contains("+ 600 generated (seed 7)"),
        "{:?}",
        first.banner
    );

    let a = all_pages(&first, "sk_test_acme").await;
    assert!(a.len() > 2, "several pages of generated runs");
    assert_eq!(a, all_pages(&second, "sk_test_acme").await);
    assert_ne!(a, all_pages(&other, "sk_test_acme").await);

    let fixtures = |s: &Running| {
        let url = format!("{}/_mock/fixtures", s.base);
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    assert_eq!(fixtures(&first).await, fixtures(&second).await);
}

#[tokio::test]
async fn generated_runs_go_where_they_are_told() {
    let server = start(
        &[
            "--port",
            "0",
            "--generate",
            "300",
            "--generate-workspace",
            "ws_initech",
        ],
        &[],
    )
    .await;
    let health: Value = reqwest::get(format!("{}/_mock/health", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["processorRuns"], 372);
    let body: Value = server
        .list("sk_test_initech", &[("maxPageSize", "1000")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["processorRuns"].as_array().unwrap().len(), 312);
    let body: Value = server
        .list("sk_test_globex", &[("maxPageSize", "1000")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["processorRuns"].as_array().unwrap().len(),
        20,
        "other workspaces keep only their fixtures"
    );

    let (code, _, stderr) = run_to_exit(
        &[
            "--port",
            "0",
            "--generate",
            "5",
            "--generate-workspace",
            "ws_nope",
        ],
        &[],
    )
    .await;
    assert_ne!(code, 0);
    assert!(stderr.contains("unknown workspace `ws_nope`"), "{stderr}");
}

#[tokio::test]
async fn reset_regenerates_the_same_runs() {
    let server = start(&["--port", "0", "--generate", "200", "--seed", "3"], &[]).await;
    let url = format!("{}/_mock/fixtures", server.base);
    let before = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let client = reqwest::Client::new();
    let empty = r#"{"organizations":[],"apiKeys":[],"processorRuns":[]}"#;
    let res = client.put(&url).body(empty).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .post(format!("{}/_mock/reset", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        reqwest::get(&url).await.unwrap().text().await.unwrap(),
        before
    );
}
