//! Tests of the `extend-mock` executable itself: flags and environment, the
//! startup banner, fixture files, signals, the healthcheck subcommand, and the
//! static binary the Docker image relies on.

mod fixture_files;
mod generate;
mod helpers;
mod image;
mod process;
