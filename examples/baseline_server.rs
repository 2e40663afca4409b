//! The load script's yardstick: the smallest server this stack can make. It
//! answers every request, whatever its path or headers, with the bytes of one
//! file (a page of 10 runs that extend-mock served), so the difference between
//! its figures and extend-mock's is the cost of the emulator's own work.
//!
//! Same runtime (tokio, multi-threaded), same HTTP stack (axum on hyper), same
//! release profile; nothing else. Used by `bench/load`:
//!
//! ```text
//! cargo run --release --example baseline_server -- page.json [PORT]
//! ```
//!
//! Prints `listening on http://ADDR` once it accepts connections.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: baseline_server BODY_FILE [PORT]");
        std::process::exit(2);
    };
    let port: u16 = args
        .next()
        .map_or(Ok(0), |p| p.parse())
        .unwrap_or_else(|e| {
            eprintln!("baseline_server: bad port: {e}");
            std::process::exit(2);
        });
    let body = Bytes::from(std::fs::read(&path)?);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let app = Router::new().fallback(move || {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            });
            let listener = TcpListener::bind(("127.0.0.1", port)).await?;
            println!("listening on http://{}", listener.local_addr()?);
            axum::serve(listener, app).await
        })
}
