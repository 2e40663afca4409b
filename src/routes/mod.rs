//! The API's own routes, one module per resource.

pub mod files;
pub mod processor_runs;
pub mod processors;
pub mod webhook_endpoints;
