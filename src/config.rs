//! `Config`: every flag, each paired with its `EXTEND_MOCK_*` variable. The doc
//! comments are the `--help` text; docs/configuration.md's flags table repeats them.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "extend-mock",
    version,
    about = "A local, stateful emulator of the Extend API (extract, classify, split, parse \
        and edit runs, form detection, workflows, batches, processor runs, processors, files, \
        webhooks).",
    long_about = "A local, stateful emulator of the Extend document-processing API.\n\n\
        Serves the current API's extract, classify, split, parse and edit runs (with their \
        sync calls, batches, extractors, classifiers, splitters, edit templates and \
        versions), form detection runs, workflows and their runs, and the legacy processor \
        runs (with their /v1 forms), processors and versions, as views of one store; files, \
        webhook endpoints and subscriptions too, from an in-memory store seeded with \
        fixtures: bearer keys, API versions, workspaces, filters, sorting and signed cursor \
        pages, computed the way the real API computes them; runs made through the API finish \
        on their own. Test suites steer it through /_mock/ (fixtures, faults, rules, journal, \
        sandboxes). With no flags it listens on 127.0.0.1:8080 with built-in demo fixtures \
        and prints the keys it accepts.\n\n\
        Every flag can also be set with the environment variable shown beside it."
)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on. The Docker image sets 0.0.0.0.
    #[arg(
        long,
        env = "EXTEND_MOCK_HOST",
        default_value = "127.0.0.1",
        global = true
    )]
    pub host: IpAddr,

    /// Port to listen on; 0 picks a free one and the startup line says which.
    #[arg(long, env = "EXTEND_MOCK_PORT", default_value_t = 8080, global = true)]
    pub port: u16,

    /// Fixture document (JSON file) or folder of them (its *.json files, in name
    /// order). Repeat the flag, or separate paths with commas, to merge several.
    /// Replaces the built-in fixtures.
    #[arg(long, env = "EXTEND_MOCK_FIXTURES", value_delimiter = ',')]
    pub fixtures: Vec<PathBuf>,

    /// Page size when a request sends no maxPageSize (1 to 1000).
    #[arg(long, env = "EXTEND_MOCK_PAGE_SIZE", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub page_size: u16,

    /// Secret that signs page tokens. Set it so tokens survive restarts and work
    /// across replicas; when unset, a random secret is made at start.
    #[arg(long, env = "EXTEND_MOCK_PAGE_SECRET", hide_env_values = true)]
    pub page_secret: Option<String>,

    /// Reject a page token reused with different filters (400) instead of
    /// continuing from its position with the new filters.
    #[arg(long, env = "EXTEND_MOCK_STRICT_PAGE_TOKENS")]
    pub strict_page_tokens: bool,

    /// Add N synthetic runs (made with the `fake` crate) to the fixtures.
    #[arg(long, env = "EXTEND_MOCK_GENERATE", value_name = "N")]
    pub generate: Option<usize>,

    /// Seed for --generate and for the ids of objects made through the API: the
    /// same seed makes the same runs and ids on every machine.
    #[arg(long, env = "EXTEND_MOCK_SEED", default_value_t = 42)]
    pub seed: u64,

    /// Put the generated runs in this workspace instead of spreading them over all.
    #[arg(
        long,
        env = "EXTEND_MOCK_GENERATE_WORKSPACE",
        value_name = "WORKSPACE_ID"
    )]
    pub generate_workspace: Option<String>,

    /// How long a run made with POST /processor_runs takes to finish
    /// (`0` = at once; `250ms`, `2s`, `1m`). A run whose input holds
    /// `__slow__` takes ten times as long.
    #[arg(long, env = "EXTEND_MOCK_PROCESSING_TIME", default_value = "2s",
          value_name = "DURATION", value_parser = parse_duration)]
    pub processing_time: std::time::Duration,

    /// Longest a `sync: true` create waits for its run to finish; past it the
    /// run is answered as it stands (still PROCESSING) and goes on.
    #[arg(long, env = "EXTEND_MOCK_SYNC_TIMEOUT", default_value = "300s",
          value_name = "DURATION", value_parser = parse_duration)]
    pub sync_timeout: std::time::Duration,

    /// After SIGTERM or Ctrl-C, how long requests in flight may take to
    /// finish before the server stops without them (under Docker's 10 s).
    #[arg(long, env = "EXTEND_MOCK_DRAIN_TIMEOUT", default_value = "5s",
          value_name = "DURATION", value_parser = parse_duration)]
    pub drain_timeout: std::time::Duration,

    /// Largest file POST /files/upload takes (bytes, or with KiB, MiB, GiB).
    #[arg(long, env = "EXTEND_MOCK_MAX_FILE_SIZE", default_value = "50MiB",
          value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: usize,

    /// Most bytes of uploaded files held at once, all workspaces of a
    /// sandbox together.
    #[arg(long, env = "EXTEND_MOCK_MAX_FILES_SIZE", default_value = "512MiB",
          value_name = "SIZE", value_parser = parse_size)]
    pub max_files_size: usize,

    /// Most sandboxes (isolated states, made through POST /_mock/sandboxes)
    /// kept at once besides the server's own; 0 turns sandboxes off.
    #[arg(
        long,
        env = "EXTEND_MOCK_MAX_SANDBOXES",
        default_value_t = 64,
        value_name = "N"
    )]
    pub max_sandboxes: usize,

    /// How long a webhook receiver has to answer an attempt.
    #[arg(long, env = "EXTEND_MOCK_WEBHOOK_TIMEOUT", default_value = "10s",
          value_name = "DURATION", value_parser = parse_duration)]
    pub webhook_timeout: std::time::Duration,

    /// Retries after a webhook attempt that got no 2xx (0: one attempt only).
    #[arg(
        long,
        env = "EXTEND_MOCK_WEBHOOK_RETRIES",
        default_value_t = 5,
        value_name = "N"
    )]
    pub webhook_retries: u32,

    /// The wait before the first webhook retry, doubled before each next one
    /// (`1s`: 1, 2, 4, 8, 16 s). `0` retries at once.
    #[arg(long, env = "EXTEND_MOCK_WEBHOOK_BACKOFF", default_value = "1s",
          value_name = "DURATION", value_parser = parse_duration)]
    pub webhook_backoff: std::time::Duration,

    /// Most webhook deliveries waiting to be sent (first attempt or retry),
    /// all endpoints of a sandbox together; past it the oldest waiting one
    /// is dropped (state `dropped`, with the reason), so receivers that
    /// never answer cannot make the server hold every event for ever.
    #[arg(long, env = "EXTEND_MOCK_WEBHOOK_MAX_PENDING", default_value_t = 10_000,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_max_pending: u32,

    /// Send webhooks to any address; by default only to loopback and private
    /// ones (where a test harness listens).
    #[arg(long, env = "EXTEND_MOCK_WEBHOOK_ALLOW_PUBLIC")]
    pub webhook_allow_public: bool,

    /// How long a client may take to send a request's head, and how long a
    /// connection may sit idle between requests; past it the connection is
    /// closed (a half-sent request never holds the server).
    #[arg(long, env = "EXTEND_MOCK_HEADER_TIMEOUT", default_value = "30s",
          value_name = "DURATION", value_parser = parse_duration)]
    pub header_timeout: std::time::Duration,

    /// Most connections open at once; one more is answered 503 and closed.
    #[arg(long, env = "EXTEND_MOCK_MAX_CONNECTIONS", default_value_t = 1000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Most control-plane bodies over 1 MiB (fixture documents, runs, sandboxes)
    /// read at once; more wait their turn. Each costs about its size in memory
    /// while it is parsed.
    #[arg(long, env = "EXTEND_MOCK_MAX_LARGE_BODIES", default_value_t = 2, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_large_bodies: u32,

    /// Most requests kept in the journal (GET /_mock/requests); older ones are dropped.
    #[arg(long, env = "EXTEND_MOCK_JOURNAL_SIZE", default_value_t = 1000)]
    pub journal_size: usize,

    /// Per-key request limit, such as `5/s`; over it the API answers 429
    /// RATE_LIMIT_EXCEEDED with Retry-After. Unlimited when unset.
    #[arg(long, env = "EXTEND_MOCK_RATE_LIMIT", value_name = "N/s", value_parser = parse_rate)]
    pub rate_limit: Option<NonZeroU32>,

    /// Require `Authorization: Bearer <token>` on /_mock/* (all but health, the OpenAPI document, the docs and the demo page's files).
    #[arg(long, env = "EXTEND_MOCK_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Turn the control plane off: only health, the OpenAPI document and the docs are served under /_mock/.
    #[arg(long, env = "EXTEND_MOCK_NO_CONTROL_PLANE")]
    pub no_control_plane: bool,

    /// Log format on standard error.
    #[arg(long, env = "EXTEND_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter, e.g. `info`, `debug`, or `extend_mock=debug,tower_http=warn`.
    #[arg(long, env = "EXTEND_MOCK_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

