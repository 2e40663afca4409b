//! The API's JSON, written from what the store lends (`RunView`): the run
//! summary of list pages and the full run of `GET /processor_runs/{id}`. The
//! store knows nothing of these shapes; HTTP types stay out of here too.

pub mod catalogue;
pub mod full;
pub mod json;
pub mod summary;
