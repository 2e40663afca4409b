//! The `extend-mock` binary: parse the config, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use extend_mock::config::Config;

fn main() -> ExitCode {
    let config = match Config::try_parse() {
        Ok(config) => config,
        Err(err) => return refuse(err),
    };
    match extend_mock::startup::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("extend-mock: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Clap's own message, but a bad value that came from an environment variable
/// is reported under the variable's name: that is where the user must look.
fn refuse(err: clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) && let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg)
        && let Some(flag) = arg
            .split_whitespace()
            .next()
            .and_then(|f| f.strip_prefix("--"))
    {
        let variable = format!("EXTEND_MOCK_{}", flag.replace('-', "_").to_uppercase());
        let on_command_line = std::env::args()
            .any(|a| a == format!("--{flag}") || a.starts_with(&format!("--{flag}=")));
        if !on_command_line && let Ok(value) = std::env::var(&variable) {
            eprintln!("extend-mock: error: {variable}={value:?} is not a valid value for --{flag}");
            let _ = err.print();
            return ExitCode::from(2);
        }
    }
    err.exit()
}

/// Measured in BENCHMARKS.md: faster than glibc's malloc for the runs made on
/// one thread and freed on another while a big store loads, and for the many
/// small per-request buffers under load.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
