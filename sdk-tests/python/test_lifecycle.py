"""Runs made through the official Python SDK, unmodified: create, poll get
until done, sync, cancel, markers, errors; strict validation of every run
with the SDK's own models."""

import time

import pytest
from extend_ai import Extend
from extend_ai.errors import BadRequestError, NotFoundError
from extend_ai.processor_run.types.processor_run_cancel_response import ProcessorRunCancelResponse
from extend_ai.processor_run.types.processor_run_create_response import ProcessorRunCreateResponse
from extend_ai.processor_run.types.processor_run_get_response import ProcessorRunGetResponse

from conftest import MOCK
from test_catalogue import strict
from test_full_run import strict_run


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def wait_done(sdk, run_id, limit=30):
    """The code under test's usual loop: poll until the run leaves PROCESSING."""
    started = time.monotonic()
    while True:
        raw = sdk.processor_run.with_raw_response.get(run_id)
        body = raw._response.json()
        strict(ProcessorRunGetResponse, body)
        run = body["processorRun"]
        if run["status"] != "PROCESSING":
            strict_run(run)
            return run
        assert time.monotonic() - started < limit, f"{run_id} never finished"
        time.sleep(0.1)


def test_create_poll_and_read(seeded):
    sdk = client()
    raw = sdk.processor_run.with_raw_response.create(
        processor_id="ex_inv",
        file={"file_url": "https://files.example.com/Invoice_2024_05.pdf"},
        metadata={"customer": "acme", "extend:usage_tags": ["team a"]},
    )
    created = strict(ProcessorRunCreateResponse, raw._response.json()).processor_run
    assert created.status == "PROCESSING"
    assert created.output == {}
    assert created.files[0].name == "Invoice_2024_05.pdf"
    assert created.metadata == {"customer": "acme", "extend:usage_tags": ["teama"]}
    listed = sdk.processor_run.list(sort_by="createdAt", max_page_size=1).processor_runs
    assert listed[0].id == created.id
    run = wait_done(sdk, created.id)
    assert run["status"] == "PROCESSED"
    assert run["usage"] == {"credits": 1.0}
    assert set(run["output"]) == {"value", "metadata"}


def test_sync_and_an_uploaded_file(seeded):
    sdk = client()
    uploaded = sdk.files.upload(file=("receipt.txt", b"Coffee 3.50", "text/plain"))
    raw = sdk.processor_run.with_raw_response.create(
        processor_id="ex_cls", file={"file_id": uploaded.id}, sync=True
    )
    body = raw._response.json()
    strict(ProcessorRunCreateResponse, body)
    run = strict_run(body["processorRun"])
    assert run.status == "PROCESSED"
    assert run.files[0].id == uploaded.id
    assert body["processorRun"]["output"]["type"]


def test_markers_make_a_run_fail_or_hold(seeded):
    sdk = client()
    failing = sdk.processor_run.create(processor_id="ex_inv", raw_text="total 12 __fail_PROCESSING_TIMEOUT__")
    run = wait_done(sdk, failing.processor_run.id)
    assert run["status"] == "FAILED"
    assert run["failureReason"] == "PROCESSING_TIMEOUT"
    held = sdk.processor_run.create(
        processor_id="ex_inv", file={"file_url": "https://a.test/x.pdf", "file_name": "slow__hold__.pdf"}
    )
    time.sleep(0.3)
    assert sdk.processor_run.get(held.processor_run.id).processor_run.status == "PROCESSING"
    raw = sdk.processor_run.with_raw_response.cancel(held.processor_run.id)
    cancelled = strict(ProcessorRunCancelResponse, raw._response.json()).processor_run
    assert cancelled.status == "CANCELLED"
    with pytest.raises(BadRequestError) as again:
        sdk.processor_run.cancel(held.processor_run.id)
    assert "is CANCELLED" in again.value.body["message"]


def test_errors_are_the_sdks_named_errors(seeded):
    sdk = client()
    with pytest.raises(NotFoundError) as missing:
        sdk.processor_run.create(processor_id="ex_nope", raw_text="x")
    assert missing.value.body["message"] == "Processor `ex_nope` not found"
    with pytest.raises(BadRequestError) as bad:
        sdk.processor_run.create(processor_id="ex_inv")
    assert "one of `file` or `rawText` is required" in bad.value.body["message"]
    with pytest.raises(NotFoundError):
        sdk.processor_run.create(processor_id="ex_inv", file={"file_id": "file_nope"})
    with pytest.raises(NotFoundError):
        sdk.processor_run.cancel("exr_nope")


def test_an_output_pinned_through_the_control_plane(seeded):
    import httpx

    output = {
        "value": {"invoice_number": "INV-7", "total": 12.5},
        "metadata": {"total": {"ocrConfidence": 0.97, "citations": [{"page": 1, "referenceText": "12.50"}]}},
    }
    httpx.post(f"{MOCK}/_mock/rules", json={"processorId": "ex_inv", "output": output}).raise_for_status()
    sdk = client()
    created = sdk.processor_run.create(processor_id="ex_inv", raw_text="Invoice INV-7").processor_run
    run = wait_done(sdk, created.id)
    assert run["output"] == output
    # And one run ended at once, with its own output, through the control plane.
    held = sdk.processor_run.create(processor_id="ex_inv", raw_text="__hold__").processor_run
    finished = httpx.post(f"{MOCK}/_mock/processor_runs/{held.id}/finish", json={"output": output})
    finished.raise_for_status()
    strict_run(finished.json()["processorRun"])
    assert sdk.processor_run.get(held.id).processor_run.status == "PROCESSED"
