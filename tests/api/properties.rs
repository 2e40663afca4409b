//! For random stores, filters, sorts and page sizes, walking every page over HTTP
//! equals the filtered, sorted set computed naively.

use proptest::prelude::*;
use serde_json::Value;

use crate::helpers::*;

const STATUSES: &[&str] = &["PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"];
const TYPES: &[Option<&str>] = &[Some("EXTRACT"), Some("CLASSIFY"), Some("SPLITTER"), None];
const SOURCES: &[&str] = &["ADMIN", "API", "WORKFLOW_RUN", "STUDIO"];
const PROCESSORS: &[&str] = &["ex_a", "ex_b", "ex_c"];
/// A processor has one type: the runs that carry one agree with it (a store
/// refuses a run whose type is not its processor's); older runs carry none.
fn processor_of_type(processor_type: Option<&str>, pick: usize) -> &'static str {
    match processor_type {
        Some("CLASSIFY") => "ex_b",
        Some("SPLITTER") => "ex_c",
        Some(_) => "ex_a",
        None => PROCESSORS[pick % PROCESSORS.len()],
    }
}
const SOURCE_IDS: &[Option<&str>] = &[Some("wf_1"), Some("wf_2"), None];
const FILES: &[&str] = &[
    "Invoice_1.pdf",
    "invoice-2.PDF",
    "W-2.pdf",
    "Über.pdf",
    "receipt.png",
];
const NEEDLES: &[&str] = &["invoice", "PDF", "über", "w-2", "zzz"];

#[derive(Clone, Debug)]
struct Run {
    id: String,
    workspace: &'static str,
    status: &'static str,
    processor_type: Option<&'static str>,
    source: &'static str,
    processor_id: &'static str,
    source_id: Option<&'static str>,
    file: &'static str,
    created: u32,
    updated: u32,
}

fn arb_run() -> impl Strategy<Value = Run> {
    (
        prop::sample::select(vec!["ws_a", "ws_a", "ws_b"]),
        prop::sample::select(STATUSES),
        prop::sample::select(TYPES),
        prop::sample::select(SOURCES),
        0usize..3,
        prop::sample::select(SOURCE_IDS),
        prop::sample::select(FILES),
        0u32..12, // few distinct times: many ties
        0u32..6,
    )
        .prop_map(
            |(workspace, status, processor_type, source, pick, source_id, file, created, extra)| {
                Run {
                    id: String::new(),
                    workspace,
                    status,
                    processor_type,
                    source,
                    processor_id: processor_of_type(processor_type, pick),
                    source_id,
                    file,
                    created,
                    updated: created + extra,
                }
            },
        )
}

#[derive(Clone, Debug)]
struct Query {
    status: Option<&'static str>,
    processor_type: Option<&'static str>,
    source: Option<&'static str>,
    processor_id: Option<&'static str>,
    source_id: Option<&'static str>,
    needle: Option<&'static str>,
    sort_by: Option<&'static str>,
    sort_dir: Option<&'static str>,
    page_size: u32,
}

fn arb_query() -> impl Strategy<Value = Query> {
    (
        (
            prop::option::weighted(0.3, prop::sample::select(STATUSES)),
            prop::option::weighted(
                0.3,
                prop::sample::select(vec!["EXTRACT", "CLASSIFY", "SPLITTER"]),
            ),
            prop::option::weighted(0.3, prop::sample::select(SOURCES)),
            prop::option::weighted(0.3, prop::sample::select(PROCESSORS)),
            prop::option::weighted(0.2, prop::sample::select(vec!["wf_1", "wf_2"])),
            prop::option::weighted(0.3, prop::sample::select(NEEDLES)),
        ),
        prop::option::of(prop::sample::select(vec!["createdAt", "updatedAt"])),
        prop::option::of(prop::sample::select(vec!["asc", "desc"])),
        1u32..8,
    )
        .prop_map(
            |(
                (status, processor_type, source, processor_id, source_id, needle),
                sort_by,
                sort_dir,
                page_size,
            )| Query {
                status,
                processor_type,
                source,
                processor_id,
                source_id,
                needle,
                sort_by,
                sort_dir,
                page_size,
            },
        )
}