/// `5/s` or `5`: requests per second.
fn parse_rate(raw: &str) -> Result<NonZeroU32, String> {
    raw.trim()
        .trim_end_matches("/s")
        .parse::<NonZeroU32>()
        .map_err(|_| {
            format!("`{raw}` is not a rate such as `5/s` (a whole number above 0 per second)")
        })
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Exit 0 if a server on --host/--port answers GET /_mock/health, else 1.
    /// Made for Docker's HEALTHCHECK, where the image has no shell or curl.
    Healthcheck,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A size in bytes: a whole number, optionally followed by KiB, MiB or GiB
/// (or KB, MB, GB, read the same binary way).
pub fn parse_size(raw: &str) -> Result<usize, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("`{raw}` is not a size such as 1048576, 512KiB or 50MiB"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("`{other}` is not a size unit (KiB, MiB, GiB)")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{raw}` is too large"))
}

/// A duration: a whole number with `ms`, `s` or `m` (a bare `0` is zero).
pub fn parse_duration(raw: &str) -> Result<std::time::Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration such as 0, 250ms, 2s or 1m"))?;
    match unit.trim() {
        "" if number == 0 => Ok(std::time::Duration::ZERO),
        "ms" => Ok(std::time::Duration::from_millis(number)),
        "s" => Ok(std::time::Duration::from_secs(number)),
        "m" => Ok(std::time::Duration::from_secs(number.saturating_mul(60))),
        _ => Err(format!(
            "`{raw}` needs a unit: ms, s or m (0 alone is fine)"
        )),
    }
}
