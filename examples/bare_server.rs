//! The load script's floor: bare hyper 1 on tokio, answering every request
//! with the bytes of one file (a page of 10 runs that extend-mock served). No
//! router, no middleware, no checks: what a request costs this machine beyond
//! the socket and HTTP/1 parsing, so extend-mock's figures read as a share of
//! it (`bench/load bare`). The same runtime settings as extend-mock's
//! (multi-threaded tokio, one worker per core) and the same release profile.
//!
//! ```text
//! cargo run --release --example bare_server -- page.json [PORT]
//! ```
//!
//! Prints `listening on http://ADDR` once it accepts connections.

use std::convert::Infallible;

use axum::body::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bare_server BODY_FILE [PORT]");
        std::process::exit(2);
    };
    let port: u16 = args
        .next()
        .map_or(Ok(0), |p| p.parse())
        .unwrap_or_else(|e| {
            eprintln!("bare_server: bad port: {e}");
            std::process::exit(2);
        });
    let body = Bytes::from(std::fs::read(&path)?);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(("127.0.0.1", port)).await?;
            println!("listening on http://{}", listener.local_addr()?);
            loop {
                let (stream, _) = listener.accept().await?;
                let body = body.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_request| {
                        let body = body.clone();
                        async move {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header(header::CONTENT_TYPE, "application/json")
                                    .body(Full::new(body))
                                    .expect("a fixed response is valid"),
                            )
                        }
                    });
                    // A client that goes away mid-request is not an error here.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
}