fn document(runs: &[Run]) -> Value {
    let mut doc = organizations_and_keys();
    doc["processorRuns"] = runs
        .iter()
        .map(|r| {
            run(
                &r.id,
                r.workspace,
                r.status,
                r.processor_id,
                r.processor_type,
                r.source,
                r.source_id,
                r.file,
                r.created,
                r.updated,
            )
        })
        .collect::<Vec<_>>()
        .into();
    doc
}

/// The answer computed the obvious way: filter, then sort on (time, id).
fn naive(runs: &[Run], q: &Query) -> Vec<String> {
    let mut hits: Vec<&Run> = runs
        .iter()
        .filter(|r| r.workspace == "ws_a")
        .filter(|r| q.status.is_none_or(|s| r.status == s))
        .filter(|r| q.processor_type.is_none_or(|t| r.processor_type == Some(t)))
        .filter(|r| q.source.is_none_or(|s| r.source == s))
        .filter(|r| q.processor_id.is_none_or(|p| r.processor_id == p))
        .filter(|r| q.source_id.is_none_or(|s| r.source_id == Some(s)))
        .filter(|r| {
            q.needle
                .is_none_or(|n| r.file.to_lowercase().contains(&n.to_lowercase()))
        })
        .collect();
    let by_created = q.sort_by == Some("createdAt");
    hits.sort_by_key(|r| (if by_created { r.created } else { r.updated }, r.id.clone()));
    if q.sort_dir != Some("asc") {
        hits.reverse();
    }
    hits.into_iter().map(|r| r.id.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn walking_every_page_equals_the_naive_answer(
        mut runs in prop::collection::vec(arb_run(), 0..40),
        query in arb_query(),
        id_seed in any::<u64>(),
    ) {
        // Ids in an order unrelated to time, so ties on time break on id for real.
        for (i, r) in runs.iter_mut().enumerate() {
            r.id = format!("exr_{:016x}", id_seed.wrapping_mul(i as u64 + 1).rotate_left(i as u32));
        }
        runs.sort_by(|a, b| a.id.cmp(&b.id));
        runs.dedup_by(|a, b| a.id == b.id);

        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (served, pages) = runtime.block_on(async {
            let app = spawn_app(&document(&runs)).await;
            let size = query.page_size.to_string();
            let mut pairs: Vec<(&str, &str)> = vec![("maxPageSize", &size)];
            let optional = [
                ("status", query.status), ("processorType", query.processor_type),
                ("source", query.source), ("processorId", query.processor_id),
                ("sourceId", query.source_id), ("fileNameContains", query.needle),
                ("sortBy", query.sort_by), ("sortDir", query.sort_dir),
            ];
            pairs.extend(optional.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
            app.walk_all_pages(KEY_A, &pairs).await
        });
        let expected = naive(&runs, &query);
        let full_pages = expected.len().div_ceil(query.page_size as usize).max(1);
        prop_assert_eq!(&served, &expected, "query {:?}", query);
        prop_assert_eq!(pages, full_pages, "page count for {} runs", expected.len());
    }
}

#[test]
fn the_naive_model_is_not_trivially_empty() {
    // Guards the property above against a generator that only makes empty answers.
    let runs = vec![Run {
        id: "exr_1".into(),
        workspace: "ws_a",
        status: "FAILED",
        processor_type: None,
        source: "API",
        processor_id: "ex_a",
        source_id: None,
        file: "Über.pdf",
        created: 1,
        updated: 2,
    }];
    let q = Query {
        status: Some("FAILED"),
        processor_type: None,
        source: None,
        processor_id: None,
        source_id: None,
        needle: Some("über"),
        sort_by: None,
        sort_dir: None,
        page_size: 1,
    };
    assert_eq!(naive(&runs, &q), ["exr_1"]);
}
