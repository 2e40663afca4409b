//! The `/_mock/` router: the emulator's own surface, never under the API's paths.
//! For now, readiness; the rest of the control plane (fixtures, journal, faults)
//! lands here too.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/health", get(health))
}

/// Readiness for Docker health checks and test harnesses: answers once the
/// store is loaded and the listener is up, which is the only time it can answer.
async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    let runs = state.store().run_count();
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "processorRuns": runs }))
}
