//! Keyset paging, for any resource listed by time: the order asked for,
//! where a page ended, and the rules for page tokens fixed at start-up.

use super::{SortBy, SortDir};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub by: SortBy,
    pub dir: SortDir,
}

impl Default for Order {
    /// SPEC Part 2: `updatedAt`, newest first.
    fn default() -> Self {
        Order {
            by: SortBy::UpdatedAt,
            dir: SortDir::Desc,
        }
    }
}

/// Where the previous page ended: the last item's sort value and id, for
/// runs, processors or files alike. The next page starts strictly after it,
/// so items added meanwhile never shift the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub at_nanos: i64,
    pub id: String,
}

/// What a page token pages through, recorded in the token so that one made
/// for one list is refused by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PagedResource {
    ProcessorRuns = 1,
    Processors = 2,
    Files = 3,
    WebhookEndpoints = 4,
    /// The current API's families: one list of runs and one of processors
    /// (and their versions) per processor type.
    ExtractRuns = 5,
    ClassifyRuns = 6,
    SplitRuns = 7,
    Extractors = 8,
    Classifiers = 9,
    Splitters = 10,
    ProcessorVersions = 11,
    ParseRuns = 12,
    Workflows = 13,
    WorkflowVersions = 14,
    WorkflowRuns = 15,
    WebhookSubscriptions = 16,
    EditRuns = 17,
    EditTemplates = 18,
}

impl PagedResource {
    pub const ALL: &[PagedResource] = &[
        PagedResource::ProcessorRuns,
        PagedResource::Processors,
        PagedResource::Files,
        PagedResource::WebhookEndpoints,
        PagedResource::ExtractRuns,
        PagedResource::ClassifyRuns,
        PagedResource::SplitRuns,
        PagedResource::Extractors,
        PagedResource::Classifiers,
        PagedResource::Splitters,
        PagedResource::ProcessorVersions,
        PagedResource::ParseRuns,
        PagedResource::Workflows,
        PagedResource::WorkflowVersions,
        PagedResource::WorkflowRuns,
        PagedResource::WebhookSubscriptions,
        PagedResource::EditRuns,
        PagedResource::EditTemplates,
    ];

    pub fn from_u8(raw: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| *r as u8 == raw)
    }
}

/// How list endpoints treat page sizes and tokens; fixed at start-up.
#[derive(Clone, Copy, Debug)]
pub struct PagingRules {
    pub default_page_size: usize,
    /// Reject a token reused with other filters instead of continuing from its
    /// position with the new ones.
    pub strict_tokens: bool,
}
