"""The current API's extraction family through the official Python SDK,
unmodified: `/extract_runs` (create, create_and_poll, list, retrieve, cancel,
delete), the sync `POST /extract`, `/extractors` and their versions, with
typed (pydantic) schemas. Every raw answer is also validated strictly with the
SDK's own pydantic model (no undeclared field, no missing required field)."""

import datetime
import enum
import re
from typing import List, Literal, Optional

import pytest
from pydantic import BaseModel

from extend_ai import Extend, ExtendCurrency, ExtendDate, ExtendSignature, PollingOptions
from extend_ai.errors import NotFoundError
from extend_ai.extract_runs.types.extract_runs_delete_response import ExtractRunsDeleteResponse
from extend_ai.extract_runs.types.extract_runs_list_response import ExtractRunsListResponse
from extend_ai.extractor_versions.types.extractor_versions_list_response import ExtractorVersionsListResponse
from extend_ai.extractors.types.extractors_list_response import ExtractorsListResponse
from extend_ai.types.extract_run import ExtractRun
from extend_ai.types.extractor import Extractor
from extend_ai.types.extractor_version import ExtractorVersion
from extend_ai.types.legacy_processor_run import LegacyProcessorRun
from extend_ai.wrapper.schema.conversion import pydantic_to_extend_schema
from extend_ai.wrapper.schema.typed_run import TypedExtractRun

from conftest import MOCK, strict

FAST = PollingOptions(max_wait_ms=30_000, fast_poll_interval_ms=100, jitter_fraction=0)
FILE = {"url": "https://files.example.com/invoice.pdf", "name": "invoice.pdf"}


class DocumentKind(str, enum.Enum):
    INVOICE = "invoice"
    RECEIPT = "receipt"


class LineItem(BaseModel):
    description: Optional[str]
    unit_price: Optional[ExtendCurrency]


class Vendor(BaseModel):
    name: Optional[str]
    address: Optional[str]


class Invoice(BaseModel):
    """Every kind of field the SDK's typed helper takes, none with a default:
    a key missing from the output is a validation error."""

    invoice_number: Optional[str]
    page_count: Optional[int]
    tax_rate: Optional[float]
    is_paid: Optional[bool]
    payment_status: Optional[Literal["open", "paid", "void"]]
    kind: Optional[DocumentKind]
    line_items: List[LineItem]
    tags: List[str]
    vendor: Vendor
    total: ExtendCurrency
    invoice_date: ExtendDate
    signature: ExtendSignature


class Simple(BaseModel):
    invoice_number: Optional[str]
    total: ExtendCurrency


INVOICE_SCHEMA = pydantic_to_extend_schema(Invoice)
SIMPLE_SCHEMA = pydantic_to_extend_schema(Simple)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def raw_run(sdk, run_id):
    """The run as the server sends it, strictly an `ExtractRun`, and the body."""
    body = sdk.extract_runs.with_raw_response.retrieve(run_id)._response.json()
    return strict(ExtractRun, body), body


def wait_done(sdk, run_id):
    import time

    started = time.monotonic()
    while True:
        run = sdk.extract_runs.retrieve(run_id)
        if run.status not in ("PENDING", "PROCESSING"):
            return run
        assert time.monotonic() - started < 30
        time.sleep(0.1)


def check_invoice(value):
    assert isinstance(value, Invoice)
    assert value.invoice_number is None or isinstance(value.invoice_number, str)
    assert value.page_count is None or isinstance(value.page_count, int)
    assert value.tax_rate is None or isinstance(value.tax_rate, float)
    assert value.is_paid is None or isinstance(value.is_paid, bool)
    assert value.payment_status in ("open", "paid", "void", None)
    assert value.kind is None or isinstance(value.kind, DocumentKind)
    assert value.line_items, "a list of line items"
    for item in value.line_items:
        assert isinstance(item, LineItem)
        assert isinstance(item.unit_price, ExtendCurrency)
        assert item.unit_price.iso_4217_currency_code == "USD"
        assert isinstance(item.unit_price.amount, float)
    assert all(isinstance(tag, str) for tag in value.tags)
    assert isinstance(value.vendor, Vendor)
    assert isinstance(value.total, ExtendCurrency)
    assert value.total.iso_4217_currency_code == "USD"
    assert isinstance(value.total.amount, float)
    assert type(value.invoice_date) is datetime.date
    assert isinstance(value.signature, ExtendSignature)
    sig = value.signature
    assert sig.signature_date is None or type(sig.signature_date) is datetime.date
    assert sig.is_signed is None or isinstance(sig.is_signed, bool)


