//! What the Docker image relies on, proven without Docker (no engine runs here).
//! The Dockerfile builds a statically linked release binary with the same command
//! as `build_static_binary` and copies it alone into a distroless/static image;
//! its environment sets the listen address and its HEALTHCHECK runs
//! `extend-mock healthcheck`. So: the binary must be static, start from an empty
//! folder with an empty environment plus those variables, answer, and pass its
//! own health check.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::*;

/// `cargo build --release` of this crate, statically linked, into its own
/// target folder (so it neither waits on nor disturbs the test build). The
/// first run takes a couple of minutes; later runs are no-ops.
fn build_static_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let host =
        String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout).unwrap();
    let target = host
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned();
    let target_dir = manifest_dir.join("target").join("static");
    let status = Command::new(cargo)
        .current_dir(manifest_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .args([
            "build",
            "--release",
            "--locked",
            "--bin",
            "extend-mock",
            "--target",
            &target,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the static release build failed");
    target_dir.join(target).join("release").join("extend-mock")
}

/// True when the ELF file asks for no program interpreter (no dynamic loader),
/// which is what running on distroless/static or scratch needs.
fn is_static_elf(bytes: &[u8]) -> bool {
    assert_eq!(&bytes[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(bytes[4], 2, "expected a 64-bit ELF");
    let u16_at = |o: usize| u16::from_le_bytes(bytes[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    const PT_INTERP: u32 = 3;
    (0..phnum).all(|i| u32_at(phoff + i * phentsize) != PT_INTERP)
}

#[tokio::test]
async fn the_static_release_binary_runs_alone_from_an_empty_folder() {
    let built = build_static_binary();
    let bytes = std::fs::read(&built).unwrap();
    assert!(
        is_static_elf(&bytes),
        "{} is dynamically linked",
        built.display()
    );
    assert!(
        !is_static_elf(&std::fs::read(binary()).unwrap()),
        "the check can tell a dynamic binary"
    );

    // An empty folder holding only the binary, like the image.
    let root = tempfile::tempdir().unwrap();
    let alone = root.path().join("extend-mock");
    std::fs::copy(&built, &alone).unwrap();

    // The image sets EXTEND_MOCK_HOST=0.0.0.0; tests stay on loopback.
    let envs = [("EXTEND_MOCK_HOST", "127.0.0.1"), ("EXTEND_MOCK_PORT", "0")];
    let server = start_program(&alone, &[], &envs, |cmd| {
        cmd.env_clear().envs(envs).current_dir(root.path());
    })
    .await;
    let body: Value = server.list("sk_test_acme", &[]).await.json().await.unwrap();
    assert_eq!(
        body["processorRuns"].as_array().unwrap().len(),
        10,
        "{body}"
    );

    // HEALTHCHECK ["/extend-mock", "healthcheck"], with only the image's variables.
    let port = server.port.to_string();
    let status = Command::new(&alone)
        .arg("healthcheck")
        .env_clear()
        .env("EXTEND_MOCK_HOST", "0.0.0.0")
        .env("EXTEND_MOCK_PORT", &port)
        .current_dir(root.path())
        .status()
        .unwrap();
    assert!(status.success());

    let (exit, _) = server.terminate().await;
    assert!(
        exit.success(),
        "docker stop (SIGTERM) ends it cleanly: {exit:?}"
    );
}

/// Copies a file, or a folder and everything in it.
fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
}

/// The Dockerfile's build stage sees only what its `COPY` lines bring in, and
/// cargo reads every target the manifest declares (a criterion bench among
/// them) before it builds any: from exactly those files, cargo must accept the
/// manifest and the lock file.
#[test]
fn the_files_the_dockerfile_copies_are_enough_for_cargo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut copied = Vec::new();
    for line in dockerfile.lines() {
        let Some(args) = line.strip_prefix("COPY ") else {
            continue;
        };
        if args.contains("--from") {
            continue;
        }
        let words: Vec<&str> = args.split_whitespace().collect();
        let (sources, _destination) = words.split_at(words.len() - 1);
        for source in sources {
            copy_tree(&root.join(source), &scratch.path().join(source));
            copied.push(source.to_string());
        }
    }
    assert!(copied.iter().any(|s| s == "Cargo.toml"), "{copied:?}");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(scratch.path())
        .args(["fetch", "--offline", "--locked"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo rejects the build stage's files {copied:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
