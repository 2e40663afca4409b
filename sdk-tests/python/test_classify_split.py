"""The current API's classify and split families through the official Python
SDK, unmodified: `/classify_runs` and `/split_runs` (create, create_and_poll,
list, retrieve, cancel, delete), the sync `POST /classify` and `POST /split`,
`/classifiers`, `/splitters` and their versions. Every raw answer is validated
strictly with the SDK's own pydantic model (no undeclared field, no missing
required field, at every level)."""

import time

import httpx
import pytest

from extend_ai import Extend, PollingOptions
from extend_ai.classifier_versions.types.classifier_versions_list_response import ClassifierVersionsListResponse
from extend_ai.classifiers.types.classifiers_list_response import ClassifiersListResponse
from extend_ai.classify_runs.types.classify_runs_delete_response import ClassifyRunsDeleteResponse
from extend_ai.classify_runs.types.classify_runs_list_response import ClassifyRunsListResponse
from extend_ai.errors import BadRequestError, NotFoundError
from extend_ai.split_runs.types.split_runs_delete_response import SplitRunsDeleteResponse
from extend_ai.split_runs.types.split_runs_list_response import SplitRunsListResponse
from extend_ai.splitter_versions.types.splitter_versions_list_response import SplitterVersionsListResponse
from extend_ai.splitters.types.splitters_list_response import SplittersListResponse
from extend_ai.types.classifier import Classifier
from extend_ai.types.classifier_version import ClassifierVersion
from extend_ai.types.classify_run import ClassifyRun
from extend_ai.types.legacy_classifier_output import LegacyClassifierOutput
from extend_ai.types.legacy_processor_run import LegacyProcessorRun
from extend_ai.types.legacy_splitter_output import LegacySplitterOutput
from extend_ai.types.split_run import SplitRun
from extend_ai.types.splitter import Splitter
from extend_ai.types.splitter_version import SplitterVersion

from conftest import MOCK, strict

FAST = PollingOptions(max_wait_ms=30_000, fast_poll_interval_ms=100, jitter_fraction=0)
KINDS = [("invoice", "An invoice or bill"), ("bank_statement", "A bank account statement"), ("other", "Anything else")]
CLASSIFY = {"classifications": [{"id": k, "type": k, "description": d} for k, d in KINDS]}
# Ids unlike types, so that a split's `type` and `classificationId` are told apart.
SPLIT = {"split_classifications": [
    {"id": "inv", "type": "invoice", "description": "An invoice", "identifier_key": "Extract the invoice number"},
    {"id": "misc", "type": "other", "description": "Any other pages"},
]}
SPLIT_RAW = {"splitClassifications": [{("identifierKey" if k == "identifier_key" else k): v for k, v in c.items()}
                                      for c in SPLIT["split_classifications"]]}
INVOICE_TEXT = "INVOICE #12345\nBill to: ACME Corp\nTotal due: $1,250.00"
STATEMENT_URL = "https://files.example.com/March-Bank-Statement.pdf"


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def wait_done(runs, run_id):
    started = time.monotonic()
    while (run := runs.retrieve(run_id)).status in ("PENDING", "PROCESSING"):
        assert time.monotonic() - started < 30
        time.sleep(0.1)
    return run


def pdf(pages):
    return (b"%PDF-1.4\n1 0 obj << /Type /Pages >>\n" + b"".join(b"%d 0 obj << /Type /Page >>\n" % (i + 2) for i in range(pages)))


def check_classified(run, kind):
    assert run.status == "PROCESSED"
    assert (run.output.id, run.output.type) == (kind, kind)
    assert 0 <= run.output.confidence <= 1
    assert [i.type for i in run.output.insights] == ["reasoning"]
    assert run.output.insights[0].content
    assert run.failure_reason is None and run.usage.credits > 0


def check_splits(run, file_id, pages, config=SPLIT_RAW):
    assert run.status == "PROCESSED"
    kinds = {c["id"]: c for c in config["splitClassifications"]}
    expected_start = 1
    for split in run.output.splits:
        assert split.start_page == expected_start and split.end_page >= split.start_page
        expected_start = split.end_page + 1
        assert split.id.startswith("splt_")
        assert split.file_id == file_id
        assert split.type == kinds[split.classification_id]["type"]
        assert isinstance(split.identifier, str)
        assert bool(split.identifier) == ("identifierKey" in kinds[split.classification_id])
    assert expected_start == pages + 1, "the splits cover every page, in order"
    assert len({s.id for s in run.output.splits}) == len(run.output.splits)


