//! What the Docker image relies on, proven without Docker (no engine runs here).
//! The Dockerfile builds a statically linked release binary from the files its
//! `COPY` lines bring in, with the command `build_static_binary` runs on exactly
//! those files, and copies it alone into a distroless/static image;
//! its environment sets the listen address and its HEALTHCHECK runs
//! `extend-mock healthcheck`. So: the binary must be static, start from an empty
//! folder with an empty environment plus those variables, answer, and pass its
//! own health check.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::*;

/// Cargo's scratch folder for integration tests, inside the target folder
/// (`CARGO_TARGET_TMPDIR`): whatever `CARGO_TARGET_DIR` or `--target-dir`
/// says, this test's builds go there and nowhere in the source tree.
fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// The sources the Dockerfile's build stage `COPY`s in (all but `--from`).
fn dockerfile_copies(root: &Path) -> Vec<String> {
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let mut sources = Vec::new();
    for line in dockerfile.lines() {
        let Some(args) = line.strip_prefix("COPY ") else {
            continue;
        };
        if args.contains("--from") {
            continue;
        }
        let words: Vec<&str> = args.split_whitespace().collect();
        let (from, _destination) = words.split_at(words.len() - 1);
        sources.extend(from.iter().map(|s| s.to_string()));
    }
    sources
}

/// Removes a file or a folder and everything in it.
fn remove(path: &Path) {
    let removed = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    removed.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Makes `to` hold exactly what `from` holds (a file, or a folder and
/// everything in it). A file whose bytes are already there is left alone, so
/// its modification time stays and cargo does not rebuild on every test run.
fn mirror(from: &Path, to: &Path) {
    if from.is_dir() {
        if to.is_file() {
            remove(to);
        }
        std::fs::create_dir_all(to).unwrap();
        let mut wanted = std::collections::HashSet::new();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            wanted.insert(entry.file_name());
            mirror(&entry.path(), &to.join(entry.file_name()));
        }
        for entry in std::fs::read_dir(to).unwrap() {
            let entry = entry.unwrap();
            if !wanted.contains(&entry.file_name()) {
                remove(&entry.path());
            }
        }
    } else {
        let bytes = std::fs::read(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        if to.is_dir() {
            remove(to);
        }
        if std::fs::read(to).ok().as_deref() != Some(&bytes[..]) {
            std::fs::write(to, &bytes).unwrap();
        }
    }
}

/// The Docker build, without Docker: a folder holding only what the
/// Dockerfile's `COPY` lines bring in, and in it the build stage's command
/// (`cargo build --release --locked --bin extend-mock --target <host>` with
/// glibc linked statically). It proves that those files are enough for cargo
/// (a criterion bench the manifest declares, a fixture `include_str!` reads)
/// and gives the binary the image runs. Cargo only fetches what this build
/// needs, which the test build has fetched already. Build outputs go under
/// the target folder; the first run takes a couple of minutes, later runs
/// are no-ops.
fn build_static_binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let context = scratch().join("docker-context");
    let copies = dockerfile_copies(root);
    for needed in ["Cargo.toml", "Cargo.lock", "src"] {
        assert!(copies.iter().any(|s| s == needed), "{needed}: {copies:?}");
    }
    std::fs::create_dir_all(&context).unwrap();
    for source in &copies {
        mirror(&root.join(source), &context.join(source));
    }
    // Anything else in the folder is left from an older Dockerfile.
    for entry in std::fs::read_dir(&context).unwrap() {
        let name = entry.unwrap().file_name();
        if !copies.iter().any(|s| std::ffi::OsStr::new(s) == name) {
            remove(&context.join(&name));
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let host =
        String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout).unwrap();
    let target = host
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned();
    let target_dir = scratch().join("static");
    let out = Command::new(cargo)
        .current_dir(&context)
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
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "the Docker build stage's command fails on the files its COPY lines bring in {copies:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
async fn the_binary_built_from_the_dockerfiles_copies_is_static_and_runs_alone() {
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

/// The image says what it is (OCI labels, its version the crate's), and the
/// build context leaves out what the build never copies, at any depth.
#[test]
fn the_image_is_labelled_and_its_context_is_small() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    for label in [
        "org.opencontainers.image.title=\"extend-mock\"",
        "org.opencontainers.image.description=",
        &format!(
            "org.opencontainers.image.version=\"{}\"",
            env!("CARGO_PKG_VERSION")
        ),
    ] {
        assert!(dockerfile.contains(label), "the Dockerfile lacks {label}");
    }
    let ignore = std::fs::read_to_string(root.join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in [
        "**/target",
        "**/node_modules",
        "**/.venv",
        "**/.results",
        ".git",
    ] {
        assert!(patterns.contains(&needed), ".dockerignore lacks {needed}");
    }
    // Nothing the Dockerfile copies is ignored.
    for copied in dockerfile_copies(root) {
        assert!(
            !patterns
                .iter()
                .any(|p| p.trim_start_matches("**/") == copied),
            ".dockerignore drops {copied}, which the Dockerfile copies"
        );
    }
}
