//! The closed vocabularies the API spells one fixed way on the wire.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares a closed set of values spelled one fixed way on the wire, with
/// `ALL`, `as_str` and a `parse` whose error lists every accepted spelling.
/// The same spelling serves the query string, JSON bodies and fixtures.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Exact, case-sensitive match: the API documents one spelling.
            pub fn parse(raw: &str) -> Result<Self, String> {
                match raw {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(format!(
                        "`{raw}` is not one of {}",
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_enum!(
    /// Run status as the API spells it.
    RunStatus {
        Pending => "PENDING",
        Processing => "PROCESSING",
        Processed => "PROCESSED",
        Failed => "FAILED",
        Cancelled => "CANCELLED",
    }
);

wire_enum!(
    /// A workflow run's status (`WorkflowRunStatus`).
    WorkflowRunStatus {
        Pending => "PENDING",
        Processing => "PROCESSING",
        NeedsReview => "NEEDS_REVIEW",
        Rejected => "REJECTED",
        Processed => "PROCESSED",
        Failed => "FAILED",
        Cancelled => "CANCELLED",
        Cancelling => "CANCELLING",
    }
);

impl WorkflowRunStatus {
    /// Whether the run may still change on its own (or be cancelled).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Pending | Self::Processing)
    }
}

wire_enum!(
    /// A workflow step run's status (`StepRunBaseStatus`).
    StepRunStatus {
        Pending => "PENDING",
        Waiting => "WAITING",
        Processing => "PROCESSING",
        Processed => "PROCESSED",
        Failed => "FAILED",
        Invalidated => "INVALIDATED",
        Cancelled => "CANCELLED",
    }
);

wire_enum!(
    /// What a webhook subscription is for (`resourceType`).
    SubscriptionResource {
        Extractor => "extractor",
        Classifier => "classifier",
        Splitter => "splitter",
        Workflow => "workflow",
    }
);

wire_enum!(
    /// The kind of processor a run executed.
    ProcessorType {
        Extract => "EXTRACT",
        Classify => "CLASSIFY",
        Splitter => "SPLITTER",
    }
);

wire_enum!(
    /// Where a parse run came from (`GET /parse_runs?source=`).
    ParseRunSource {
        Api => "API",
        Studio => "STUDIO",
        WorkflowRun => "WORKFLOW_RUN",
        Admin => "ADMIN",
        BatchParserRun => "BATCH_PARSER_RUN",
        EditRun => "EDIT_RUN",
        DocumentProcessorRun => "DOCUMENT_PROCESSOR_RUN",
    }
);

impl ProcessorType {
    /// The id prefixes of what the API makes of this type: a run, a
    /// processor, a version (`exr_`/`ex_`/`exv_`, `clr_`/`cl_`/`clv_`,
    /// `splr_`/`spl_`/`splv_`). The families' descriptions name them too.
    pub const fn prefixes(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ProcessorType::Extract => ("exr_", "ex_", "exv_"),
            ProcessorType::Classify => ("clr_", "cl_", "clv_"),
            ProcessorType::Splitter => ("splr_", "spl_", "splv_"),
        }
    }
}

wire_enum!(
    /// What a file holds, as the API names it.
    FileType {
        Pdf => "PDF",
        Csv => "CSV",
        Img => "IMG",
        Txt => "TXT",
        Docx => "DOCX",
        Excel => "EXCEL",
        Xml => "XML",
        Html => "HTML",
    }
);

wire_enum!(
    /// What created the run.
    RunSource {
        Admin => "ADMIN",
        BatchProcessorRun => "BATCH_PROCESSOR_RUN",
        Playground => "PLAYGROUND",
        WorkflowConfiguration => "WORKFLOW_CONFIGURATION",
        WorkflowRun => "WORKFLOW_RUN",
        Studio => "STUDIO",
        Api => "API",
    }
);

wire_enum!(
    /// The `sortBy` query parameter.
    SortBy {
        CreatedAt => "createdAt",
        UpdatedAt => "updatedAt",
    }
);

wire_enum!(
    /// The `sortDir` query parameter; `asc` is earliest first.
    SortDir {
        Asc => "asc",
        Desc => "desc",
    }
);

wire_enum!(
    /// The documented values of `x-extend-api-version`.
    ApiVersion {
        V2024_02_01 => "2024-02-01",
        V2024_07_30 => "2024-07-30",
        V2024_11_14 => "2024-11-14",
        V2024_12_23 => "2024-12-23",
        V2025_04_21 => "2025-04-21",
        V2026_02_09 => "2026-02-09",
    }
);

wire_enum!(
    /// Whether an API key is tied to one workspace or to a whole organization.
    KeyScope {
        Workspace => "workspace",
        Organization => "organization",
    }
);

wire_enum!(
    /// Whether a webhook endpoint is sent events.
    EndpointStatus {
        Enabled => "enabled",
        Disabled => "disabled",
    }
);

wire_enum!(
    /// The event names a webhook endpoint may subscribe to: the SDKs'
    /// `WebhookEndpointEventType`, and the legacy `processor_run.*` that
    /// endpoints pinned to an API version before 2026-02-09 receive.
    EventType {
        ProcessorRunProcessed => "processor_run.processed",
        ProcessorRunFailed => "processor_run.failed",
        ParseRunProcessed => "parse_run.processed",
        ParseRunFailed => "parse_run.failed",
        EditRunProcessed => "edit_run.processed",
        EditRunFailed => "edit_run.failed",
        FormDetectionRunProcessed => "form_detection_run.processed",
        FormDetectionRunFailed => "form_detection_run.failed",
        ExtractRunProcessed => "extract_run.processed",
        ExtractRunFailed => "extract_run.failed",
        ClassifyRunProcessed => "classify_run.processed",
        ClassifyRunFailed => "classify_run.failed",
        SplitRunProcessed => "split_run.processed",
        SplitRunFailed => "split_run.failed",
        BatchProcessorRunProcessed => "batch_processor_run.processed",
        BatchProcessorRunFailed => "batch_processor_run.failed",
        BatchParseRunProcessed => "batch_parse_run.processed",
        BatchParseRunFailed => "batch_parse_run.failed",
        ExtractorCreated => "extractor.created",
        ExtractorUpdated => "extractor.updated",
        ExtractorDeleted => "extractor.deleted",
        ExtractorDraftUpdated => "extractor.draft.updated",
        ExtractorVersionPublished => "extractor.version.published",
        ClassifierCreated => "classifier.created",
        ClassifierUpdated => "classifier.updated",
        ClassifierDeleted => "classifier.deleted",
        ClassifierDraftUpdated => "classifier.draft.updated",
        ClassifierVersionPublished => "classifier.version.published",
        SplitterCreated => "splitter.created",
        SplitterUpdated => "splitter.updated",
        SplitterDeleted => "splitter.deleted",
        SplitterDraftUpdated => "splitter.draft.updated",
        SplitterVersionPublished => "splitter.version.published",
        WorkflowCreated => "workflow.created",
        WorkflowDeployed => "workflow.deployed",
        WorkflowDeleted => "workflow.deleted",
        WorkflowRunCompleted => "workflow_run.completed",
        WorkflowRunFailed => "workflow_run.failed",
        WorkflowRunNeedsReview => "workflow_run.needs_review",
        WorkflowRunRejected => "workflow_run.rejected",
        WorkflowRunCancelled => "workflow_run.cancelled",
        WorkflowRunStepRunProcessed => "workflow_run.step_run.processed",
    }
);

impl SortBy {
    /// Of an object's two times, the one this sorts by, as nanoseconds.
    pub fn of(self, created: super::Timestamp, updated: super::Timestamp) -> i64 {
        match self {
            SortBy::CreatedAt => created.unix_nanos(),
            SortBy::UpdatedAt => updated.unix_nanos(),
        }
    }
}

impl EventType {
    /// Whether an endpoint may name it in its `enabledEvents`: every event
    /// but the workflow runs', which reach an endpoint only through a
    /// workflow's subscription (`/webhook_subscriptions`).
    pub fn is_endpoint_event(self) -> bool {
        !self.as_str().starts_with("workflow_run.")
    }

    /// The events a subscription to a resource of `resource` may enable.
    pub fn subscribable(self, resource: SubscriptionResource) -> bool {
        use EventType::*;
        let batch = matches!(self, BatchProcessorRunProcessed | BatchProcessorRunFailed);
        match resource {
            SubscriptionResource::Extractor => {
                batch || matches!(self, ExtractRunProcessed | ExtractRunFailed)
            }
            SubscriptionResource::Classifier => {
                batch || matches!(self, ClassifyRunProcessed | ClassifyRunFailed)
            }
            SubscriptionResource::Splitter => {
                batch || matches!(self, SplitRunProcessed | SplitRunFailed)
            }
            SubscriptionResource::Workflow => !self.is_endpoint_event(),
        }
    }

    /// The event a run's end is sent as to an endpoint pinned to `version`:
    /// `processor_run.*` before 2026-02-09, the run family's own after.
    pub fn for_run_end(version: ApiVersion, kind: ProcessorType, processed: bool) -> EventType {
        use EventType::*;
        match (version >= ApiVersion::V2026_02_09, kind, processed) {
            (false, _, true) => ProcessorRunProcessed,
            (false, _, false) => ProcessorRunFailed,
            (true, ProcessorType::Extract, true) => ExtractRunProcessed,
            (true, ProcessorType::Extract, false) => ExtractRunFailed,
            (true, ProcessorType::Classify, true) => ClassifyRunProcessed,
            (true, ProcessorType::Classify, false) => ClassifyRunFailed,
            (true, ProcessorType::Splitter, true) => SplitRunProcessed,
            (true, ProcessorType::Splitter, false) => SplitRunFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_errors_list_the_accepted_values() {
        let err = RunStatus::parse("processed").unwrap_err();
        assert_eq!(
            err,
            "`processed` is not one of PENDING, PROCESSING, PROCESSED, FAILED, CANCELLED"
        );
    }
}
