//! The configs a processor has when no fixture gives one: one per document
//! kind, picked by the processor's name, parsed once and kept ready to write.

use std::sync::LazyLock;

use serde_json::value::RawValue;

use super::extraction::Node;
use crate::domain::{JsonObject, ProcessorType};

/// What a processor reads, from its name: the schema or classifications its
/// derived config has. Names the generator and the fixtures use map to their
/// kind; any other name gets a general one of its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Invoice,
    W2,
    BankStatement,
    Receipt,
    Paystub,
    Form1099,
    PurchaseOrder,
    GeneralDocument,
    MortgageClassifier,
    ClaimsClassifier,
    GeneralClassifier,
    LoanSplitter,
    ClaimsSplitter,
    OnboardingSplitter,
    GeneralSplitter,
}

impl DocKind {
    pub fn of(processor_name: &str, processor_type: ProcessorType) -> DocKind {
        let name = processor_name.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
        match processor_type {
            ProcessorType::Extract if has(&["invoice"]) => DocKind::Invoice,
            ProcessorType::Extract if has(&["w-2", "w2"]) => DocKind::W2,
            ProcessorType::Extract if has(&["bank", "statement"]) => DocKind::BankStatement,
            ProcessorType::Extract if has(&["receipt"]) => DocKind::Receipt,
            ProcessorType::Extract if has(&["paystub", "pay stub", "payslip"]) => DocKind::Paystub,
            ProcessorType::Extract if has(&["1099"]) => DocKind::Form1099,
            ProcessorType::Extract if has(&["purchase order", "po "]) => DocKind::PurchaseOrder,
            ProcessorType::Extract => DocKind::GeneralDocument,
            ProcessorType::Classify if has(&["mortgage", "loan"]) => DocKind::MortgageClassifier,
            ProcessorType::Classify if has(&["claim"]) => DocKind::ClaimsClassifier,
            ProcessorType::Classify => DocKind::GeneralClassifier,
            ProcessorType::Splitter if has(&["loan", "mortgage"]) => DocKind::LoanSplitter,
            ProcessorType::Splitter if has(&["claim"]) => DocKind::ClaimsSplitter,
            ProcessorType::Splitter if has(&["onboarding"]) => DocKind::OnboardingSplitter,
            ProcessorType::Splitter => DocKind::GeneralSplitter,
        }
    }

    pub const ALL: [DocKind; 15] = [
        DocKind::Invoice,
        DocKind::W2,
        DocKind::BankStatement,
        DocKind::Receipt,
        DocKind::Paystub,
        DocKind::Form1099,
        DocKind::PurchaseOrder,
        DocKind::GeneralDocument,
        DocKind::MortgageClassifier,
        DocKind::ClaimsClassifier,
        DocKind::GeneralClassifier,
        DocKind::LoanSplitter,
        DocKind::ClaimsSplitter,
        DocKind::OnboardingSplitter,
        DocKind::GeneralSplitter,
    ];

    /// The derived config, as JSON text (read once, on first use).
    fn config_text(self) -> &'static str {
        match self {
            DocKind::Invoice => include_str!("invoice.json"),
            DocKind::W2 => include_str!("w2.json"),
            DocKind::BankStatement => include_str!("bank_statement.json"),
            DocKind::Receipt => include_str!("receipt.json"),
            DocKind::Paystub => include_str!("paystub.json"),
            DocKind::Form1099 => include_str!("form_1099.json"),
            DocKind::PurchaseOrder => include_str!("purchase_order.json"),
            DocKind::GeneralDocument => include_str!("general_document.json"),
            DocKind::MortgageClassifier => include_str!("mortgage_classifier.json"),
            DocKind::ClaimsClassifier => include_str!("claims_classifier.json"),
            DocKind::GeneralClassifier => include_str!("general_classifier.json"),
            DocKind::LoanSplitter => include_str!("loan_splitter.json"),
            DocKind::ClaimsSplitter => include_str!("claims_splitter.json"),
            DocKind::OnboardingSplitter => include_str!("onboarding_splitter.json"),
            DocKind::GeneralSplitter => include_str!("general_splitter.json"),
        }
    }
}

/// A derived config three ways: as an object (what outputs are made from),
/// as the JSON it is written as, and for an extractor its schema compiled.
pub struct DerivedConfig {
    pub object: JsonObject,
    pub json: Box<RawValue>,
    pub plan: Option<Node>,
}

static CONFIGS: LazyLock<Vec<DerivedConfig>> = LazyLock::new(|| {
    DocKind::ALL
        .iter()
        .map(|kind| {
            let text = kind.config_text();
            let object: JsonObject =
                serde_json::from_str(text).expect("the built-in configs are JSON objects");
            let json = serde_json::value::to_raw_value(&object).expect("a JSON object writes");
            let plan = object.get("schema").map(Node::compile);
            DerivedConfig { object, json, plan }
        })
        .collect()
});

/// The config a processor of this kind has when no fixture gives one.
pub fn derived_config(kind: DocKind) -> &'static DerivedConfig {
    let index = DocKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("ALL lists every kind");
    &CONFIGS[index]
}
