//! Where every log line goes: a buffer that requests append to under a short
//! lock, and a thread of its own that takes the whole buffer at once and
//! writes it to standard error. A request never waits on the terminal or
//! pipe, and never wakes the writer: under load the writer comes back on a
//! tick (or early, when a large batch has gathered), so a second's thousands
//! of lines cost a hundred wake-ups, not one each.
//!
//! It replaces `tracing-appender`'s non-blocking writer, whose channel woke
//! (or spun towards) its thread for every line: at `wrk -t1 -c32` that
//! thread took 14 % of the server's CPU samples, most of them yielding
//! (`perf`, BENCHMARKS.md). Lines keep their order (one buffer, appended
//! under its lock), a line is never split, and past `limit` bytes waiting new
//! lines are dropped and counted rather than waited for.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer lets lines gather between two writes under load:
/// the longest a line waits before it reaches standard error.
pub const TICK: Duration = Duration::from_millis(10);

/// Past this many bytes waiting, the writer is woken before its tick.
const WAKE_AT: usize = 256 * 1024;

/// A batch buffer larger than this is not kept for the next batch.
const KEEP_CAPACITY: usize = 4 * 1024 * 1024;

struct Pending {
    buf: Vec<u8>,
    /// The writer waits for a first line (the buffer was empty): the next
    /// line wakes it.
    idle: bool,
    closed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    dropped: AtomicU64,
    limit: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A line is plain bytes: a panic elsewhere leaves nothing half-made.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The appending end: cheap to clone, usable as a `tracing-subscriber`
/// writer (each event is one `write` call, so one line).
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
}

/// The writing end: `finish` writes out what is left and stops the thread.
pub struct LogWriter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writer thread on `out`; at most `limit` bytes wait for it.
pub fn start<W: Write + Send + 'static>(out: W, limit: usize) -> io::Result<(LogSink, LogWriter)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending {
            buf: Vec::new(),
            idle: false,
            closed: false,
        }),
        wake: Condvar::new(),
        dropped: AtomicU64::new(0),
        limit,
    });
    let thread = std::thread::Builder::new()
        .name("extend-mock-log".into())
        .spawn({
            let shared = Arc::clone(&shared);
            move || write_until_closed(&shared, out)
        })?;
    let sink = LogSink {
        shared: Arc::clone(&shared),
    };
    Ok((
        sink,
        LogWriter {
            shared,
            thread: Some(thread),
        },
    ))
}

impl LogSink {
    /// Queues one line (or several, whole); drops it when `limit` bytes
    /// already wait. After `finish` the line is written directly.
    pub fn append(&self, line: &[u8]) {
        let shared = &*self.shared;
        let mut pending = shared.lock();
        if pending.closed {
            drop(pending);
            let _ = io::stderr().write_all(line);
            return;
        }
        let before = pending.buf.len();
        if before + line.len() > shared.limit {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        pending.buf.extend_from_slice(line);
        let crossed = before < WAKE_AT && pending.buf.len() >= WAKE_AT;
        if pending.idle || crossed {
            pending.idle = false;
            drop(pending);
            shared.wake.notify_one();
        }
    }
}

impl Write for &LogSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = &'a LogSink;
    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

fn write_until_closed<W: Write>(shared: &Shared, mut out: W) {
    let mut batch = Vec::new();
    let mut pending = shared.lock();
    loop {
        if pending.buf.is_empty() {
            if pending.closed {
                return;
            }
            pending.idle = true;
            pending = shared
                .wake
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        std::mem::swap(&mut pending.buf, &mut batch);
        drop(pending);
        // Standard error gone (a closed pipe): the lines have nowhere to go.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        if batch.capacity() > KEEP_CAPACITY {
            batch = Vec::new();
        }
        pending = shared.lock();
        if !pending.closed && pending.buf.len() < WAKE_AT {
            pending = shared
                .wake
                .wait_timeout(pending, TICK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl LogWriter {
    /// Writes out every waiting line, stops the thread, and answers how many
    /// lines were dropped because standard error could not keep up.
    pub fn finish(mut self) -> u64 {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what the writer writes, and how many writes it made.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut c = self.0.lock().unwrap();
            c.0.extend_from_slice(buf);
            c.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_arrives_whole_and_in_each_threads_order() {
        let capture = Capture::default();
        let (sink, writer) = start(capture.clone(), 64 * 1024 * 1024).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let sink = sink.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        sink.append(format!("thread {t} line {i}\n").as_bytes());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(writer.finish(), 0);
        let (bytes, writes) = capture.0.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        let mut next = [0usize; 4];
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let (t, i): (usize, usize) = (parts[1].parse().unwrap(), parts[3].parse().unwrap());
            assert_eq!(i, next[t], "thread {t}'s lines out of order");
            next[t] += 1;
        }
        assert_eq!(next, [5_000; 4]);
        // Batched: far fewer writes than the 20,000 lines.
        assert!(writes < 20_000, "{writes} writes");
    }

    #[test]
    fn past_the_limit_lines_are_dropped_and_counted_never_waited_for() {
        /// A standard error that blocks until told to go on.
        struct Stuck(Arc<(Mutex<bool>, Condvar)>, Capture);
        impl Write for Stuck {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let (go, cv) = &*self.0;
                let mut go = go.lock().unwrap();
                while !*go {
                    go = cv.wait(go).unwrap();
                }
                self.1.write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let capture = Capture::default();
        let (sink, writer) = start(Stuck(Arc::clone(&gate), capture.clone()), 100).unwrap();
        // The first line is taken by the writer, which then blocks on it.
        sink.append(b"first line\n");
        while !sink.shared.lock().buf.is_empty() {
            std::thread::yield_now();
        }
        // Ten lines of 10 bytes fill the limit; the next 5 are dropped.
        for i in 0..15 {
            sink.append(format!("line {i:04}\n").as_bytes());
        }
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        assert_eq!(writer.finish(), 5);
        let text = String::from_utf8(capture.0.lock().unwrap().0.clone()).unwrap();
        let expected: String = std::iter::once("first line\n".to_owned())
            .chain((0..10).map(|i| format!("line {i:04}\n")))
            .collect();
        assert_eq!(text, expected);
    }

    #[test]
    fn an_idle_writer_is_woken_by_the_next_line() {
        let capture = Capture::default();
        let (sink, writer) = start(capture.clone(), 1024).unwrap();
        sink.append(b"one\n");
        // Let the writer write it and go idle, then send another.
        while capture.0.lock().unwrap().0.is_empty() {
            std::thread::yield_now();
        }
        while !sink.shared.lock().idle {
            std::thread::yield_now();
        }
        sink.append(b"two\n");
        while capture.0.lock().unwrap().0.len() < 8 {
            std::thread::yield_now();
        }
        assert_eq!(capture.0.lock().unwrap().0, b"one\ntwo\n");
        assert_eq!(writer.finish(), 0);
    }
}
