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
