//! `ListQuery`: the checked form of `GET /processor_runs`'s query string. Built from
//! the raw pairs rather than derived, because some checks need what a derive can't
//! see: repeated names, the caller's workspace and the signing secret.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::domain::{EndpointStatus, Order, PagedResource, PagingRules, Position};
use crate::domain::{ProcessorType, RunSource, RunStatus, SortBy, SortDir, check_id};
use crate::http::error::ApiError;
use crate::page_token::{Cursor, PageSigner};
use crate::store::Filters;

/// Documented range of `maxPageSize` on Extend's list endpoints.
pub const MAX_PAGE_SIZE: usize = 1000;

#[derive(Debug)]
pub struct ListQuery {
    pub filters: Filters,
    pub order: Order,
    pub page_size: usize,
    /// Signature, workspace and sort already checked.
    pub after: Option<Position>,
    /// Which list this is: `/processor_runs` or a family's (its tokens
    /// are its own).
    pub resource: PagedResource,
    /// A family list's `batchId`: the runs whose `sourceId` it is, with
    /// `source` `BATCH_PROCESSOR_RUN` (see `families::batches`).
    pub batch_id: Option<String>,
}

/// An id filter's value, checked as an id.
pub fn id_value(name: &str, raw: Option<String>) -> Result<Option<String>, ApiError> {
    raw.map(|v| check_id(&v).map(|()| v).map_err(|e| invalid(name, e)))
        .transpose()
}

fn invalid(name: &str, reason: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidRequest(format!("Invalid query parameter `{name}`: {reason}"))
}

/// A closed-vocabulary parameter, checked against its spellings.
pub fn enum_value<T>(
    name: &str,
    raw: Option<String>,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ApiError> {
    raw.map(|v| parse(&v).map_err(|e| invalid(name, e)))
        .transpose()
}

/// The values of the `known` parameters, in their order; a name given twice
/// is an error, unknown names are ignored.
fn collect<const N: usize>(
    raw: Option<&str>,
    known: &[&str; N],
) -> Result<[Option<String>; N], ApiError> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let Some(slot) = known.iter().position(|known| *known == name) else {
            continue;
        };
        if values[slot].is_some() {
            return Err(invalid(&name, "given more than once"));
        }
        values[slot] = Some(value.into_owned());
    }
    Ok(values)
}

/// What every list shares: the order, the page size and where to start.
#[derive(Debug)]
pub struct Paging {
    pub order: Order,
    pub page_size: usize,
    pub after: Option<Position>,
}

/// The raw paging parameters of a list request.
struct RawPaging {
    sort_by: Option<String>,
    sort_dir: Option<String>,
    next_page_token: Option<String>,
    max_page_size: Option<String>,
}

/// Checks the paging parameters of a list of `resource`; `fingerprint` makes
/// the digest of the request's filters (see `fingerprint`), only when needed.
fn paging(
    raw: RawPaging,
    resource: PagedResource,
    workspace_id: &str,
    fingerprint: impl FnOnce() -> String,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<Paging, ApiError> {
    let defaults = Order::default();
    let order = Order {
        by: enum_value("sortBy", raw.sort_by, SortBy::parse)?.unwrap_or(defaults.by),
        dir: enum_value("sortDir", raw.sort_dir, SortDir::parse)?.unwrap_or(defaults.dir),
    };
    let page_size = match raw.max_page_size {
        None => rules.default_page_size,
        Some(raw) => raw
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                invalid(
                    "maxPageSize",
                    format!("`{raw}` is not a whole number from 1 to {MAX_PAGE_SIZE}"),
                )
            })?,
    };
    let after = raw
        .next_page_token
        .map(|token| {
            check_token(
                &token,
                resource,
                workspace_id,
                order,
                fingerprint,
                signer,
                rules,
            )
        })
        .transpose()?;
    Ok(Paging {
        order,
        page_size,
        after,
    })
}

