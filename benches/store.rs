//! The store's queries, measured without HTTP: `cargo bench --bench store`.
//!
//! One store of the built-in fixtures plus 1,000,000 generated runs (seed 42,
//! as `extend-mock --generate 1000000` makes it; ws_acme holds about a third),
//! then each list query the API serves, and a run added to the full store.
//! `bench/load` measures the same queries over HTTP.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use extend_mock::domain::{Order, Position};
use extend_mock::domain::{ProcessorType, RunId, RunSource, RunStatus, SortBy, Timestamp};
use extend_mock::fixtures;
use extend_mock::full_run::full_run;
use extend_mock::generate::{GenerateSpec, add_generated_runs};
use extend_mock::http::wire::full::write_full_run;
use extend_mock::page_token::{Cursor, PageSigner};
use extend_mock::store::{Filters, PageRequest, Store};

const WORKSPACE: &str = "ws_acme";
const RUNS: usize = 1_000_000;

fn big_store() -> Store {
    let mut store = fixtures::build_store(fixtures::load_documents(&[]).unwrap()).unwrap();
    let spec = GenerateSpec {
        count: RUNS,
        seed: 42,
        workspace: None,
    };
    add_generated_runs(&mut store, &spec, &mut |_| {}).unwrap();
    store
}

fn page_of(store: &Store, filters: &Filters, after: Option<&Position>, limit: usize) -> usize {
    let page = store.page(
        WORKSPACE,
        &PageRequest {
            filters,
            order: Order::default(),
            after,
            limit,
        },
    );
    page.len()
}

/// Where page `n` (of 10 runs each, no filters) starts.
fn position_before_page(store: &Store, n: usize) -> Position {
    let filters = Filters::default();
    let mut after: Option<Position> = None;
    let mut left = (n - 1) * 10;
    while left > 0 {
        let limit = left.min(1000);
        let page = store.page(
            WORKSPACE,
            &PageRequest {
                filters: &filters,
                order: Order::default(),
                after: after.as_ref(),
                limit,
            },
        );
        assert_eq!(
            page.len(),
            limit,
            "the workspace holds fewer runs than that"
        );
        after = page.last_position(SortBy::UpdatedAt);
        left -= limit;
    }
    after.expect("n > 1")
}

