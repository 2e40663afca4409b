//! What the server does about clients that hold connections: a deadline
//! for a request's head (also the idle limit between requests), and a cap
//! on open connections past which one more is answered 503 and closed.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

async fn app(header_timeout: Duration, max_connections: usize) -> TestApp {
    let settings = extend_mock::Settings {
        header_timeout,
        max_connections,
        ..extend_mock::Settings::default()
    };
    spawn_app_with_settings(&fixture(), SECRET, settings).await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (at most 10 s); what came.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut got))
        .await
        .expect("the server never closed the connection")
        .ok();
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_half_sent_header_and_an_idle_connection_are_closed_at_the_deadline() {
    let app = app(Duration::from_millis(300), 100).await;
    let mut slow = connect(&app).await;
    slow.write_all(b"GET /processor_runs HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    read_to_close(&mut slow).await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A kept-alive connection: one answer, then closed once idle too long.
    let mut idle = connect(&app).await;
    idle.write_all(
        format!(
            "GET /processor_runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY_A}\r\n\
             x-extend-api-version: {VERSION}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let answered = read_to_close(&mut idle).await;
    assert!(answered.starts_with("HTTP/1.1 200 OK"), "{answered}");

    // The server goes on answering everyone else.
    assert_eq!(app.list_ok(KEY_A, &[]).await["success"], true);
}

#[tokio::test]
async fn past_the_connection_cap_one_more_is_answered_503_and_closed() {
    let app = app(Duration::from_secs(30), 2).await;
    let held = [connect(&app).await, connect(&app).await];
    // Let the server take both before the third arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect(&app).await;
    let answer = read_to_close(&mut third).await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{head}"
    );
    assert!(head.contains("retry-after: 1"), "{head}");
    let id = head
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap();
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(body["retryable"], true);
    assert_eq!(body["requestId"], id);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("--max-connections")
    );

    // One closes: a new client is served again.
    drop(held);
    let started = Instant::now();
    loop {
        let res = app.client.get(app.url("/_mock/health")).send().await;
        if res.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "never served again"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A connection that has sent the head of a `PUT /_mock/fixtures` whose
/// body is `size` bytes, and none of the body yet.
async fn start_fixture_put(app: &TestApp, size: usize) -> TcpStream {
    let mut stream = connect(app).await;
    stream
        .write_all(
            format!(
                "PUT /_mock/fixtures HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n\
                 content-length: {size}\r\nconnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    stream
}

/// A fixture document of `size` bytes: the test fixture, padded with spaces.
fn padded_document(size: usize) -> Vec<u8> {
    let mut bytes = fixture().to_string().into_bytes();
    assert!(bytes.len() < size);
    bytes.resize(size, b' ');
    bytes
}

#[tokio::test]
async fn large_control_plane_bodies_take_turns_and_small_ones_do_not_wait() {
    let settings = extend_mock::Settings {
        max_large_bodies: 1,
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let size = 2 * 1024 * 1024;
    let document = padded_document(size);

    // The first large body holds the one turn: its head and half of it sent.
    let mut first = start_fixture_put(&app, size).await;
    first.write_all(&document[..size / 2]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A second large body waits for it, whole as it is.
    let client = app.client.clone();
    let url = app.url("/_mock/fixtures");
    let second_body = document.clone();
    let second = tokio::spawn(async move {
        client
            .put(url)
            .header("content-type", "application/json")
            .body(second_body)
            .send()
            .await
            .unwrap()
            .status()
    });
    // A small body and the API go on meanwhile.
    let rule = app
        .mock(
            reqwest::Method::POST,
            "/rules",
            Some(&serde_json::json!({"processorId": "ex_cls", "hold": true})),
        )
        .await;
    assert_eq!(rule.status(), 201);
    app.list_ok(KEY_A, &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a second large body did not wait its turn"
    );

    // The first one ends; then the second gets its turn.
    first.write_all(&document[size / 2..]).await.unwrap();
    let answered = read_to_close(&mut first).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert_eq!(second.await.unwrap(), 200);
}

#[tokio::test]
async fn a_large_body_past_the_limit_is_413_before_it_is_read() {
    let app = app(Duration::from_secs(30), 100).await;
    let mut stream = connect(&app).await;
    // Declared past 512 MiB: refused from the head alone, nothing sent after it.
    stream
        .write_all(
            b"PUT /_mock/fixtures HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n\
              content-length: 600000000\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let answered = read_to_close(&mut stream).await;
    assert!(answered.starts_with("HTTP/1.1 413"), "{answered}");
    let body: Value = serde_json::from_str(answered.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["code"], "FILE_TOO_LARGE");
    assert!(
        body["message"].as_str().unwrap().contains("512 MiB"),
        "{body}"
    );
}

#[tokio::test]
async fn a_large_body_of_unknown_length_is_read_whole_in_its_turn() {
    let app = app(Duration::from_secs(30), 100).await;
    let document = padded_document(3 * 1024 * 1024);
    let mut stream = connect(&app).await;
    stream
        .write_all(
            b"PUT /_mock/fixtures HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n\
              transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    for chunk in document.chunks(256 * 1024) {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(chunk).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let answered = read_to_close(&mut stream).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert_eq!(
        app.state_document().await["processorRuns"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
}

#[tokio::test]
async fn a_request_the_http_layer_cannot_read_is_answered_in_the_apis_shape() {
    let app = app(Duration::from_secs(30), 100).await;
    let long_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(600_000)
    );
    for (request, status) in [
        (
            b"GET /processor_runs HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".to_vec(),
            400,
        ),
        (b"BR\x00KEN\r\n\r\n".to_vec(), 400),
        (long_header.into_bytes(), 431),
    ] {
        let mut stream = connect(&app).await;
        stream.write_all(&request).await.unwrap();
        let answered = read_to_close(&mut stream).await;
        let (head, body) = answered.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        let id = head
            .lines()
            .find_map(|l| l.strip_prefix("x-request-id: "))
            .expect("an x-request-id");
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], "INVALID_REQUEST");
        assert_eq!(body["retryable"], false);
        assert_eq!(body["requestId"], id);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("could not be read as HTTP/1.1"),
            "{body}"
        );
    }
    // The connection loop is unharmed: a good request right after.
    app.list_ok(KEY_A, &[]).await;
}

#[tokio::test]
async fn a_large_body_that_stops_coming_gives_its_turn_back() {
    let settings = extend_mock::Settings {
        max_large_bodies: 1,
        header_timeout: Duration::from_millis(400),
        ..extend_mock::Settings::default()
    };
    let app = spawn_app_with_settings(&fixture(), SECRET, settings).await;
    let size = 2 * 1024 * 1024;
    let document = padded_document(size);
    let mut stalled = start_fixture_put(&app, size).await;
    stalled.write_all(&document[..1024]).await.unwrap();
    // It holds the only turn, then stops: answered 400, and the turn is free.
    let answered = read_to_close(&mut stalled).await;
    assert!(answered.starts_with("HTTP/1.1 400"), "{answered}");
    assert!(answered.contains("--header-timeout"), "{answered}");
    let next = app
        .client
        .put(app.url("/_mock/fixtures"))
        .header("content-type", "application/json")
        .body(document)
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 200);
}