def test_classifiers_their_versions_and_a_clone(seeded):
    sdk = client()
    created = strict(Classifier, sdk.classifiers.with_raw_response.create(name="Docs", config=CLASSIFY)._response.json())
    assert (created.object, created.name) == ("classifier", "Docs")
    assert created.id.startswith("cl_")
    assert created.draft_version.version == "draft" and created.draft_version.classifier_id == created.id
    assert created.draft_version.model_dump(by_alias=True, exclude_none=True)["config"] == CLASSIFY
    assert strict(Classifier, sdk.classifiers.with_raw_response.retrieve(created.id)._response.json()) == created

    two = {"classifications": CLASSIFY["classifications"][:2]}
    raw = sdk.classifiers.with_raw_response.update(created.id, name="Docs v2", config=two)
    updated = strict(Classifier, raw._response.json())
    assert (updated.id, updated.name) == (created.id, "Docs v2")
    assert [c.id for c in updated.draft_version.config.classifications] == ["invoice", "bank_statement"]
    assert updated.updated_at >= created.updated_at

    v1 = strict(ClassifierVersion, sdk.classifier_versions.with_raw_response.create(
        created.id, release_type="major", description="first")._response.json())
    assert (v1.object, v1.version, v1.description, v1.classifier_id) == ("classifier_version", "1.0", "first", created.id)
    assert [c.id for c in v1.config.classifications] == ["invoice", "bank_statement"]
    v11 = strict(ClassifierVersion, sdk.classifier_versions.with_raw_response.create(
        created.id, release_type="minor", config=CLASSIFY)._response.json())
    assert v11.version == "1.1" and len(v11.config.classifications) == 3
    body = sdk.classifier_versions.with_raw_response.list(created.id)._response.json()
    versions = strict(ClassifierVersionsListResponse, body)
    assert body["object"] == "list" and all("config" not in v for v in body["data"])
    assert [v.version for v in versions.data] == ["draft", "1.1", "1.0"]
    got = sdk.classifier_versions.with_raw_response.retrieve(created.id, v1.id)._response.json()
    assert strict(ClassifierVersion, got) == v1
    assert sdk.classifier_versions.retrieve(created.id, "latest").id == v11.id

    clone = sdk.classifiers.create(name="Docs copy", clone_classifier_id=created.id)
    assert clone.id != created.id and clone.name == "Docs copy"
    assert clone.draft_version.config == updated.draft_version.config
    body = sdk.classifiers.with_raw_response.list(max_page_size=100)._response.json()
    listed = strict(ClassifiersListResponse, body)
    assert sorted(c.id for c in listed.data) == sorted(["ex_cls", created.id, clone.id])
    assert all("draftVersion" not in c for c in body["data"])
    with pytest.raises(NotFoundError):
        sdk.classifiers.retrieve("ex_split")  # a splitter, not a classifier
    with pytest.raises(NotFoundError):
        sdk.classifier_versions.retrieve(created.id, "9.9")


def test_classify_with_a_classifier_inline_and_sync(seeded):
    sdk = client()
    classifier = sdk.classifiers.create(name="Docs", config=CLASSIFY)
    run = sdk.classify_runs.create_and_poll(classifier={"id": classifier.id}, file={"text": INVOICE_TEXT},
                                            metadata={"case": "text"}, polling_options=FAST)
    check_classified(run, "invoice")
    assert run.id.startswith("clr_") and run.object == "classify_run"
    assert run.classifier.id == classifier.id and run.classifier_version.version == "draft"
    assert run.metadata == {"case": "text"}
    body = sdk.classify_runs.with_raw_response.retrieve(run.id)._response.json()
    assert strict(ClassifyRun, body) == run
    assert body["initialOutput"] is None and body["reviewedOutput"] is None

    inline = sdk.classify_runs.create_and_poll(config=CLASSIFY, file={"url": STATEMENT_URL}, polling_options=FAST)
    check_classified(inline, "bank_statement")
    assert inline.classifier is None and inline.classifier_version is None
    assert inline.file.name == "March-Bank-Statement.pdf"
    assert inline.config.model_dump(by_alias=True, exclude_none=True) == CLASSIFY

    raw = sdk.with_raw_response.classify(classifier={"id": classifier.id}, file={"url": STATEMENT_URL})
    sync = strict(ClassifyRun, raw._response.json())
    check_classified(sync, "bank_statement")
    assert sync.classifier.id == classifier.id
    check_classified(sdk.classify(config=CLASSIFY, file={"text": INVOICE_TEXT}), "invoice")


FAMILIES = {
    "classify": dict(runs="classify_runs", ref="classifier", run=ClassifyRun, page=ClassifyRunsListResponse,
                     deleted=ClassifyRunsDeleteResponse, seeded="exr_2", prefix="clr_"),
    "split": dict(runs="split_runs", ref="splitter", run=SplitRun, page=SplitRunsListResponse,
                  deleted=SplitRunsDeleteResponse, seeded="exr_3", prefix="splr_"),
}