fn queries(c: &mut Criterion) {
    let mut store = big_store();
    let deep = position_before_page(&store, 10_000);
    let none = Filters::default();
    let rare_source = Filters {
        source_id: Some("workflow_run_00000042".into()),
        ..Filters::default()
    };
    assert!(
        page_of(&store, &rare_source, None, 10) > 0,
        "the seed has it"
    );
    let cancelled = Filters {
        status: Some(RunStatus::Cancelled),
        ..Filters::default()
    };
    let file_name = Filters {
        file_name_contains: Some("kontoauszug".into()),
        ..Filters::default()
    };
    let no_match = Filters {
        file_name_contains: Some("no file has this name".into()),
        ..Filters::default()
    };

    let mut group = c.benchmark_group("page of 10, 1M runs");
    group.bench_function("first page", |b| {
        b.iter(|| page_of(&store, black_box(&none), None, 10))
    });
    group.bench_function("page 10,000", |b| {
        b.iter(|| page_of(&store, black_box(&none), Some(&deep), 10))
    });
    group.bench_function("sourceId (rare)", |b| {
        b.iter(|| page_of(&store, black_box(&rare_source), None, 10))
    });
    group.bench_function("status=CANCELLED", |b| {
        b.iter(|| page_of(&store, black_box(&cancelled), None, 10))
    });
    group.bench_function("fileNameContains=kontoauszug", |b| {
        b.iter(|| page_of(&store, black_box(&file_name), None, 10))
    });
    group.bench_function("fileNameContains, no match (full scan)", |b| {
        b.iter(|| page_of(&store, black_box(&no_match), None, 10))
    });
    group.finish();

    c.bench_function("write a page of 10 as JSON", |b| {
        let page = store.page(
            WORKSPACE,
            &PageRequest {
                filters: &none,
                order: Order::default(),
                after: None,
                limit: 10,
            },
        );
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            buf.clear();
            extend_mock::http::wire::summary::write_summaries(page.runs(), &mut buf);
            buf.len()
        })
    });

    // The full run of a finished extraction of each document kind the
    // generator makes, derived on read: what GET /processor_runs/{id} does
    // under the read lock.
    let mut group = c.benchmark_group("full run, derived and written as JSON");
    for (kind, name) in [
        ("EXTRACT", "Invoice Extractor"),
        ("EXTRACT", "Bank Statement Extractor"),
        ("CLASSIFY", "Document Classifier"),
        ("SPLITTER", "Loan Packet Splitter"),
    ] {
        let filters = Filters {
            status: Some(RunStatus::Processed),
            processor_type: Some(ProcessorType::parse(kind).unwrap()),
            ..Filters::default()
        };
        let page = store.page(
            WORKSPACE,
            &PageRequest {
                filters: &filters,
                order: Order::default(),
                after: None,
                limit: 1000,
            },
        );
        let run = page
            .runs()
            .find(|r| r.processor_name == name)
            .expect("the generator makes every kind");
        let mut buf = Vec::with_capacity(8192);
        group.bench_function(format!("{name}, derive only"), |b| {
            b.iter(|| {
                let full = full_run(black_box(&run), run.processor_type.unwrap(), None);
                black_box(&full);
            })
        });
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                let full = full_run(black_box(&run), run.processor_type.unwrap(), None);
                write_full_run(&full, &mut buf);
                buf.len()
            })
        });
    }
    group.finish();

    // An extraction for a schema a run pins (an inline config through
    // /extract_runs): its plan compiled and its output made on each read,
    // for 5 and for 50 nullable string fields.
    let mut group = c.benchmark_group("an output for a pinned schema, derived and written");
    let filters = Filters {
        status: Some(RunStatus::Processed),
        processor_type: Some(ProcessorType::Extract),
        ..Filters::default()
    };
    let page = store.page(
        WORKSPACE,
        &PageRequest {
            filters: &filters,
            order: Order::default(),
            after: None,
            limit: 1,
        },
    );
    let run = page.runs().next().expect("the generator makes extractions");
    for fields in [5, 50] {
        let properties: serde_json::Map<String, serde_json::Value> = (0..fields)
            .map(|n| {
                (
                    format!("field_{n}"),
                    serde_json::json!({"type": ["string", "null"]}),
                )
            })
            .collect();
        let mut config = extend_mock::domain::JsonObject::new();
        config.insert("type".into(), "EXTRACT".into());
        config.insert(
            "schema".into(),
            serde_json::json!({"type": "object", "properties": properties}),
        );
        let config = std::sync::Arc::new(config);
        let mut buf = Vec::with_capacity(16384);
        group.bench_function(format!("{fields} fields"), |b| {
            b.iter(|| {
                buf.clear();
                let full = full_run(black_box(&run), ProcessorType::Extract, Some(&config));
                write_full_run(&full, &mut buf);
                buf.len()
            })
        });
    }
    group.finish();

    let signer = PageSigner::from_secret("bench");
    let cursor = Cursor {
        resource: extend_mock::domain::PagedResource::ProcessorRuns,
        workspace_id: WORKSPACE.into(),
        order: Order::default(),
        position: deep.clone(),
        filters: "AAAAAAAAAAAA".into(),
    };
    let token = signer.sign(&cursor);
    c.bench_function("sign a page token", |b| {
        b.iter(|| signer.sign(black_box(&cursor)))
    });
    c.bench_function("verify a page token", |b| {
        b.iter(|| signer.verify(black_box(&token)).unwrap())
    });

    let mut next = 0u64;
    c.bench_function("add one run to the 1M store", |b| {
        b.iter(|| {
            next += 1;
            let at = Timestamp::from_unix_nanos(1_750_000_000_000_000_000);
            let run = extend_mock::domain::ProcessorRun {
                id: RunId::parse(&format!("exr_bench_{next}")).unwrap(),
                workspace_id: WORKSPACE.into(),
                status: RunStatus::Processed,
                processor_id: "ex_bench".into(),
                processor_name: "Bench Extractor".into(),
                processor_version_id: "exv_bench".into(),
                processor_type: None,
                source: RunSource::Api,
                source_id: None,
                file_name: "bench.pdf".into(),
                created_at: at,
                updated_at: at,
                usage: None,
                details: Default::default(),
            };
            store.add_runs([run]).unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = queries
}
criterion_main!(benches);
