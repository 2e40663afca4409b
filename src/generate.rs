//! `--generate N --seed S`: realistic synthetic runs, the same N runs for the same
//! seed on every machine. Knows nothing of HTTP.
//!
//! Determinism comes from one ChaCha8 stream seeded with S, drawn in a fixed order,
//! and a fixed time base (no clock). ChaCha8 is specified, not "whatever StdRng is
//! today", and the locked `fake` version keeps its word lists fixed.

use fake::Fake;
use fake::faker::company::en::CompanyName;
use fake::faker::name::{de_de, en, fr_fr, ja_jp};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::domain::{
    ProcessorRun, ProcessorType, RunDetails, RunId, RunSource, RunStatus, Timestamp, Usage,
};
use crate::store::Store;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateSpec {
    pub count: usize,
    pub seed: u64,
    /// Put every run here; by default runs are spread over all workspaces.
    pub workspace: Option<String>,
}

/// 2024-01-01T00:00:00Z: runs are spread over the two years that follow.
const EPOCH_SECONDS: i64 = 1_704_067_200;
const SPAN_SECONDS: i64 = 2 * 365 * 24 * 3600;

const EXTRACTORS: &[&str] = &[
    "Invoice Extractor",
    "W-2 Extractor",
    "Bank Statement Extractor",
    "Receipt Extractor",
    "Paystub Extractor",
    "1099 Extractor",
    "Purchase Order Extractor",
];
const CLASSIFIERS: &[&str] = &[
    "Document Classifier",
    "Mortgage Packet Classifier",
    "Claims Intake Classifier",
];
const SPLITTERS: &[&str] = &[
    "Loan Packet Splitter",
    "Claims Bundle Splitter",
    "Onboarding Packet Splitter",
];

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Processor types and their names; the order is part of the seed contract.
const KINDS: [(ProcessorType, &[&str]); 3] = [
    (ProcessorType::Extract, EXTRACTORS),
    (ProcessorType::Classify, CLASSIFIERS),
    (ProcessorType::Splitter, SPLITTERS),
];

struct Processor {
    id: String,
    version_id: String,
    name: &'static str,
    kind: ProcessorType,
}

fn nano_id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 21);
    id.push_str(prefix);
    for _ in 0..21 {
        id.push(ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char);
    }
    id
}

/// Picks by integer weights; the order of `choices` is part of the seed contract.
fn weighted<T: Copy>(rng: &mut ChaCha8Rng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (value, weight) in choices {
        if roll < *weight {
            return *value;
        }
        roll -= weight;
    }
    unreachable!("roll is below the total weight")
}

/// A file name of the kind users upload: mixed case, spaces, some non-ASCII.
fn file_name(rng: &mut ChaCha8Rng, kind: ProcessorType, processor: &str) -> String {
    let year = rng.random_range(2019..=2025);
    let month = rng.random_range(1..=12u32);
    let n = rng.random_range(1..10_000u32);
    let style = rng.random_range(0..6u32);
    let last_name = |rng: &mut ChaCha8Rng| -> String {
        match rng.random_range(0..4u32) {
            0 => de_de::LastName().fake_with_rng(rng),
            1 => fr_fr::LastName().fake_with_rng(rng),
            2 => ja_jp::LastName().fake_with_rng(rng),
            _ => en::LastName().fake_with_rng(rng),
        }
    };
    match (kind, processor) {
        (ProcessorType::Extract, "W-2 Extractor") => match style {
            0 | 1 => format!(
                "W-2 {year} ({} {}).pdf",
                en::FirstName().fake_with_rng::<String, _>(rng),
                last_name(rng)
            ),
            2 => format!("w2_{}_{year}.pdf", last_name(rng).to_lowercase()),
            _ => format!("W2-{year}-{n:04}.PDF"),
        },
        (ProcessorType::Extract, "Bank Statement Extractor") => match style {
            0 | 1 => format!("Bank Statement {} {year}.pdf", MONTHS[month as usize - 1]),
            2 => format!(
                "Kontoauszug_{}_{month:02}_{year}.pdf",
                de_de::LastName().fake_with_rng::<String, _>(rng)
            ),
            _ => format!("bank_statement_{n:04}.PDF"),
        },
        (ProcessorType::Extract, "Receipt Extractor") => match style {
            0 | 1 => format!(
                "Receipt - {}.jpg",
                CompanyName().fake_with_rng::<String, _>(rng)
            ),
            2 => format!("reçu_{n}.png"),
            _ => format!("receipt_{n:04}.jpeg"),
        },
        (ProcessorType::Extract, "Paystub Extractor") => {
            format!("Paystub_{}_{year}.pdf", &MONTHS[month as usize - 1][..3])
        }
        (ProcessorType::Extract, "1099 Extractor") => {
            format!("1099-NEC_{year}_{}.pdf", last_name(rng))
        }
        (ProcessorType::Extract, "Purchase Order Extractor") => {
            format!("purchase-order-PO-{n}.xlsx")
        }
        (ProcessorType::Extract, _) => match style {
            0 => format!("Invoice_{year}_{month:02}.pdf"),
            1 => format!(
                "invoice-{}-{n:04}.PDF",
                CompanyName()
                    .fake_with_rng::<String, _>(rng)
                    .replace(' ', "")
            ),
            2 => format!("INVOICE scan {n}.png"),
            3 => format!(
                "Facture_{}_{year}.pdf",
                fr_fr::LastName().fake_with_rng::<String, _>(rng)
            ),
            4 => format!("請求書_{year}_{month:02}.pdf"),
            _ => format!(
                "Rechnung_{}_{n}.pdf",
                de_de::LastName().fake_with_rng::<String, _>(rng)
            ),
        },
        (ProcessorType::Classify, _) => match style {
            0 | 1 => format!("Mortgage Application - {}.PDF", last_name(rng)),
            2 => format!("claim_{n:05}_attachments.pdf"),
            3 => format!("Scanned Documents {year}-{month:02}.pdf"),
            _ => format!("upload_{n}.tiff"),
        },
        (ProcessorType::Splitter, _) => match style {
            0 | 1 => format!("Loan Packet - {}.pdf", last_name(rng)),
            2 => format!("claims bundle {year}-{month:02}.pdf"),
            _ => format!("onboarding_packet_{n}.PDF"),
        },
    }
}

