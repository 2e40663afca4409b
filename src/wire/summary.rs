//! The run summary `GET /processor_runs` returns, written by hand straight
//! into the response buffer: the hot path. The tests hold it byte for byte to
//! what serde writes for the same run.

use crate::store::RunView;
use crate::wire::json;

/// About what one run's summary takes as JSON; a buffer sized from it rarely grows.
pub const SUMMARY_BYTES: usize = 320;

/// One run's summary: the documented fields, in the documented order.
pub fn write_summary(run: &RunView<'_>, buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"{\"id\":");
    json::write_str(buf, run.id);
    buf.extend_from_slice(b",\"status\":\"");
    buf.extend_from_slice(run.status.as_str().as_bytes());
    buf.extend_from_slice(b"\",\"processorId\":");
    json::write_str(buf, run.processor_id);
    buf.extend_from_slice(b",\"processorName\":");
    json::write_str(buf, run.processor_name);
    buf.extend_from_slice(b",\"processorVersionId\":");
    json::write_str(buf, run.processor_version_id);
    if let Some(kind) = run.processor_type {
        buf.extend_from_slice(b",\"type\":\"");
        buf.extend_from_slice(kind.as_str().as_bytes());
        buf.push(b'"');
    }
    buf.extend_from_slice(b",\"createdAt\":");
    json::write_timestamp(buf, run.created_nanos);
    buf.extend_from_slice(b",\"updatedAt\":");
    json::write_timestamp(buf, run.updated_nanos);
    if let Some(credits) = run.credits {
        buf.extend_from_slice(b",\"usage\":{\"credits\":");
        json::write_f64(buf, credits);
        buf.push(b'}');
    }
    buf.push(b'}');
}

/// Runs as the JSON array of summaries a list page holds.
pub fn write_summaries<'a>(runs: impl Iterator<Item = RunView<'a>>, buf: &mut Vec<u8>) {
    buf.push(b'[');
    for (i, run) in runs.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_summary(&run, buf);
    }
    buf.push(b']');
}
