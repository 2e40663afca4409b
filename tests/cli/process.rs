//! Startup, configuration, signals and the healthcheck subcommand.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_banner_names_the_address_the_keys_and_a_curl_line_that_works() {
    let server = start(&["--port", "0"], &[]).await;
    let banner = server.banner.join("\n");
    assert!(
        server.base.starts_with("http://127.0.0.1:") && server.port != 0,
        "{banner}"
    );
    assert!(
        banner.contains("built-in fixtures (2 organizations, 3 workspaces, 72 processor runs)"),
        "{banner}"
    );
    assert_eq!(
        server.banner[2],
        format!("  version: {}", env!("CARGO_PKG_VERSION")),
        "{banner}"
    );
    assert_eq!(
        server.banner[3],
        format!("  demo page: {}/_mock/ui", server.base),
        "{banner}"
    );
    for key in [
        "sk_test_acme",
        "sk_test_globex",
        "sk_test_org",
        "sk_test_old",
        "sk_test_initech",
        "sk_test_initech_org",
    ] {
        assert!(banner.contains(key), "{key} missing from:\n{banner}");
    }
    assert!(
        banner.contains("defaults to API version 2024-12-23"),
        "{banner}"
    );

    // Paste the `try:` line into a shell, exactly as printed.
    let line = server
        .banner
        .last()
        .unwrap()
        .trim_start()
        .strip_prefix("try:")
        .unwrap()
        .trim()
        .to_owned();
    let output = std::process::Command::new("sh")
        .args(["-c", &line])
        .output()
        .expect("sh runs");
    assert!(
        output.status.success(),
        "`{line}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let body: Value = serde_json::from_slice(&output.stdout).expect("curl printed JSON");
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["processorRuns"].as_array().unwrap().len(), 3, "{body}");
    assert!(body["nextPageToken"].is_string());
}

#[tokio::test]
async fn every_flag_can_come_from_the_environment() {
    let server = start(
        &[],
        &[
            ("EXTEND_MOCK_HOST", "127.0.0.1"),
            ("EXTEND_MOCK_PORT", "0"),
            ("EXTEND_MOCK_PAGE_SIZE", "3"),
            ("EXTEND_MOCK_STRICT_PAGE_TOKENS", "true"),
            ("EXTEND_MOCK_LOG_FORMAT", "json"),
            ("EXTEND_MOCK_LOG_LEVEL", "info"),
            ("EXTEND_MOCK_PAGE_SECRET", "env-secret"),
            ("EXTEND_MOCK_GENERATE", "10"),
            ("EXTEND_MOCK_SEED", "5"),
            ("EXTEND_MOCK_GENERATE_WORKSPACE", "ws_globex"),
            ("EXTEND_MOCK_JOURNAL_SIZE", "2"),
            ("EXTEND_MOCK_RATE_LIMIT", "1000/s"),
            ("EXTEND_MOCK_ADMIN_TOKEN", "adm"),
        ],
    )
    .await;
    assert!(
        server.banner[1].contains("+ 10 generated (seed 5)"),
        "{:?}",
        server.banner
    );
    let client = reqwest::Client::new();
    let journal_url = format!("{}/_mock/requests", server.base);
    assert_eq!(
        client.get(&journal_url).send().await.unwrap().status(),
        401,
        "EXTEND_MOCK_ADMIN_TOKEN"
    );
    let res = server
        .list("sk_test_acme", &[("status", "PROCESSED")])
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["processorRuns"].as_array().unwrap().len(),
        3,
        "EXTEND_MOCK_PAGE_SIZE=3"
    );
    let token = body["nextPageToken"].as_str().unwrap();
    let res = server
        .list(
            "sk_test_acme",
            &[("status", "FAILED"), ("nextPageToken", token)],
        )
        .await;
    assert_eq!(res.status(), 400, "EXTEND_MOCK_STRICT_PAGE_TOKENS=true");

    let (exit, stderr) = server.terminate().await;
    assert!(exit.success());
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "extend-mock ready"),
        "{stderr}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["status"] == 400),
        "the request log says what happened: {stderr}"
    );
}

