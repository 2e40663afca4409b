"""Batches through the official Python SDK, unmodified: `create_batch` of the
extract, classify and split families, `batch_runs.get` polled to the end, the
family lists filtered by `batch_id`, refusals that name their input, and the
`batch_processor_run.processed` webhook. Every raw answer is validated
strictly with the SDK's own pydantic models."""

import json
import queue
import re
import time

import pytest

from extend_ai import Extend
from extend_ai.classify_runs.types.classify_runs_list_response import ClassifyRunsListResponse
from extend_ai.errors import BadRequestError, NotFoundError
from extend_ai.extract_runs.types.extract_runs_list_response import ExtractRunsListResponse
from extend_ai.split_runs.types.split_runs_list_response import SplitRunsListResponse
from extend_ai.types.batch_run import BatchRun
from extend_ai.types.webhook_event import WebhookEvent_BatchProcessorRunProcessed
from extend_ai.wrapper.errors import WebhookSignatureVerificationError

from conftest import MOCK, strict
from test_webhooks import make_endpoint, receiver  # noqa: F401 (the fixture)

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
URL = "https://files.example.com/{}.pdf"
FAMILIES = {
    "extract": dict(runs="extract_runs", ref="extractor", id="ex_inv", page=ExtractRunsListResponse, prefix="exr_"),
    "classify": dict(runs="classify_runs", ref="classifier", id="ex_cls", page=ClassifyRunsListResponse, prefix="clr_"),
    "split": dict(runs="split_runs", ref="splitter", id="ex_split", page=SplitRunsListResponse, prefix="splr_"),
}


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def create_batch(sdk, family, inputs, **reference):
    """A batch of the family made through the SDK: the raw answer, strictly a `BatchRun`."""
    fam = FAMILIES[family]
    runs = getattr(sdk, fam["runs"]).with_raw_response
    raw = runs.create_batch(**{fam["ref"]: {"id": fam["id"], **reference}}, inputs=inputs)
    body = raw._response.json()
    batch = strict(BatchRun, body)
    assert set(body) == {"object", "id", "status", "runCount", "createdAt"}
    assert (body["object"], body["status"], body["runCount"]) == ("batch_run", "PENDING", len(inputs))
    assert batch.id.startswith("bpr_") and ISO.match(body["createdAt"])
    return batch, body


def wait_batch(sdk, batch_id, created):
    """`batch_runs.get` until PROCESSED: PROCESSING before, the rest as made."""
    started, seen = time.monotonic(), []
    while True:
        body = sdk.batch_runs.with_raw_response.get(batch_id)._response.json()
        strict(BatchRun, body)
        assert body == {**created, "status": body["status"]}
        seen.append(body["status"])
        if body["status"] == "PROCESSED":
            assert set(seen[:-1]) <= {"PROCESSING"}, seen
            return body
        assert time.monotonic() - started < 30
        time.sleep(0.1)


def batch_runs(sdk, family, batch_id):
    """The family's list by `batch_id`, two a page, every page strict."""
    fam = FAMILIES[family]
    runs = getattr(sdk, fam["runs"]).with_raw_response
    found, token, sizes = [], None, []
    while True:
        body = runs.list(batch_id=batch_id, max_page_size=2, next_page_token=token)._response.json()
        page = strict(fam["page"], body)
        assert body["object"] == "list"
        sizes.append(len(page.data))
        found += page.data
        token = page.next_page_token
        if not token:
            return found, sizes


def test_an_extract_batch_from_urls_and_text(seeded):
    sdk = client()
    inputs = [
        {"file": {"url": URL.format("first")}},
        {"file": {"text": "INVOICE #7\nTotal due: $12.50"}, "metadata": {"customer": "acme", "n": 2}},
        {"file": {"url": URL.format("third")}, "metadata": {"customer": "globex"}},
    ]
    batch, created = create_batch(sdk, "extract", inputs)
    assert wait_batch(sdk, batch.id, created)["runCount"] == 3

    runs, sizes = batch_runs(sdk, "extract", batch.id)
    assert sizes == [2, 1]
    assert len({r.id for r in runs}) == 3 and all(r.id.startswith("exr_") for r in runs)
    assert [r.status for r in runs] == ["PROCESSED"] * 3
    assert all(r.extractor.id == "ex_inv" for r in runs)
    by_name = {r.file.name: r.metadata for r in runs}
    assert by_name == {"first.pdf": None, "raw_text.txt": {"customer": "acme", "n": 2},
                       "third.pdf": {"customer": "globex"}}
    # Each is an ordinary run: retrieved in full, with an output.
    assert all(sdk.extract_runs.retrieve(r.id).output is not None for r in runs)
    # The legacy view: source BATCH_PROCESSOR_RUN, sourceId the batch.
    legacy = sdk.processor_run.list(source="BATCH_PROCESSOR_RUN", source_id=batch.id, max_page_size=100)
    assert sorted(r.id for r in legacy.processor_runs) == sorted(r.id for r in runs)
    # The unfiltered list holds them too; another batch id finds none.
    assert {r.id for r in runs} <= {r.id for r in sdk.extract_runs.list(max_page_size=100).data}
    assert batch_runs(sdk, "extract", "bpr_missing") == ([], [0])