/// `GET /processors`: a `type` filter and the paging parameters.
#[derive(Debug)]
pub struct ProcessorQuery {
    pub processor_type: Option<ProcessorType>,
    pub paging: Paging,
}

impl ProcessorQuery {
    pub fn fingerprint(&self) -> String {
        digest(&[(b't', self.processor_type.map(ProcessorType::as_str))])
    }
}

pub fn parse_processor_query(
    raw: Option<&str>,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<ProcessorQuery, ApiError> {
    let [
        processor_type,
        sort_by,
        sort_dir,
        next_page_token,
        max_page_size,
    ] = collect(
        raw,
        &["type", "sortBy", "sortDir", "nextPageToken", "maxPageSize"],
    )?;
    let processor_type = enum_value("type", processor_type, ProcessorType::parse)?;
    let paging = paging(
        RawPaging {
            sort_by,
            sort_dir,
            next_page_token,
            max_page_size,
        },
        PagedResource::Processors,
        workspace_id,
        || digest(&[(b't', processor_type.map(ProcessorType::as_str))]),
        signer,
        rules,
    )?;
    Ok(ProcessorQuery {
        processor_type,
        paging,
    })
}

/// `GET /files`: `nameContains` (lower-cased here) and the paging
/// parameters; files are ordered by `createdAt` only.
#[derive(Debug)]
pub struct FileQuery {
    pub name_contains: Option<String>,
    pub paging: Paging,
}

impl FileQuery {
    pub fn fingerprint(&self) -> String {
        digest(&[(b'n', self.name_contains.as_deref())])
    }
}

pub fn parse_file_query(
    raw: Option<&str>,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<FileQuery, ApiError> {
    let [name_contains, sort_dir, next_page_token, max_page_size] = collect(
        raw,
        &["nameContains", "sortDir", "nextPageToken", "maxPageSize"],
    )?;
    let name_contains = name_contains.map(|n| n.to_lowercase());
    let mut paging = paging(
        RawPaging {
            sort_by: Some("createdAt".to_owned()),
            sort_dir,
            next_page_token,
            max_page_size,
        },
        PagedResource::Files,
        workspace_id,
        || digest(&[(b'n', name_contains.as_deref())]),
        signer,
        rules,
    )?;
    paging.order.by = SortBy::CreatedAt;
    Ok(FileQuery {
        name_contains,
        paging,
    })
}

/// `GET /webhook_endpoints`: a `status` filter and the paging parameters;
/// endpoints are ordered by `createdAt` only.
#[derive(Debug)]
pub struct EndpointQuery {
    pub status: Option<EndpointStatus>,
    pub paging: Paging,
}

impl EndpointQuery {
    pub fn fingerprint(&self) -> String {
        digest(&[(b's', self.status.map(EndpointStatus::as_str))])
    }
}

pub fn parse_endpoint_query(
    raw: Option<&str>,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<EndpointQuery, ApiError> {
    let [status, sort_dir, next_page_token, max_page_size] =
        collect(raw, &["status", "sortDir", "nextPageToken", "maxPageSize"])?;
    let status = enum_value("status", status, EndpointStatus::parse)?;
    let mut paging = paging(
        RawPaging {
            sort_by: Some("createdAt".to_owned()),
            sort_dir,
            next_page_token,
            max_page_size,
        },
        PagedResource::WebhookEndpoints,
        workspace_id,
        || digest(&[(b's', status.map(EndpointStatus::as_str))]),
        signer,
        rules,
    )?;
    paging.order.by = SortBy::CreatedAt;
    Ok(EndpointQuery { status, paging })
}

/// `GET /parse_runs`: its filters, and pages newest first (parse runs take
/// no sort parameters).
pub struct ParseRunQuery {
    pub filters: crate::store::parse_runs::ParseFilters,
    pub paging: Paging,
    pub fingerprint: String,
}

pub fn parse_parse_run_query(
    raw: Option<&str>,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<ParseRunQuery, ApiError> {
    let [
        status,
        batch_id,
        source,
        source_id,
        file_name_contains,
        next_page_token,
        max_page_size,
    ] = collect(
        raw,
        &[
            "status",
            "batchId",
            "source",
            "sourceId",
            "fileNameContains",
            "nextPageToken",
            "maxPageSize",
        ],
    )?;
    let filters = crate::store::parse_runs::ParseFilters {
        status: enum_value("status", status, RunStatus::parse)?,
        batch_id: id_value("batchId", batch_id)?,
        source: enum_value("source", source, crate::domain::ParseRunSource::parse)?,
        source_id: id_value("sourceId", source_id)?,
        file_name_contains: file_name_contains.map(|v| v.to_lowercase()),
    };
    let fingerprint = digest(&[
        (b's', filters.status.map(RunStatus::as_str)),
        (b'b', filters.batch_id.as_deref()),
        (
            b'o',
            filters.source.map(crate::domain::ParseRunSource::as_str),
        ),
        (b'i', filters.source_id.as_deref()),
        (b'f', filters.file_name_contains.as_deref()),
    ]);
    let mut paging = paging(
        RawPaging {
            sort_by: Some("createdAt".to_owned()),
            sort_dir: Some("desc".to_owned()),
            next_page_token,
            max_page_size,
        },
        PagedResource::ParseRuns,
        workspace_id,
        || fingerprint.clone(),
        signer,
        rules,
    )?;
    paging.order.by = SortBy::CreatedAt;
    Ok(ParseRunQuery {
        filters,
        paging,
        fingerprint,
    })
}

/// A family's processors (`GET /extractors`: `sortBy` too) or a
/// processor's versions (`GET /extractors/{id}/versions`: `sortDir` only,
/// by `createdAt`): the paging parameters alone.
pub fn parse_catalogue_query(
    raw: Option<&str>,
    with_sort_by: bool,
    fingerprint: &str,
    resource: PagedResource,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<Paging, ApiError> {
    let [sort_by, sort_dir, next_page_token, max_page_size] =
        collect(raw, &["sortBy", "sortDir", "nextPageToken", "maxPageSize"])?;
    let mut paging = paging(
        RawPaging {
            // Versions are in `createdAt` order only.
            sort_by: match with_sort_by {
                true => sort_by,
                false => Some("createdAt".into()),
            },
            sort_dir,
            next_page_token,
            max_page_size,
        },
        resource,
        workspace_id,
        || fingerprint.to_owned(),
        signer,
        rules,
    )?;
    if !with_sort_by {
        paging.order.by = SortBy::CreatedAt;
    }
    Ok(paging)
}

/// The token for the page after one that ended at `position`, of any list.
pub fn page_token(
    signer: &PageSigner,
    resource: PagedResource,
    workspace_id: &str,
    order: Order,
    fingerprint: String,
    position: Position,
) -> String {
    signer.sign(&Cursor {
        resource,
        workspace_id: workspace_id.to_owned(),
        order,
        position,
        filters: fingerprint,
    })
}

/// Which run list a query is for: `/processor_runs`, or a family's, which
/// names the processor its own way (`extractorId`), fixes the type, takes
/// `batchId` in place of `processorType` and signs tokens of its own.
#[derive(Clone, Copy, Debug)]
pub enum RunList {
    Legacy,
    Family {
        processor_filter: &'static str,
        processor_type: ProcessorType,
        resource: PagedResource,
    },
}

/// `GET /processor_runs`'s query. Fails on the first bad parameter and
/// names it. Unknown names are ignored.
pub fn parse_list_query(
    raw: Option<&str>,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<ListQuery, ApiError> {
    parse_run_query(raw, RunList::Legacy, workspace_id, signer, rules)
}

/// A run list's query (`RunList`): the filters, the order, the page.
pub fn parse_run_query(
    raw: Option<&str>,
    list: RunList,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<ListQuery, ApiError> {
    let (processor_filter, third, resource) = match list {
        RunList::Legacy => ("processorId", "processorType", PagedResource::ProcessorRuns),
        RunList::Family {
            processor_filter,
            resource,
            ..
        } => (processor_filter, "batchId", resource),
    };
    let [
        status,
        processor_id,
        third_value,
        source_id,
        source,
        file_name_contains,
        sort_by,
        sort_dir,
        next_page_token,
        max_page_size,
    ] = collect(
        raw,
        &[
            "status",
            processor_filter,
            third,
            "sourceId",
            "source",
            "fileNameContains",
            "sortBy",
            "sortDir",
            "nextPageToken",
            "maxPageSize",
        ],
    )?;
    // Checked in the order the parameters are listed: the first bad one answers.
    let status = enum_value("status", status, RunStatus::parse)?;
    let processor_id = id_value(processor_filter, processor_id)?;
    let (processor_type, family, batch_id) = match list {
        RunList::Legacy => (
            enum_value("processorType", third_value, ProcessorType::parse)?,
            None,
            None,
        ),
        RunList::Family { processor_type, .. } => (
            None,
            Some(processor_type),
            id_value("batchId", third_value)?,
        ),
    };
    let filters = Filters {
        status,
        processor_id,
        processor_type,
        family,
        source_id: id_value("sourceId", source_id)?,
        source: enum_value("source", source, RunSource::parse)?,
        file_name_contains: file_name_contains.map(|v| v.to_lowercase()),
    };
    let Paging {
        order,
        page_size,
        after,
    } = paging(
        RawPaging {
            sort_by,
            sort_dir,
            next_page_token,
            max_page_size,
        },
        resource,
        workspace_id,
        || list_fingerprint(&filters, batch_id.as_deref()),
        signer,
        rules,
    )?;
    Ok(ListQuery {
        filters,
        order,
        page_size,
        after,
        resource,
        batch_id,
    })
}

fn check_token(
    token: &str,
    resource: PagedResource,
    workspace_id: &str,
    order: Order,
    fingerprint: impl FnOnce() -> String,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<Position, ApiError> {
    // A `+` pasted raw into a URL arrives here as a space after query decoding.
    // Base64 never contains spaces, so mapping them back is lossless and spares
    // curl users a baffling 400. The SDKs percent-encode and never hit this.
    let token = token.trim().replace(' ', "+");
    let cursor = signer
        .verify(&token)
        .map_err(|e| invalid("nextPageToken", e))?;
    if cursor.resource != resource {
        return Err(invalid("nextPageToken", "it was issued for another list"));
    }
    if cursor.workspace_id != workspace_id {
        return Err(invalid(
            "nextPageToken",
            "it was issued for another workspace",
        ));
    }
    if cursor.order != order {
        return Err(invalid(
            "nextPageToken",
            format!(
                "it was issued for sortBy={} sortDir={}, not sortBy={} sortDir={}; \
                 keep the sort the same while paging",
                cursor.order.by, cursor.order.dir, order.by, order.dir
            ),
        ));
    }
    if rules.strict_tokens && cursor.filters != fingerprint() {
        return Err(invalid(
            "nextPageToken",
            "it was issued with other filters, and this server runs with strict page tokens",
        ));
    }
    Ok(cursor.position)
}

/// A short, stable digest of the filters, recorded in each token so strict mode
/// can tell when a client changed them between pages.
pub fn fingerprint(filters: &Filters) -> String {
    digest(&[
        (b's', filters.status.map(RunStatus::as_str)),
        (b'p', filters.processor_id.as_deref()),
        (b't', filters.processor_type.map(ProcessorType::as_str)),
        (b'i', filters.source_id.as_deref()),
        (b'o', filters.source.map(RunSource::as_str)),
        (b'f', filters.file_name_contains.as_deref()),
        (b'y', filters.family.map(ProcessorType::as_str)),
    ])
}

/// A run list's fingerprint: its filters, and a family list's `batchId`.
fn list_fingerprint(filters: &Filters, batch_id: Option<&str>) -> String {
    let mut print = fingerprint(filters);
    if batch_id.is_some() {
        print.push_str(&digest(&[(b'b', batch_id)]));
    }
    print
}

/// Each part is tagged and length-prefixed, so no two filter sets collide.
fn digest(parts: &[(u8, Option<&str>)]) -> String {
    let mut digest = Sha256::new();
    for &(tag, value) in parts {
        if let Some(value) = value {
            digest.update([tag]);
            digest.update((value.len() as u64).to_le_bytes());
            digest.update(value.as_bytes());
        }
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.finalize()[..9])
}

/// The token for the page after one that ended at `position`.
pub fn next_page_token(
    signer: &PageSigner,
    workspace_id: &str,
    query: &ListQuery,
    position: Position,
) -> String {
    let filters = list_fingerprint(&query.filters, query.batch_id.as_deref());
    signer.sign(&Cursor {
        resource: query.resource,
        workspace_id: workspace_id.to_owned(),
        order: query.order,
        position,
        filters,
    })
}

/// A list of one of the resources kept in plain tables (workflows, their
/// versions and runs, webhook subscriptions): its `filters` (names, in
/// order; values as given), the paging parameters, `sortBy` only where
/// the list takes it, and the digest of the filters its tokens carry.
pub struct TableQuery {
    pub resource: PagedResource,
    pub filters: Vec<Option<String>>,
    pub paging: Paging,
    pub fingerprint: String,
}

/// Which table list a query is for.
pub struct TableList<'a> {
    pub resource: PagedResource,
    /// The filters' names, in the order `TableQuery::filters` gives them.
    pub filters: &'a [&'a str],
    /// What else the list is of (a workflow's versions: the workflow).
    pub scope: Option<&'a str>,
    /// Whether it takes `sortBy` (else by `createdAt` only).
    pub with_sort_by: bool,
}

pub fn parse_table_query(
    raw: Option<&str>,
    list: TableList<'_>,
    workspace_id: &str,
    signer: &PageSigner,
    rules: PagingRules,
) -> Result<TableQuery, ApiError> {
    let TableList {
        resource,
        filters,
        scope,
        with_sort_by,
    } = list;
    const PAGING: [&str; 4] = ["sortBy", "sortDir", "nextPageToken", "maxPageSize"];
    let mut values: Vec<Option<String>> = vec![None; filters.len() + PAGING.len()];
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let Some(slot) = filters
            .iter()
            .chain(PAGING.iter())
            .position(|known| *known == name)
        else {
            continue;
        };
        if values[slot].is_some() {
            return Err(invalid(&name, "given more than once"));
        }
        values[slot] = Some(value.into_owned());
    }
    let paging_values = values.split_off(filters.len());
    let [sort_by, sort_dir, next_page_token, max_page_size]: [Option<String>; 4] =
        paging_values.try_into().expect("four paging parameters");
    // The list's own scope (a workflow's versions) is part of what a token
    // is for.
    let parts: Vec<(u8, Option<&str>)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (b'a' + i as u8, v.as_deref()))
        .chain(std::iter::once((b'/', scope)))
        .collect();
    let fingerprint = digest(&parts);
    let mut paging = paging(
        RawPaging {
            sort_by: match with_sort_by {
                true => sort_by,
                false => Some("createdAt".into()),
            },
            sort_dir,
            next_page_token,
            max_page_size,
        },
        resource,
        workspace_id,
        || fingerprint.clone(),
        signer,
        rules,
    )?;
    if !with_sort_by {
        paging.order.by = SortBy::CreatedAt;
    }
    Ok(TableQuery {
        resource,
        filters: values,
        paging,
        fingerprint,
    })
}