/// Makes runs from one seeded stream; the order of its draws is part of the
/// seed contract.
struct RunMaker<'a> {
    rng: ChaCha8Rng,
    workspaces: &'a [String],
    catalogue: Vec<[Vec<Processor>; 3]>,
    /// How many workflow runs, batches and workflows the runs' sources share.
    workflow_runs: usize,
    batches: usize,
    workflows: usize,
}

impl RunMaker<'_> {
    fn next_run(&mut self) -> ProcessorRun {
        let w = self.rng.random_range(0..self.workspaces.len());
        let kind = weighted(&mut self.rng, &[(0, 60), (1, 25), (2, 15)]);
        let candidates = &self.catalogue[w][kind];
        let processor = &candidates[self.rng.random_range(0..candidates.len())];
        let kind = processor.kind;
        // About one run in thirty predates the `type` and `usage` fields.
        let legacy = self.rng.random_range(0..30u32) == 0;
        let status = weighted(
            &mut self.rng,
            &[
                (RunStatus::Processed, 70),
                (RunStatus::Failed, 8),
                (RunStatus::Processing, 7),
                (RunStatus::Pending, 10),
                (RunStatus::Cancelled, 5),
            ],
        );
        let source = weighted(
            &mut self.rng,
            &[
                (RunSource::WorkflowRun, 35),
                (RunSource::Api, 30),
                (RunSource::BatchProcessorRun, 10),
                (RunSource::Playground, 10),
                (RunSource::Studio, 8),
                (RunSource::WorkflowConfiguration, 4),
                (RunSource::Admin, 3),
            ],
        );
        let source_id = match source {
            RunSource::WorkflowRun => Some(format!(
                "workflow_run_{:08}",
                self.rng.random_range(0..self.workflow_runs)
            )),
            RunSource::BatchProcessorRun => Some(format!(
                "batch_processor_run_{:06}",
                self.rng.random_range(0..self.batches)
            )),
            RunSource::WorkflowConfiguration => Some(format!(
                "workflow_{:04}",
                self.rng.random_range(0..self.workflows)
            )),
            _ => None,
        };
        let created = EPOCH_SECONDS + self.rng.random_range(0..SPAN_SECONDS);
        let duration = match status {
            RunStatus::Pending => 0,
            RunStatus::Processing => self.rng.random_range(0..120),
            RunStatus::Cancelled => self.rng.random_range(1..600),
            _ => self.rng.random_range(5..7200),
        };
        let usage =
            (matches!(status, RunStatus::Processed | RunStatus::Failed) && !legacy).then(|| {
                Usage {
                    credits: f64::from(self.rng.random_range(2..80u32)) / 4.0,
                }
            });
        let file_name = file_name(&mut self.rng, kind, processor.name);
        // 21 random characters from 64: a clash among a billion runs has odds of
        // about 1 in 10^19, so none is looked for; `add_runs` would report one.
        ProcessorRun {
            id: RunId::parse(&nano_id(
                &mut self.rng,
                if legacy { "dpr_" } else { kind.prefixes().0 },
            ))
            .expect("generated ids are 25 or 26 characters"),
            workspace_id: self.workspaces[w].clone(),
            status,
            processor_id: processor.id.clone(),
            processor_name: processor.name.to_owned(),
            processor_version_id: processor.version_id.clone(),
            processor_type: (!legacy).then_some(kind),
            source,
            source_id,
            file_name,
            created_at: Timestamp::from_unix_nanos(created * 1_000_000_000),
            updated_at: Timestamp::from_unix_nanos((created + duration) * 1_000_000_000),
            usage,
            details: RunDetails::default(),
        }
    }
}

