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