def test_create_and_poll_with_a_typed_schema(seeded):
    sdk = client()
    run = sdk.extract_runs.create_and_poll(
        file=FILE, config={"schema": Invoice}, metadata={"case": "typed"}, polling_options=FAST
    )
    assert isinstance(run, TypedExtractRun)
    assert run.id.startswith("exr_")
    assert run.object == "extract_run"
    assert run.status == "PROCESSED"
    check_invoice(run.output.value)
    assert run.failure_reason is None and run.failure_message is None
    assert run.metadata == {"case": "typed"}
    assert run.file.name == "invoice.pdf"
    assert run.file.id.startswith("file_")
    assert run.extractor is None and run.extractor_version is None  # an inline config
    # The config the server keeps is the schema the SDK made from the model.
    assert run.config.schema_ == INVOICE_SCHEMA
    assert run.usage is not None and run.usage.credits > 0

    strict_run, body = raw_run(sdk, run.id)
    assert body["status"] == "PROCESSED"
    assert set(body["output"]["value"]) == set(INVOICE_SCHEMA["properties"])
    assert Invoice.model_validate(body["output"]["value"]) == run.output.value
    assert body["initialOutput"] is None and body["reviewedOutput"] is None
    assert body["dashboardUrl"] == run.dashboard_url
    assert ISO.match(body["createdAt"]) and ISO.match(body["updatedAt"])
    assert strict_run.updated_at >= strict_run.created_at


def test_create_returns_processing_at_once(seeded):
    sdk = client()
    raw = sdk.extract_runs.with_raw_response.create(file=FILE, config={"schema": SIMPLE_SCHEMA})
    created = strict(ExtractRun, raw._response.json())
    assert created.status in ("PENDING", "PROCESSING")
    assert created.output is None
    done = wait_done(sdk, created.id)
    assert done.status == "PROCESSED"
    assert set(done.output.value) == {"invoice_number", "total"}


def test_sync_extract_with_an_extractor_and_with_a_typed_config(seeded):
    sdk = client()
    extractor = sdk.extractors.create(name="Sync invoices", config={"schema": SIMPLE_SCHEMA})
    raw = sdk.with_raw_response.extract(file=FILE, extractor={"id": extractor.id})
    body = raw._response.json()
    run = strict(ExtractRun, body)
    assert run.status == "PROCESSED"
    assert run.extractor.id == extractor.id
    assert run.extractor.name == "Sync invoices"
    assert run.extractor_version.version == "draft"  # nothing published: latest is the draft
    assert run.extractor_version.extractor_id == extractor.id
    assert set(run.output.value) == {"invoice_number", "total"}
    assert run.output.value["total"]["iso_4217_currency_code"] == "USD"
    assert run.config.schema_ == SIMPLE_SCHEMA

    # The wrapper's client.extract, untyped: a finished ExtractRun.
    plain = sdk.extract(file=FILE, extractor={"id": extractor.id})
    assert isinstance(plain, ExtractRun)
    assert plain.status == "PROCESSED"
    assert plain.extractor.id == extractor.id

    # Typed: the output is the model.
    typed = sdk.extract(file={"text": "Invoice INV-1 total $12.50", "name": "inv.txt"}, config={"schema": Invoice})
    assert isinstance(typed, TypedExtractRun)
    assert typed.status == "PROCESSED"
    check_invoice(typed.output.value)
    assert typed.config.schema_ == INVOICE_SCHEMA
    assert raw_run(sdk, typed.id)[1]["status"] == "PROCESSED"

    # Typed through the extractor's overrideConfig.
    override = sdk.extract(file=FILE, extractor={"id": extractor.id, "override_config": {"schema": Invoice}})
    assert isinstance(override, TypedExtractRun)
    assert override.status == "PROCESSED"
    check_invoice(override.output.value)
    assert override.extractor.id == extractor.id


