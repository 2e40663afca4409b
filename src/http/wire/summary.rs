//! The run summary `GET /processor_runs` returns, written by hand straight
//! into the response buffer: the hot path. The tests hold it byte for byte to
//! what serde writes for the same run.

use crate::http::wire::json;
use crate::store::RunView;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Order, ProcessorRun, ProcessorType, RunDetails, RunId, RunSource, RunStatus, SortBy,
        SortDir, Timestamp, Usage,
    };
    use crate::store::{Filters, PageRequest, Store};

    fn store() -> Store {
        Store::with_one_workspace("ws")
    }

    /// A run's summary as serde writes it from the fixture shape: what the
    /// hand-written JSON must equal, byte for byte.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Reference<'a> {
        id: &'a RunId,
        status: RunStatus,
        processor_id: &'a str,
        processor_name: &'a str,
        processor_version_id: &'a str,
        #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
        processor_type: Option<ProcessorType>,
        created_at: Timestamp,
        updated_at: Timestamp,
        #[serde(skip_serializing_if = "Option::is_none")]
        usage: Option<&'a Usage>,
    }

    impl<'a> From<&'a ProcessorRun> for Reference<'a> {
        fn from(run: &'a ProcessorRun) -> Self {
            Reference {
                id: &run.id,
                status: run.status,
                processor_id: &run.processor_id,
                processor_name: &run.processor_name,
                processor_version_id: &run.processor_version_id,
                processor_type: run.processor_type,
                created_at: run.created_at,
                updated_at: run.updated_at,
                usage: run.usage.as_ref(),
            }
        }
    }

    fn any_run() -> impl Strategy<Value = ProcessorRun> {
        let text = "[a-zA-Z0-9 _\\-\"\\\\é請\\x00-\\x1f]{1,12}";
        (
            (text, text, text, text, text),
            (
                proptest::option::of(proptest::sample::select(ProcessorType::ALL)),
                proptest::sample::select(RunStatus::ALL),
                -4_000_000_000_000_000_000i64..4_000_000_000_000_000_000,
                0i64..1_000_000_000_000,
                proptest::option::of(0.0f64..1e6),
            ),
        )
            .prop_map(
                |((id, pid, name, version, file), (kind, status, at, d, c))| ProcessorRun {
                    id: RunId::parse(&id).unwrap(),
                    workspace_id: "ws".into(),
                    status,
                    // A processor has one type: runs that carry one agree
                    // with it (the store refuses a run that does not).
                    processor_id: match kind {
                        Some(kind) => format!("{kind}:{pid}"),
                        None => pid,
                    },
                    processor_name: name,
                    processor_version_id: version,
                    processor_type: kind,
                    source: RunSource::Api,
                    source_id: None,
                    file_name: file,
                    created_at: Timestamp::from_unix_nanos(at),
                    updated_at: Timestamp::from_unix_nanos(at + d),
                    usage: c.map(|credits| Usage { credits }),
                    details: RunDetails::default(),
                },
            )
    }

    use proptest::prelude::*;

    proptest! {
        /// Any run, whatever its strings and times, is written exactly as serde
        /// would write its summary, and exported back unchanged.
        #[test]
        fn summaries_are_written_as_serde_writes_them(runs in proptest::collection::vec(any_run(), 1..20)) {
            let mut runs = runs;
            runs.sort_by(|a, b| a.id.cmp(&b.id));
            runs.dedup_by(|a, b| a.id == b.id);
            let mut store = store();
            store.add_runs(runs.clone()).unwrap();
            prop_assert_eq!(store.runs().collect::<Vec<_>>(), runs.clone());
            let filters = Filters::default();
            let request = PageRequest {
                filters: &filters,
                order: Order { by: SortBy::CreatedAt, dir: SortDir::Asc },
                after: None,
                limit: 1000,
            };
            let page = store.page("ws", &request);
            let mut written = Vec::new();
            write_summaries(page.runs(), &mut written);
            let mut expected: Vec<&ProcessorRun> = runs.iter().collect();
            expected.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            let reference: Vec<Reference> = expected.into_iter().map(Reference::from).collect();
            prop_assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&reference).unwrap()
            );
        }
    }
}
