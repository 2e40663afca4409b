"""A suite on extend-mock's pytest plugin (pip install "./python[sdk]" pytest):
the plugin starts the server on a free port (one per xdist worker), and each
test gets a sandbox of its own: `extend_client`, the SDK on it, and
`extend_mock`, its control plane. No conftest, no Rust, no Docker."""

import pytest
from extend_ai.errors import TooManyRequestsError

# Skipped, not an error, where the wheel is not installed (the compose recipe).
pytest.importorskip("extend_mock", reason="the extend-mock wheel's plugin gives the fixtures")

INVOICE = {
    "type": "object",
    "properties": {"invoice_number": {"type": ["string", "null"]}, "total": {"type": ["number", "null"]}},
    "required": ["invoice_number", "total"],
    "additionalProperties": False,
}


def start(client, url):
    """The code under test starts an extraction."""
    return client.extract_runs.create(file={"url": url}, config={"schema": INVOICE}).id


def test_an_invoice_is_extracted(extend_client):
    run = extend_client.extract_runs.create_and_poll(
        file={"url": "https://example.com/INV-1001.pdf"}, config={"schema": INVOICE}
    )
    assert run.status == "PROCESSED"
    assert set(run.output.value) == {"invoice_number", "total"}


def test_the_output_the_test_chose_and_a_failure(extend_client, extend_mock):
    booked, timed_out = start(extend_client, "https://example.com/a.pdf"), start(extend_client, "https://example.com/b.pdf")
    extend_mock.finish(booked, output={"value": {"invoice_number": "INV-7", "total": 99.5}, "metadata": {}})
    extend_mock.fail(timed_out, reason="PROCESSING_TIMEOUT")
    assert extend_client.extract_runs.retrieve(booked).output.value == {"invoice_number": "INV-7", "total": 99.5}
    assert extend_client.extract_runs.retrieve(timed_out).failure_reason == "PROCESSING_TIMEOUT"


def test_rate_limits_reach_the_caller_after_the_sdk_retries(extend_client, extend_mock):
    extend_mock.fault(429, method="POST", path="/extract_runs", count=3)
    with pytest.raises(TooManyRequestsError):
        start(extend_client, "https://example.com/c.pdf")
    # The journal: the first try and the SDK's two retries, each answered 429.
    assert [entry["status"] for entry in extend_mock.requests(path="/extract_runs")] == [429, 429, 429]
