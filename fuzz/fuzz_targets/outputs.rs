//! The output maker on any schema: whatever JSON arrives as an EXTRACT
//! config's `schema`, checked or not (a fixture run's pinned config never
//! is), the derived run is made without a panic and its output stays within
//! the bounds (`full_run::MAX_SCHEMA_NODES` leaves at the smallest, plus
//! `EXTRA_LEAVES`), so one small schema can never make a huge answer.
#![no_main]

use std::sync::Arc;

use extend_mock::domain::{JsonObject, ProcessorType, RunSource, RunStatus, Timestamp};
use extend_mock::full_run::{
    EXTRA_LEAVES, MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES, Output, check_config, full_run,
};
use extend_mock::store::RunView;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(schema) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let mut config = JsonObject::new();
    config.insert("type".into(), "EXTRACT".into());
    config.insert("schema".into(), schema);
    let accepted = check_config(ProcessorType::Extract, &config).is_ok();
    let config = Arc::new(config);
    let at = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
    let run = RunView {
        id: "exr_fuzz",
        workspace_id: "ws_fuzz",
        status: RunStatus::Processed,
        processor_id: "ex_fuzz",
        processor_name: "Fuzzed Extractor",
        processor_version_id: "exv_fuzz",
        processor_type: Some(ProcessorType::Extract),
        source: RunSource::Api,
        source_id: None,
        file_name: "fuzz.pdf",
        created_at: at,
        updated_at: at,
        created_nanos: at.unix_nanos(),
        updated_nanos: at.unix_nanos(),
        credits: Some(1.0),
        details: None,
    };
    let full = full_run(&run, ProcessorType::Extract, Some(&config));
    if let Output::Extraction(extraction) = &full.output {
        let mut leaves = 0usize;
        extraction
            .for_each_leaf(|_, _, _| {
                leaves += 1;
                Ok::<_, ()>(())
            })
            .unwrap();
        // Compiling stops at the node bound (an `items` past it adds one
        // leaf per level at most).
        let smallest = MAX_SCHEMA_NODES + MAX_SCHEMA_DEPTH + 2;
        assert!(leaves <= smallest + EXTRA_LEAVES, "{leaves} leaves (accepted: {accepted})");
    }
    let body = serde_json::to_vec(&full).expect("a full run writes");
    // 3,000 leaves of at most ~1.5 KB each (a path of 11 names of 128 bytes
    // and its metadata) and a schema of at most the 4 KiB input, echoed.
    assert!(body.len() < 8 << 20, "{} bytes", body.len());
});