/// Where generation is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// This many runs made so far; reported every few thousand.
    Made(usize),
    /// All runs made; now sorting them into the store's indexes.
    Indexing,
}

/// Adds `spec.count` runs to the store, reporting to `progress` as it goes.
pub fn add_generated_runs(
    store: &mut Store,
    spec: &GenerateSpec,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), String> {
    let workspaces: Vec<String> = match &spec.workspace {
        Some(ws) if store.workspace_org(ws).is_none() => {
            return Err(format!("--generate-workspace: unknown workspace `{ws}`"));
        }
        Some(ws) => vec![ws.clone()],
        None => store
            .organizations()
            .iter()
            .flat_map(|o| o.workspaces.iter().map(|w| w.id.clone()))
            .collect(),
    };
    if workspaces.is_empty() && spec.count > 0 {
        return Err("--generate: the fixtures declare no workspace to put runs in".into());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);

    // One catalogue of processors per workspace, as a real account has, grouped
    // by type in `KINDS` order so a run picks from its type's list directly.
    let catalogue: Vec<[Vec<Processor>; 3]> = workspaces
        .iter()
        .map(|_| {
            KINDS.map(|(kind, names)| {
                let (_, processor_prefix, version_prefix) = kind.prefixes();
                names
                    .iter()
                    .map(|&name| Processor {
                        id: nano_id(&mut rng, processor_prefix),
                        version_id: nano_id(&mut rng, version_prefix),
                        name,
                        kind,
                    })
                    .collect()
            })
        })
        .collect();
    // Workflow runs and batches each produce several processor runs.
    let workflow_runs = (spec.count / 4).max(1);
    let batches = (spec.count / 40).max(1);
    let workflows = (spec.count / 400).clamp(1, 50);

    // Runs are made one at a time as the store takes them in: never a second
    // copy of a million runs in memory. (Making them on another thread was
    // measured: the runs' cache lines moving between cores cost more than the
    // overlap saved.)
    let mut maker = RunMaker {
        rng,
        workspaces: &workspaces,
        catalogue,
        workflow_runs,
        batches,
        workflows,
    };
    let runs = (0..spec.count).map(|made| {
        let run = maker.next_run();
        if made % 8192 == 0 {
            progress(Progress::Made(made));
        }
        if made + 1 == spec.count {
            // The store indexes as soon as it has taken this last run.
            progress(Progress::Indexing);
        }
        run
    });
    store
        .add_runs(runs)
        .map_err(|(i, reason)| format!("generated run {i}: {reason}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn generated(seed: u64, count: usize) -> Vec<ProcessorRun> {
        let mut store = fixtures::build_store(fixtures::load_documents(&[]).unwrap()).unwrap();
        let before = store.run_count();
        let spec = GenerateSpec {
            count,
            seed,
            workspace: None,
        };
        add_generated_runs(&mut store, &spec, &mut |_| {}).unwrap();
        store.runs().skip(before).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_runs_and_another_seed_does_not() {
        assert_eq!(generated(7, 300), generated(7, 300));
        assert_ne!(generated(7, 300), generated(8, 300));
    }

    #[test]
    fn generated_runs_are_plausible() {
        let runs = generated(1, 3000);
        assert!(runs.iter().all(|r| r.created_at <= r.updated_at));
        for status in RunStatus::ALL {
            assert!(runs.iter().any(|r| r.status == *status), "{status}");
        }
        for source in RunSource::ALL {
            assert!(runs.iter().any(|r| r.source == *source), "{source}");
        }
        let workflow: Vec<_> = runs
            .iter()
            .filter(|r| r.source == RunSource::WorkflowRun)
            .collect();
        assert!(workflow.iter().all(|r| {
            r.source_id
                .as_deref()
                .is_some_and(|s| s.starts_with("workflow_run_"))
        }));
        let distinct: std::collections::HashSet<_> =
            workflow.iter().map(|r| &r.source_id).collect();
        assert!(
            distinct.len() < workflow.len(),
            "several runs share a workflow run"
        );
        assert!(
            runs.iter().any(|r| !r.file_name.is_ascii()),
            "some non-ASCII file names"
        );
        assert!(
            runs.iter().any(|r| r.processor_type.is_none()),
            "some legacy runs"
        );
    }
}