def test_sync_extract_of_a_failing_file(seeded):
    sdk = client()
    raw = sdk.with_raw_response.extract(file={"url": FILE["url"], "name": "broken __fail__.pdf"},
                                        config={"schema": SIMPLE_SCHEMA})
    run = strict(ExtractRun, raw._response.json())
    assert run.status == "FAILED"
    assert run.output is None and run.usage is None
    assert run.failure_reason and run.failure_message
    # Typed: a failed run has no output to validate, and no error is raised.
    typed = sdk.extract(file={"url": FILE["url"], "name": "broken __fail__.pdf"}, config={"schema": Simple})
    assert isinstance(typed, TypedExtractRun)
    assert typed.status == "FAILED"
    assert typed.output is None
    # A reason the current API documents, asked for by name.
    named = sdk.extract_runs.create_and_poll(
        file={"url": FILE["url"], "name": "x __fail_FAILED_TO_PROCESS_FILE__.pdf"},
        config={"schema": Simple}, polling_options=FAST,
    )
    assert named.status == "FAILED"
    assert named.failure_reason == "FAILED_TO_PROCESS_FILE"
    assert named.output is None


# The failure reasons the SDK's `ExtractRun.failure_reason` documents.
DOCUMENTED_FAILURE_REASONS = {
    "ABORTED", "INTERNAL_ERROR", "FAILED_TO_PROCESS_FILE", "INVALID_PROCESSOR", "INVALID_CONFIGURATION",
    "PARSING_ERROR", "PRE_PROCESSING_FAILURE", "POST_PROCESSING_FAILURE", "OUT_OF_CREDITS",
    "SCHEMA_GENERATION_FAILED",
}


def test_the_default_failure_reason_is_one_the_current_api_documents(seeded):
    sdk = client()
    run = sdk.extract(file={"url": FILE["url"], "name": "broken __fail__.pdf"}, config={"schema": SIMPLE_SCHEMA})
    assert run.status == "FAILED"
    assert run.failure_reason in DOCUMENTED_FAILURE_REASONS, run.failure_reason
    assert run.failure_reason == "FAILED_TO_PROCESS_FILE"