#[tokio::test]
async fn help_explains_every_flag_and_its_variable() {
    let (code, stdout, _) = run_to_exit(&["--help"], &[]).await;
    assert_eq!(code, 0);
    for (flag, variable) in [
        ("--host", "EXTEND_MOCK_HOST"),
        ("--port", "EXTEND_MOCK_PORT"),
        ("--fixtures", "EXTEND_MOCK_FIXTURES"),
        ("--page-size", "EXTEND_MOCK_PAGE_SIZE"),
        ("--page-secret", "EXTEND_MOCK_PAGE_SECRET"),
        ("--strict-page-tokens", "EXTEND_MOCK_STRICT_PAGE_TOKENS"),
        ("--log-format", "EXTEND_MOCK_LOG_FORMAT"),
        ("--log-level", "EXTEND_MOCK_LOG_LEVEL"),
        ("--generate", "EXTEND_MOCK_GENERATE"),
        ("--seed", "EXTEND_MOCK_SEED"),
        ("--generate-workspace", "EXTEND_MOCK_GENERATE_WORKSPACE"),
        ("--journal-size", "EXTEND_MOCK_JOURNAL_SIZE"),
        ("--rate-limit", "EXTEND_MOCK_RATE_LIMIT"),
        ("--admin-token", "EXTEND_MOCK_ADMIN_TOKEN"),
        ("--no-control-plane", "EXTEND_MOCK_NO_CONTROL_PLANE"),
    ] {
        assert!(
            stdout.contains(flag) && stdout.contains(variable),
            "{flag} / {variable} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("healthcheck"), "{stdout}");
}

#[tokio::test]
async fn bad_configuration_fails_at_start_with_a_message() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (&["--page-size", "0"], &[], "--page-size"),
        (&["--page-size", "1001"], &[], "--page-size"),
        (&["--port", "http"], &[], "--port"),
        (&["--host", "localhost:80"], &[], "--host"),
        (&["--log-format", "xml"], &[], "--log-format"),
        (&["--log-level", "extend_mock=loud"], &[], "--log-level"),
        (
            &[],
            &[("EXTEND_MOCK_PAGE_SIZE", "many")],
            "EXTEND_MOCK_PAGE_SIZE=\"many\" is not a valid value for --page-size",
        ),
        (
            &[],
            &[("EXTEND_MOCK_PROCESSING_TIME", "5x")],
            "EXTEND_MOCK_PROCESSING_TIME=\"5x\"",
        ),
        (&["--max-file-size", "lots"], &[], "--max-file-size"),
        (&["--rate-limit", "0/s"], &[], "--rate-limit"),
        (&["--rate-limit", "fast"], &[], "--rate-limit"),
        (&["--generate", "lots"], &[], "--generate"),
        (&["--webhook-backoff", "soon"], &[], "--webhook-backoff"),
        (&["--webhook-retries", "some"], &[], "--webhook-retries"),
        (&["--max-connections", "0"], &[], "--max-connections"),
        (&["--header-timeout", "forever"], &[], "--header-timeout"),
        (&["--max-sandboxes", "many"], &[], "--max-sandboxes"),
    ];
    for (args, envs, needle) in cases {
        let (code, _, stderr) = run_to_exit(args, envs).await;
        assert_ne!(code, 0, "{args:?} {envs:?} should fail");
        assert!(
            stderr.contains(needle),
            "{args:?}: stderr lacks {needle}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let (code, _, stderr) = run_to_exit(&["--port", &port], &[]).await;
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("--port 0 picks a free one"), "{stderr}");
}

/// A document without keys still starts, and says what that means.
#[tokio::test]
async fn a_document_without_keys_is_warned_about_and_the_banner_counts_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nokeys.json");
    std::fs::write(
        &path,
        r#"{"organizations":[{"id":"o","name":"O","workspaces":[{"id":"w","name":"W"}]}]}"#,
    )
    .unwrap();
    let server = start(&["--port", "0", "--fixtures", path.to_str().unwrap()], &[]).await;
    let banner = server.banner.join("\n");
    assert!(
        banner.contains("(1 organization, 1 workspace, 0 processor runs)"),
        "{banner}"
    );
    assert!(
        banner.contains("API keys: none; every API request will answer 401"),
        "{banner}"
    );
    let (_, stderr) = server.terminate().await;
    assert!(
        stderr.contains("the fixtures declare no apiKeys"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sigterm_and_ctrl_c_stop_the_server_cleanly() {
    let server = start(&["--port", "0"], &[]).await;
    let (exit, stderr) = server.terminate().await;
    assert!(exit.success(), "{exit:?}");
    assert!(
        stderr.contains("SIGTERM received") && stderr.contains("stopped cleanly"),
        "{stderr}"
    );

    let server = start(&["--port", "0"], &[]).await;
    let pid = server.child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let mut child = server.child;
    let exit = child.wait().await.unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// A client that never finishes its request, or a request an injected delay
/// holds, cannot keep the server from stopping: past --drain-timeout it stops
/// without them (reproduced first: SIGTERM never finished).
#[tokio::test]
async fn sigterm_stops_within_the_drain_timeout_whatever_the_clients_do() {
    use tokio::io::AsyncWriteExt;
    let server = start(&["--port", "0", "--drain-timeout", "500ms"], &[]).await;
    let mut half = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    half.write_all(b"GET /processor_runs HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/_mock/faults", server.base))
        .json(&serde_json::json!({"delayMs": 60000, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let held = tokio::spawn({
        let url = format!("{}/processor_runs", server.base);
        async move {
            let _ = client
                .get(url)
                .bearer_auth("sk_test_acme")
                .header("x-extend-api-version", VERSION)
                .send()
                .await;
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Without the deadline this waits for the half-sent request forever.
    let (exit, stderr) =
        tokio::time::timeout(std::time::Duration::from_secs(60), server.terminate())
            .await
            .expect("SIGTERM did not stop the server");
    assert!(exit.success(), "{exit:?}: {stderr}");
    assert!(stderr.contains("stopped without them"), "{stderr}");
    held.abort();
    drop(half);
}

/// Runs in flight belong to the process: SIGTERM does not wait for them.
#[tokio::test]
async fn shutdown_does_not_wait_for_runs_in_flight() {
    let server = start(&["--port", "0", "--processing-time", "10m"], &[]).await;
    let client = reqwest::Client::new();
    for _ in 0..100 {
        let res = client
            .post(format!("{}/processor_runs", server.base))
            .bearer_auth("sk_test_acme")
            .header("x-extend-api-version", VERSION)
            .json(&serde_json::json!({"processorId": "ex_z24v9oP5EHPKAuLAeoYsS", "rawText": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // The runs are due in ten minutes; a shutdown that waited for them would
    // hang here, not be slow.
    let (exit, stderr) =
        tokio::time::timeout(std::time::Duration::from_secs(120), server.terminate())
            .await
            .expect("SIGTERM waited for the runs in flight");
    assert!(exit.success(), "{exit:?}");
    assert!(stderr.contains("stopped cleanly"), "{stderr}");
}

/// The request log is written by a thread of its own; whatever it still
/// holds at SIGTERM is written out before the process exits.
#[tokio::test]
async fn every_request_line_is_written_before_exit() {
    let server = start(&["--port", "0"], &[]).await;
    for _ in 0..200 {
        assert_eq!(server.list("sk_test_acme", &[]).await.status(), 200);
    }
    let (exit, stderr) = server.terminate().await;
    assert!(exit.success(), "{exit:?}");
    let lines = stderr
        .lines()
        .filter(|l| l.contains("request") && l.contains("path=/processor_runs"))
        .count();
    assert_eq!(lines, 200, "{stderr}");
    assert!(stderr.trim_end().ends_with("stopped cleanly"), "{stderr}");
    assert!(!stderr.contains("dropped"), "{stderr}");
}

#[tokio::test]
async fn the_healthcheck_subcommand_reports_readiness() {
    let server = start(&["--port", "0"], &[]).await;
    let port = server.port.to_string();
    let (code, _, stderr) = run_to_exit(&["healthcheck", "--port", &port], &[]).await;
    assert_eq!(code, 0, "{stderr}");
    // The image sets the address through the environment; a wildcard host is
    // checked on loopback.
    let (code, _, _) = run_to_exit(
        &["healthcheck"],
        &[("EXTEND_MOCK_PORT", &port), ("EXTEND_MOCK_HOST", "0.0.0.0")],
    )
    .await;
    assert_eq!(code, 0);
    drop(server);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let (code, _, stderr) = run_to_exit(&["healthcheck", "--port", &closed_port], &[]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot connect"), "{stderr}");
}

#[tokio::test]
async fn a_page_secret_keeps_tokens_valid_across_a_restart() {
    let args = ["--port", "0", "--page-secret", "keep-me"];
    let first = start(&args, &[]).await;
    let body: Value = first.list("sk_test_acme", &[]).await.json().await.unwrap();
    let token = body["nextPageToken"].as_str().unwrap().to_owned();
    let expected: Value = first
        .list("sk_test_acme", &[("nextPageToken", &token)])
        .await
        .json()
        .await
        .unwrap();
    first.terminate().await;

    let second = start(&args, &[]).await;
    let res = second
        .list("sk_test_acme", &[("nextPageToken", &token)])
        .await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["processorRuns"], expected["processorRuns"]);

    // Without the secret, a restart makes a new one and old tokens are refused.
    let random = start(&["--port", "0"], &[]).await;
    let res = random
        .list("sk_test_acme", &[("nextPageToken", &token)])
        .await;
    assert_eq!(res.status(), 400);
}
