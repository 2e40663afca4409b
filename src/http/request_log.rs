//! The one log line every request writes at `--log-level info`, formatted by
//! hand: byte for byte what `tracing-subscriber`'s text or JSON format writes
//! for the same event (the tests compare the two), for a fraction of the
//! cost. With it, the default configuration serves about what `warn` serves
//! (BENCHMARKS.md). It goes to the same writer (`log_sink`) as every other
//! line, so lines stay in order and nothing waits on standard error.
//!
//! `startup` installs it when it sets logging up without colours; without it
//! (tests, embedders, a terminal with colours) the line goes through
//! `tracing` as usual.

use std::cell::RefCell;
use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::log_sink::LogSink;

use crate::http::wire::json;

/// The target `tracing` would give the line: this crate's envelope module.
pub const TARGET: &str = "extend_mock::http::envelope";

/// How lines are spelled: `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    Text,
    Json,
}

/// Where request lines go, set once at start-up.
pub struct RequestLog {
    writer: LogSink,
    format: LineFormat,
}

static INSTALLED: OnceLock<RequestLog> = OnceLock::new();

thread_local! {
    /// Each thread formats its lines in a buffer of its own, kept.
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

/// Sends request lines to `writer` from now on. A second call is ignored.
pub fn install(writer: LogSink, format: LineFormat) {
    let _ = INSTALLED.set(RequestLog { writer, format });
}

/// What one request's line says.
pub struct RequestLine<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub took: Duration,
    pub request_id: &'a str,
    pub key: &'a str,
}

/// Writes the line through the installed writer, or through `tracing` when
/// none is installed. The caller has checked that the line is enabled.
pub fn write(line: &RequestLine<'_>) {
    match INSTALLED.get() {
        Some(log) => LINE.with_borrow_mut(|buf| {
            buf.clear();
            format_line(buf, line, log.format, SystemTime::now());
            // A full buffer drops the line (and counts it): never wait here.
            log.writer.append(buf);
        }),
        None => through_tracing(line),
    }
}

/// The line as a `tracing` event, for whatever subscriber is set: what the
/// hand-written line stands in for.
fn through_tracing(line: &RequestLine<'_>) {
    tracing::info!(
        target: TARGET,
        method = %line.method,
        path = %line.path,
        status = line.status,
        ms = line.took.as_micros() as f64 / 1000.0,
        request_id = %line.request_id,
        key = line.key,
        "request"
    )
}

/// The line as `tracing-subscriber` would write it, newline included.
pub fn format_line(buf: &mut Vec<u8>, line: &RequestLine<'_>, format: LineFormat, now: SystemTime) {
    let micros = line.took.as_micros() as u64;
    match format {
        LineFormat::Text => {
            write_time(buf, now);
            buf.extend_from_slice(b"  INFO ");
            buf.extend_from_slice(TARGET.as_bytes());
            buf.extend_from_slice(b": request method=");
            buf.extend_from_slice(line.method.as_bytes());
            buf.extend_from_slice(b" path=");
            buf.extend_from_slice(line.path.as_bytes());
            buf.extend_from_slice(b" status=");
            json::write_u64(buf, u64::from(line.status));
            buf.extend_from_slice(b" ms=");
            json::write_thousandths(buf, micros);
            buf.extend_from_slice(b" request_id=");
            buf.extend_from_slice(line.request_id.as_bytes());
            buf.extend_from_slice(b" key=");
            let _ = write!(buf, "{:?}", line.key);
        }
        LineFormat::Json => {
            buf.extend_from_slice(b"{\"timestamp\":\"");
            write_time(buf, now);
            buf.extend_from_slice(
                b"\",\"level\":\"INFO\",\"fields\":{\"message\":\"request\",\"method\":",
            );
            json::write_str(buf, line.method);
            buf.extend_from_slice(b",\"path\":");
            json::write_str(buf, line.path);
            buf.extend_from_slice(b",\"status\":");
            json::write_u64(buf, u64::from(line.status));
            buf.extend_from_slice(b",\"ms\":");
            json::write_thousandths(buf, micros);
            buf.extend_from_slice(b",\"request_id\":");
            json::write_str(buf, line.request_id);
            buf.extend_from_slice(b",\"key\":");
            json::write_str(buf, line.key);
            buf.extend_from_slice(b"},\"target\":\"");
            buf.extend_from_slice(TARGET.as_bytes());
            buf.extend_from_slice(b"\"}");
        }
    }
    buf.push(b'\n');
}

/// The time as `tracing-subscriber`'s default timer writes it: RFC 3339 in
/// UTC with six fractional digits.
fn write_time(buf: &mut Vec<u8>, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    json::write_date_time(buf, i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
    buf.push(b'.');
    let mut micros = itoa::Buffer::new();
    let micros = micros.format(since.subsec_micros()).as_bytes();
    buf.resize(buf.len() + 6 - micros.len(), b'0');
    buf.extend_from_slice(micros);
    buf.push(b'Z');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Captures what a `tracing-subscriber` formatter writes.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn formatted_by_tracing(line: &RequestLine<'_>, format: LineFormat) -> String {
        let capture = Capture::default();
        let writer = capture.clone();
        let builder = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false);
        let emit = || super::through_tracing(line);
        match format {
            LineFormat::Text => tracing::subscriber::with_default(builder.finish(), emit),
            LineFormat::Json => tracing::subscriber::with_default(builder.json().finish(), emit),
        }
        String::from_utf8(capture.0.lock().unwrap().clone()).unwrap()
    }

    /// The time is the only part that differs; both put it first.
    fn without_time(line: &str, format: LineFormat) -> String {
        match format {
            LineFormat::Text => line.split_once(' ').unwrap().1.to_owned(),
            LineFormat::Json => {
                let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
                value.as_object_mut().unwrap().remove("timestamp");
                // Field order matters too: compare the text after the time.
                let (_, rest) = line.split_once("\",").unwrap();
                format!("{value}|{rest}")
            }
        }
    }

    #[test]
    fn lines_are_what_tracing_writes() {
        for micros in [0u64, 1, 10, 51, 100, 999, 1000, 1500, 12_340, 123_456_789] {
            for key in ["acme-workspace", "-", "quote\"and\\back", "tab\tand é"] {
                for path in ["/processor_runs", "/processor_runs/exr_1", "/v1/x%20y"] {
                    let line = RequestLine {
                        method: "GET",
                        path,
                        status: 404,
                        took: Duration::from_micros(micros),
                        request_id: "req_abc",
                        key,
                    };
                    for format in [LineFormat::Text, LineFormat::Json] {
                        let mut ours = Vec::new();
                        format_line(&mut ours, &line, format, SystemTime::now());
                        let ours = String::from_utf8(ours).unwrap();
                        let theirs = formatted_by_tracing(&line, format);
                        assert_eq!(
                            without_time(&ours, format),
                            without_time(&theirs, format),
                            "{format:?} {micros} {key:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_time_has_the_timers_shape() {
        let at = UNIX_EPOCH + Duration::from_micros(1_764_375_000_000_042);
        let mut buf = Vec::new();
        write_time(&mut buf, at);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "2025-11-29T00:10:00.000042Z"
        );
    }
}
