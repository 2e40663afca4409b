//! The domain: ids, the API's closed vocabularies, time, runs, tenancy and
//! paging. Parsing happens here once; nothing further in re-checks a value.
//! No HTTP types and no store internals here.

mod enums;
mod file;
mod ids;
mod paging;
pub mod pdf_form;
pub mod pdf_text;
mod processor;
mod run;
mod tenancy;
mod time;
mod webhook;

pub use self::time::Timestamp;
pub use enums::{
    ApiVersion, EndpointStatus, EventType, FileType, KeyScope, ParseRunSource, ProcessorType,
    RunSource, RunStatus, SortBy, SortDir, StepRunStatus, SubscriptionResource, WorkflowRunStatus,
};
pub use file::{
    FixtureFile, MAX_FILE_NAME, MAX_PAGES, StoredFile, check_file_name, detect_type, page_count,
};
pub use ids::{MAX_ID_LEN, RunId, check_id};
pub use paging::{Order, PagedResource, PagingRules, Position};
pub use processor::{DRAFT, Processor, ProcessorVersion, VersionNumber};
pub use run::{JsonObject, MAX_TEXT, ProcessorRun, RunDetails, Usage, clip_text};
pub use tenancy::{ApiKey, Organization, Workspace};
pub use webhook::{
    AdvancedOptions, PayloadFormat, WebhookEndpoint, check_headers, check_url, host_of, is_local,
    object_or_null,
};