@pytest.mark.parametrize("family", ["classify", "split"])
def test_classify_and_split_batches(seeded, family):
    sdk = client()
    if family == "classify":
        inputs = [{"file": {"text": f"INVOICE #{n}"}, "metadata": {"n": n}} for n in range(3)]
    else:
        inputs = [{"file": {"url": URL.format(f"packet-{n}")}, "metadata": {"n": n}} for n in range(3)]
    batch, created = create_batch(sdk, family, inputs)
    wait_batch(sdk, batch.id, created)
    runs, sizes = batch_runs(sdk, family, batch.id)
    assert sizes == [2, 1]
    fam = FAMILIES[family]
    assert all(r.id.startswith(fam["prefix"]) and r.status == "PROCESSED" for r in runs)
    assert all(getattr(r, fam["ref"]).id == fam["id"] for r in runs)
    assert sorted(r.metadata["n"] for r in runs) == [0, 1, 2]


@pytest.mark.parametrize("family", FAMILIES)
def test_a_refused_input_is_named_and_nothing_is_made(seeded, family):
    sdk = client()
    fam = FAMILIES[family]
    runs = getattr(sdk, fam["runs"])
    before = [r.id for r in runs.list(max_page_size=100).data]
    inputs = [{"file": {"url": URL.format("good")}}, {"file": {"url": "ftp://x/y.pdf"}}]
    with pytest.raises(BadRequestError) as refused:
        runs.create_batch(**{fam["ref"]: {"id": fam["id"]}}, inputs=inputs)
    assert refused.value.status_code == 400
    assert refused.value.body["message"].startswith("request body: inputs[1].file.url: "), refused.value.body
    # Inline config is no batch's, nor are no inputs.
    with pytest.raises(BadRequestError) as inline:
        runs.create_batch(**{fam["ref"]: {"id": fam["id"]}}, inputs=inputs[:1],
                          request_options={"additional_body_parameters": {"config": {}}})
    assert inline.value.body["message"].startswith("request body: config: ")
    with pytest.raises(BadRequestError):
        runs.create_batch(**{fam["ref"]: {"id": fam["id"]}}, inputs=[])
    with pytest.raises(NotFoundError) as missing:
        runs.create_batch(**{fam["ref"]: {"id": f"{fam['id']}_missing"}}, inputs=inputs[:1])
    assert missing.value.status_code == 404 and f"{fam['id']}_missing" in missing.value.body["message"]
    assert [r.id for r in runs.list(max_page_size=100).data] == before
    # No run of any batch but the seeded one (exr_3, of `batch_1`).
    legacy = sdk.processor_run.list(source="BATCH_PROCESSOR_RUN", max_page_size=100).processor_runs
    assert [r.id for r in legacy] == ["exr_3"]
    with pytest.raises(NotFoundError):
        sdk.batch_runs.get("bpr_missing")


def test_the_batch_end_arrives_once_verified_and_typed(seeded, receiver):  # noqa: F811
    sdk = client()
    endpoint = make_endpoint(sdk, receiver.url, "2026-02-09", ["batch_processor_run.processed"])
    names = ["ok.pdf", "broken __fail__.pdf", "slow __hold__.pdf"]
    inputs = [{"file": {"url": URL.format(f"hook-{i}"), "name": name}} for i, name in enumerate(names)]
    batch, created = create_batch(sdk, "extract", inputs)
    # A failed run ends too; a held one keeps the batch PROCESSING, and no event goes.
    started = time.monotonic()
    while sorted(r.status for r in batch_runs(sdk, "extract", batch.id)[0]) != ["FAILED", "PROCESSED", "PROCESSING"]:
        assert time.monotonic() - started < 30
        time.sleep(0.1)
    assert sdk.batch_runs.get(batch.id).status == "PROCESSING"
    with pytest.raises(queue.Empty):
        receiver.next(timeout=0.5)
    held = sdk.extract_runs.list(batch_id=batch.id, status="PROCESSING").data
    assert [r.file.name for r in held] == ["slow __hold__.pdf"]
    assert sdk.extract_runs.cancel(held[0].id).status == "CANCELLED"

    headers, body = receiver.next()
    event = sdk.webhooks.verify_and_parse(body, headers, endpoint.signing_secret)
    assert isinstance(event, WebhookEvent_BatchProcessorRunProcessed), body[:200]
    strict(WebhookEvent_BatchProcessorRunProcessed, json.loads(body))
    assert json.loads(body)["payload"] == {**created, "status": "PROCESSED"}
    assert (event.payload.id, event.payload.status, event.payload.run_count) == (batch.id, "PROCESSED", 3)
    assert sdk.batch_runs.get(batch.id).status == "PROCESSED"
    with pytest.raises(WebhookSignatureVerificationError):
        sdk.webhooks.verify_and_parse(body, headers, "wss_not_the_secret")
    with pytest.raises(queue.Empty):
        receiver.next(timeout=1.5)  # once, not once per run