def made(sdk, family, name):
    """A classifier or splitter, and a file input each of its runs takes."""
    if family == "classify":
        return sdk.classifiers.create(name=name, config=CLASSIFY).id, lambda n: {"text": f"INVOICE {n}"}
    return sdk.splitters.create(name=name, config=SPLIT).id, lambda n: {"url": f"https://files.example.com/{n}.pdf"}


@pytest.mark.parametrize("family", FAMILIES)
def test_list_filters_by_processor_and_pages_walk(seeded, family):
    fam, sdk = FAMILIES[family], client()
    runs = getattr(sdk, fam["runs"])
    ref, file = made(sdk, family, "Listed")
    other, _ = made(sdk, family, "Other")
    mine = [runs.create(**{fam["ref"]: {"id": ref}}, file=file(f"doc-{n}")).id for n in range(3)]
    theirs = runs.create(**{fam["ref"]: {"id": other}}, file=file("theirs")).id
    for run_id in mine + [theirs]:
        wait_done(runs, run_id)

    body = runs.with_raw_response.list(**{f"{fam['ref']}_id": ref}, max_page_size=100)._response.json()
    page = strict(fam["page"], body)
    assert body["object"] == "list" and page.next_page_token is None
    assert sorted(r.id for r in page.data) == sorted(mine)
    assert all(r.id.startswith(fam["prefix"]) and r.status == "PROCESSED" for r in page.data)
    assert all(getattr(r, fam["ref"]).id == ref for r in page.data)
    assert all("output" not in item and "config" not in item for item in body["data"])

    everything = [r.id for r in runs.list(max_page_size=100).data]
    assert sorted(everything) == sorted(mine + [theirs, fam["seeded"]])
    walked, token = [], None
    while True:
        body = runs.with_raw_response.list(max_page_size=1, next_page_token=token)._response.json()
        page = strict(fam["page"], body)
        assert len(page.data) <= 1
        walked += [r.id for r in page.data]
        token = page.next_page_token
        if not token:
            break
    assert walked == everything


@pytest.mark.parametrize("family", FAMILIES)
def test_cancel_a_held_run_then_delete(seeded, family):
    fam, sdk = FAMILIES[family], client()
    runs = getattr(sdk, fam["runs"])
    ref, file = made(sdk, family, "Held")
    created = runs.create(**{fam["ref"]: {"id": ref}}, file=file("slow __hold__"))
    assert created.status in ("PENDING", "PROCESSING")
    assert runs.retrieve(created.id).status == "PROCESSING"
    cancelled = strict(fam["run"], runs.with_raw_response.cancel(created.id)._response.json())
    assert (cancelled.id, cancelled.status, cancelled.output) == (created.id, "CANCELLED", None)
    assert runs.retrieve(created.id).status == "CANCELLED"

    body = runs.with_raw_response.delete(created.id)._response.json()
    strict(fam["deleted"], body)
    assert body == {"id": created.id}
    with pytest.raises(NotFoundError) as missing:
        runs.retrieve(created.id)
    assert missing.value.status_code == 404 and created.id in missing.value.body["message"]
    with pytest.raises(NotFoundError):
        runs.delete(created.id)
    # The seeded run of the other family is not one of this family's.
    with pytest.raises(NotFoundError):
        runs.retrieve(FAMILIES["split" if family == "classify" else "classify"]["seeded"])
    seeded_run = strict(fam["run"], runs.with_raw_response.retrieve(fam["seeded"])._response.json())
    assert getattr(seeded_run, fam["ref"]).id == ("ex_cls" if family == "classify" else "ex_split")


