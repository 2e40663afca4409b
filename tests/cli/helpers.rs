//! Start the binary as a user would and read what it prints.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const VERSION: &str = "2026-02-09";

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_extend-mock"))
}

/// A command for `program` with no `EXTEND_MOCK_*` leaking in from the
/// developer's shell, and logs sent to `log` so a full pipe never blocks it.
pub fn command(program: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars() {
        if name.starts_with("EXTEND_MOCK_") {
            cmd.env_remove(name);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true);
    cmd
}

pub struct Running {
    pub child: Child,
    pub base: String,
    pub port: u16,
    pub banner: Vec<String>,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

/// Starts the server and waits for its banner, which ends with the `try:` line.
pub async fn start(args: &[&str], envs: &[(&str, &str)]) -> Running {
    start_program(&binary(), args, envs, |_| {}).await
}

pub async fn start_program(
    program: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
    adjust: impl FnOnce(&mut Command),
) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut cmd = command(program, &log);
    cmd.args(args).envs(envs.iter().copied());
    adjust(&mut cmd);
    let mut child = cmd.spawn().expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let done = line.trim_start().starts_with("try:");
            banner.push(line);
            if done {
                break;
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .is_err()
    {
        panic!(
            "no banner within 30 s; stderr: {}",
            std::fs::read_to_string(&log).unwrap()
        );
    }
    assert!(
        !banner.is_empty(),
        "the server printed nothing; stderr: {}",
        std::fs::read_to_string(&log).unwrap()
    );
    let base = banner[0]
        .strip_prefix("extend-mock listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {}", banner[0]))
        .to_owned();
    let port = base.rsplit(':').next().unwrap().parse().unwrap();
    Running {
        child,
        base,
        port,
        banner,
        log,
        _dir: dir,
    }
}

impl Running {
    pub async fn list(&self, key: &str, query: &[(&str, &str)]) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}/processor_runs", self.base))
            .bearer_auth(key)
            .header("x-extend-api-version", VERSION)
            .query(query)
            .send()
            .await
            .unwrap()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// Sends SIGTERM, as `docker stop` does, and waits for the exit.
    pub async fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().expect("still running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("exits within 10 s of SIGTERM")
            .unwrap();
        (exit, self.stderr())
    }
}

/// Runs the binary to completion (for runs that must fail or exit at once):
/// exit code, standard output, standard error.
pub async fn run_to_exit(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(&binary(), &dir.path().join("unused.log"));
    cmd.args(args)
        .envs(envs.iter().copied())
        .stderr(Stdio::piped());
    let output = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("exits within 30 s")
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
