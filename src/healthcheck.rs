//! `extend-mock healthcheck`: a tiny HTTP client for Docker's HEALTHCHECK, where
//! the distroless image has no shell, curl or wget. Plain `std` I/O on purpose: one
//! GET on loopback does not justify an HTTP client library in the binary.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

const TIMEOUT: Duration = Duration::from_secs(3);

/// The server listens on `host`; a wildcard address is reached on loopback.
pub fn target(host: IpAddr, port: u16) -> SocketAddr {
    let ip = if host.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host
    };
    SocketAddr::new(ip, port)
}

/// Ok when `GET /_mock/health` answers 200.
pub fn check(address: SocketAddr) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET /_mock/health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .with_context(|| format!("no answer from {address}"))?;
    let head = String::from_utf8_lossy(&response);
    let status_line = head.lines().next().unwrap_or("");
    if status_line.split_whitespace().nth(1) != Some("200") {
        bail!("{address} answered `{status_line}` to GET /_mock/health");
    }
    Ok(())
}