def test_splitters_their_versions_and_a_clone(seeded):
    sdk = client()
    created = strict(Splitter, sdk.splitters.with_raw_response.create(name="Packets", config=SPLIT)._response.json())
    assert (created.object, created.name) == ("splitter", "Packets")
    assert created.id.startswith("spl_")
    assert created.draft_version.version == "draft" and created.draft_version.splitter_id == created.id
    assert created.draft_version.model_dump(by_alias=True, exclude_none=True)["config"] == SPLIT_RAW
    assert strict(Splitter, sdk.splitters.with_raw_response.retrieve(created.id)._response.json()) == created

    one = {"split_classifications": SPLIT["split_classifications"][:1], "split_rules": "A new invoice per page."}
    updated = strict(Splitter, sdk.splitters.with_raw_response.update(
        created.id, name="Packets v2", config=one)._response.json())
    assert (updated.id, updated.name) == (created.id, "Packets v2")
    assert [c.id for c in updated.draft_version.config.split_classifications] == ["inv"]
    assert updated.draft_version.config.split_rules == "A new invoice per page."

    v1 = strict(SplitterVersion, sdk.splitter_versions.with_raw_response.create(
        created.id, release_type="major", description="first")._response.json())
    assert (v1.object, v1.version, v1.description, v1.splitter_id) == ("splitter_version", "1.0", "first", created.id)
    v11 = strict(SplitterVersion, sdk.splitter_versions.with_raw_response.create(
        created.id, release_type="minor", config=SPLIT)._response.json())
    assert v11.version == "1.1" and [c.id for c in v11.config.split_classifications] == ["inv", "misc"]
    body = sdk.splitter_versions.with_raw_response.list(created.id)._response.json()
    versions = strict(SplitterVersionsListResponse, body)
    assert [v.version for v in versions.data] == ["draft", "1.1", "1.0"]
    assert all("config" not in v for v in body["data"])
    got = sdk.splitter_versions.with_raw_response.retrieve(created.id, v1.id)._response.json()
    assert strict(SplitterVersion, got) == v1

    clone = sdk.splitters.create(name="Packets copy", clone_splitter_id=created.id)
    assert clone.id != created.id and clone.draft_version.config == updated.draft_version.config
    listed = strict(SplittersListResponse, sdk.splitters.with_raw_response.list()._response.json())
    assert sorted(s.id for s in listed.data) == sorted(["ex_split", created.id, clone.id])
    with pytest.raises(NotFoundError):
        sdk.splitters.retrieve("ex_cls")


def test_split_an_uploaded_pdf_async_and_sync(seeded):
    sdk = client()
    pages = 5
    upload = sdk.files.upload(file=("packet.pdf", pdf(pages), "application/pdf"))
    assert upload.metadata.page_count == pages
    splitter = sdk.splitters.create(name="Packets", config=SPLIT)
    run = sdk.split_runs.create_and_poll(splitter={"id": splitter.id}, file={"id": upload.id}, polling_options=FAST)
    assert run.id.startswith("splr_") and run.object == "split_run"
    assert run.splitter.id == splitter.id and run.file.id == upload.id
    check_splits(run, upload.id, pages)
    assert strict(SplitRun, sdk.split_runs.with_raw_response.retrieve(run.id)._response.json()) == run

    # Sync, inline: one classification with a key, one without; every split carries its own.
    for only in SPLIT_RAW["splitClassifications"]:
        config = {"split_classifications": [c for c in SPLIT["split_classifications"] if c["id"] == only["id"]]}
        raw = sdk.with_raw_response.split(config=config, file={"id": upload.id})
        sync = strict(SplitRun, raw._response.json())
        assert sync.splitter is None
        assert {s.classification_id for s in sync.output.splits} == {only["id"]}
        check_splits(sync, upload.id, pages, {"splitClassifications": [only]})
    assert sdk.split(splitter={"id": splitter.id}, file={"id": upload.id}).status == "PROCESSED"
    # An uploaded text file is split too, its identifier read from its text.
    notes = sdk.files.upload(file=("notes.txt", b"Invoice number: INV-0042\nTotal: $5\n", "text/plain"))
    keyed = {"split_classifications": SPLIT["split_classifications"][:1]}
    split = sdk.split(config=keyed, file={"id": notes.id}).output.splits
    assert [(s.start_page, s.end_page, s.classification_id, s.identifier) for s in split] == [(1, 1, "inv", "INV-0042")]

    # Text is no split input.
    with pytest.raises(BadRequestError) as refused:
        sdk.split(splitter={"id": splitter.id}, file={"text": INVOICE_TEXT})
    assert refused.value.status_code == 400
    with pytest.raises(BadRequestError):
        sdk.split_runs.create(splitter={"id": splitter.id}, file={"text": INVOICE_TEXT})


def test_the_legacy_view_agrees(seeded):
    sdk = client()
    classified = sdk.classify(config=CLASSIFY, file={"url": STATEMENT_URL})
    upload = sdk.files.upload(file=("two.pdf", pdf(2), "application/pdf"))
    split = sdk.split(config=SPLIT, file={"id": upload.id})
    for run, kind, model in ((classified, "CLASSIFY", LegacyClassifierOutput), (split, "SPLITTER", LegacySplitterOutput)):
        body = sdk.processor_run.with_raw_response.get(run.id)._response.json()
        legacy = strict(LegacyProcessorRun, body["processorRun"])
        assert (legacy.id, legacy.type, legacy.status) == (run.id, kind, "PROCESSED")
        strict(model, body["processorRun"]["output"])
        assert body["processorRun"]["output"] == run.output.model_dump(by_alias=True, exclude_none=True)
    # Raw, as the legacy API version sees it.
    legacy = httpx.get(f"{MOCK}/processor_runs/{classified.id}",
                       headers={"Authorization": "Bearer key_legacy"}).json()["processorRun"]
    assert legacy["type"] == "CLASSIFY" and legacy["output"]["type"] == "bank_statement"
