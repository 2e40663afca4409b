//! One test binary for the HTTP API: every test starts the real service on
//! 127.0.0.1:0 and speaks HTTP to it.

mod auth;
mod batches;
mod classify_split;
mod control;
mod edit;
mod errors;
mod extract;
mod files;
mod helpers;
mod hostile;
mod lifecycle;
mod limits;
mod list;
mod openapi;
mod paging;
mod parse;
mod processors;
mod properties;
mod runs;
mod sandboxes;
mod schemas;
mod webhooks;
mod workflows;
