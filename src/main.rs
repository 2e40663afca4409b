//! The `extend-mock` binary: parse the config, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use extend_mock::config::Config;

fn main() -> ExitCode {
    let config = Config::parse();
    match extend_mock::startup::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("extend-mock: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Measured in BENCHMARKS.md: faster than glibc's malloc for the runs made on
/// one thread and freed on another while a big store loads, and for the many
/// small per-request buffers under load.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