def test_list_pages_walk_every_run_once_and_filter_by_status(seeded):
    sdk = client()
    made = [sdk.extract_runs.create(file={"url": FILE["url"], "name": f"page-{n}.pdf"},
                                    config={"schema": SIMPLE_SCHEMA}).id for n in range(4)]
    held = sdk.extract_runs.create(file={"url": FILE["url"], "name": "held __hold__.pdf"},
                                   config={"schema": SIMPLE_SCHEMA}).id
    for run_id in made:
        wait_done(sdk, run_id)

    def page_of(**query):
        body = sdk.extract_runs.with_raw_response.list(**query)._response.json()
        page = strict(ExtractRunsListResponse, body)
        assert body["object"] == "list"
        for item in body["data"]:
            assert item["object"] == "extract_run"
            for key in ("output", "initialOutput", "reviewedOutput", "edits", "config"):
                assert key not in item, f"a summary holds {key}"
        return page

    everything = page_of(max_page_size=100)
    assert everything.next_page_token is None
    all_ids = [r.id for r in everything.data]
    assert len(all_ids) == len(set(all_ids))
    assert set(made + [held]) <= set(all_ids)

    for size in (1, 2, 3):
        walked, token, pages = [], None, 0
        while True:
            page = page_of(max_page_size=size, next_page_token=token)
            assert len(page.data) <= size
            walked += [r.id for r in page.data]
            pages += 1
            token = page.next_page_token
            if not token:
                break
        assert walked == all_ids, f"page size {size}"
        assert pages >= -(-len(all_ids) // size)

    by_status = {r.id: r.status for r in everything.data}
    for status in ("PROCESSED", "PROCESSING", "FAILED", "CANCELLED", "PENDING"):
        ids, token = [], None
        while True:
            page = page_of(status=status, max_page_size=2, next_page_token=token)
            assert all(r.status == status for r in page.data)
            ids += [r.id for r in page.data]
            token = page.next_page_token
            if not token:
                break
        assert ids == [i for i in all_ids if by_status[i] == status], status
    processing = [r.id for r in sdk.extract_runs.list(status="PROCESSING", max_page_size=100).data]
    assert held in processing
    processed = [r.id for r in sdk.extract_runs.list(status="PROCESSED", max_page_size=100).data]
    assert set(made) <= set(processed)


def test_cancel_then_delete(seeded):
    sdk = client()
    created = sdk.extract_runs.create(file={"url": FILE["url"], "name": "slow __hold__.pdf"},
                                      config={"schema": SIMPLE_SCHEMA})
    assert created.status in ("PENDING", "PROCESSING")
    assert sdk.extract_runs.retrieve(created.id).status == "PROCESSING"

    raw = sdk.extract_runs.with_raw_response.cancel(created.id)
    cancelled = strict(ExtractRun, raw._response.json())
    assert cancelled.id == created.id
    assert cancelled.status == "CANCELLED"
    assert cancelled.output is None
    assert sdk.extract_runs.retrieve(created.id).status == "CANCELLED"

    raw = sdk.extract_runs.with_raw_response.delete(created.id)
    body = raw._response.json()
    strict(ExtractRunsDeleteResponse, body)
    assert body == {"id": created.id}
    with pytest.raises(NotFoundError) as missing:
        sdk.extract_runs.retrieve(created.id)
    assert created.id in missing.value.body["message"]
    with pytest.raises(NotFoundError):
        sdk.extract_runs.delete(created.id)
    with pytest.raises(NotFoundError):
        sdk.extract_runs.cancel(created.id)
    assert created.id not in [r.id for r in sdk.extract_runs.list(max_page_size=100).data]


def test_extractors_and_their_versions(seeded):
    sdk = client()
    raw = sdk.extractors.with_raw_response.create(name="Invoices", config={"schema": SIMPLE_SCHEMA})
    created = strict(Extractor, raw._response.json())
    assert created.object == "extractor"
    assert created.id.startswith("ex_")
    assert created.name == "Invoices"
    assert created.draft_version.version == "draft"
    assert created.draft_version.extractor_id == created.id
    assert created.draft_version.config.schema_ == SIMPLE_SCHEMA

    # The wrapper converts a pydantic model given as the schema.
    typed = sdk.extractors.create(name="Typed invoices", config={"schema": Invoice})
    assert typed.draft_version.config.schema_ == INVOICE_SCHEMA

    got = strict(Extractor, sdk.extractors.with_raw_response.retrieve(created.id)._response.json())
    assert got == created

    raw = sdk.extractors.with_raw_response.update(created.id, name="Invoices v2")
    updated = strict(Extractor, raw._response.json())
    assert updated.id == created.id
    assert updated.name == "Invoices v2"
    assert updated.updated_at >= created.updated_at
    assert updated.draft_version.config.schema_ == SIMPLE_SCHEMA
    # Updating the config with a model changes the draft.
    redrafted = sdk.extractors.update(created.id, config={"schema": Invoice})
    assert redrafted.draft_version.config.schema_ == INVOICE_SCHEMA
    sdk.extractors.update(created.id, config={"schema": SIMPLE_SCHEMA})

    body = sdk.extractors.with_raw_response.list(max_page_size=100)._response.json()
    listed = strict(ExtractorsListResponse, body)
    assert body["object"] == "list"
    names = {e.id: e.name for e in listed.data}
    assert names[created.id] == "Invoices v2"
    assert names[typed.id] == "Typed invoices"
    walked, token = [], None
    while True:
        page = sdk.extractors.list(max_page_size=1, next_page_token=token)
        walked += [e.id for e in page.data]
        token = page.next_page_token
        if not token:
            break
    assert walked == [e.id for e in listed.data]

    raw = sdk.extractor_versions.with_raw_response.create(created.id, release_type="major", description="first")
    v1 = strict(ExtractorVersion, raw._response.json())
    assert (v1.object, v1.version, v1.description, v1.extractor_id) == ("extractor_version", "1.0", "first", created.id)
    assert v1.id.startswith("exv_")
    assert v1.config.schema_ == SIMPLE_SCHEMA
    # A minor release with a typed config of its own.
    raw = sdk.extractor_versions.with_raw_response.create(created.id, release_type="minor")
    v11 = strict(ExtractorVersion, raw._response.json())
    assert v11.version == "1.1"
    v12 = sdk.extractor_versions.create(created.id, release_type="minor", config={"schema": Invoice})
    assert v12.version == "1.2"
    assert v12.config.schema_ == INVOICE_SCHEMA

    body = sdk.extractor_versions.with_raw_response.list(created.id)._response.json()
    versions = strict(ExtractorVersionsListResponse, body)
    assert body["object"] == "list"
    assert [v.version for v in versions.data] == ["draft", "1.2", "1.1", "1.0"]
    assert all(v.extractor_id == created.id for v in versions.data)
    for item in body["data"]:
        assert "config" not in item and "updatedAt" not in item

    raw = sdk.extractor_versions.with_raw_response.retrieve(created.id, "1.0")
    assert strict(ExtractorVersion, raw._response.json()) == v1
    assert sdk.extractor_versions.retrieve(created.id, v11.id).version == "1.1"
    assert sdk.extractor_versions.retrieve(created.id, "draft").version == "draft"
    assert sdk.extractor_versions.retrieve(created.id, "latest").version == "1.2"

    # A run pinned to 1.0, one to the latest, both through the SDK.
    pinned = sdk.extract(file=FILE, extractor={"id": created.id, "version": "1.0"})
    assert pinned.status == "PROCESSED"
    assert pinned.extractor_version.version == "1.0"
    assert pinned.extractor_version.id == v1.id
    assert set(pinned.output.value) == {"invoice_number", "total"}
    strict_pinned, _ = raw_run(sdk, pinned.id)
    assert strict_pinned.extractor_version.version == "1.0"
    latest = sdk.extract_runs.create_and_poll(file=FILE, extractor={"id": created.id}, polling_options=FAST)
    assert latest.status == "PROCESSED"
    assert latest.extractor_version.version == "1.2"
    assert set(latest.output.value) == set(INVOICE_SCHEMA["properties"])
    # The runs list filters by extractor.
    runs = sdk.extract_runs.list(extractor_id=created.id, max_page_size=100).data
    assert sorted(r.id for r in runs) == sorted([pinned.id, latest.id])
    assert {r.extractor_version.version for r in runs} == {"1.0", "1.2"}

    with pytest.raises(NotFoundError):
        sdk.extractors.retrieve("ex_missing")
    with pytest.raises(NotFoundError):
        sdk.extractor_versions.retrieve(created.id, "9.9")
    with pytest.raises(NotFoundError):
        sdk.extract(file=FILE, extractor={"id": created.id, "version": "9.9"})


def test_a_run_made_here_is_a_legacy_processor_run_too(seeded):
    sdk = client()
    extractor = sdk.extractors.create(name="Both views", config={"schema": SIMPLE_SCHEMA})
    run = sdk.extract_runs.create_and_poll(file=FILE, extractor={"id": extractor.id}, polling_options=FAST)
    assert run.status == "PROCESSED"
    body = sdk.processor_run.with_raw_response.get(run.id)._response.json()
    legacy = LegacyProcessorRun.model_validate(body["processorRun"])
    assert legacy.model_extra == {}, legacy.model_extra
    assert legacy.id == run.id
    assert legacy.type == "EXTRACT"
    assert legacy.status == "PROCESSED"
    assert legacy.processor_id == extractor.id
    assert legacy.processor_name == "Both views"
    assert legacy.processor_version_id == run.extractor_version.id
    assert body["processorRun"]["output"]["value"] == run.output.value
    # And the other way round: the legacy delete removes it from this view.
    sdk.processor_run.delete(run.id)
    with pytest.raises(NotFoundError):
        sdk.extract_runs.retrieve(run.id)
