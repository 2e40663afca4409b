"""Webhooks through the official Python SDK, unmodified: endpoints made and
managed with `client.webhook_endpoints`, and every event a receiver gets
verified and parsed with the SDK's own `client.webhooks.verify_and_parse`,
its payload validated strictly with the SDK's models."""

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from extend_ai import Extend
from extend_ai.types.classify_run import ClassifyRun
from extend_ai.types.extract_run import ExtractRun
from extend_ai.types.split_run import SplitRun
from extend_ai.types.webhook_endpoint import WebhookEndpoint
from extend_ai.types.webhook_endpoint_create import WebhookEndpointCreate
from extend_ai.types.webhook_event import (
    WebhookEvent_ClassifyRunProcessed,
    WebhookEvent_ExtractRunFailed,
    WebhookEvent_ExtractRunProcessed,
    WebhookEvent_SplitRunProcessed,
)
from extend_ai.webhook_endpoints.types.webhook_endpoints_list_response import WebhookEndpointsListResponse
from extend_ai.wrapper.errors import WebhookSignatureVerificationError

from conftest import MOCK
from test_catalogue import strict
from test_full_run import strict_run


class Receiver:
    """A webhook handler on 127.0.0.1:0 that keeps what it got."""

    def __init__(self):
        self.got = queue.Queue()
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                got.put((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout=30):
        return self.got.get(timeout=timeout)

    def close(self):
        self.server.shutdown()


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.close()


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def make_endpoint(sdk, url, version, events):
    raw = sdk.webhook_endpoints.with_raw_response.create(
        url=url, name="handler under test", enabled_events=events, api_version=version
    )
    return strict(WebhookEndpointCreate, raw._response.json())


def test_every_run_family_arrives_verified_and_typed(seeded, receiver):
    sdk = client()
    endpoint = make_endpoint(
        sdk, receiver.url, "2026-02-09",
        ["extract_run.processed", "extract_run.failed", "classify_run.processed", "split_run.processed"],
    )
    assert endpoint.signing_secret.startswith("wss_")
    cases = [
        ("ex_inv", "an invoice", WebhookEvent_ExtractRunProcessed, ExtractRun),
        ("ex_inv", "broken __fail__", WebhookEvent_ExtractRunFailed, ExtractRun),
        ("ex_cls", "a letter", WebhookEvent_ClassifyRunProcessed, ClassifyRun),
        ("ex_split", "a packet", WebhookEvent_SplitRunProcessed, SplitRun),
    ]
    for processor, text, event_class, run_model in cases:
        run = sdk.processor_run.create(processor_id=processor, raw_text=text, sync=True).processor_run
        headers, body = receiver.next()
        event = sdk.webhooks.verify_and_parse(body, headers, endpoint.signing_secret)
        assert isinstance(event, event_class), f"{processor}: the SDK did not type {body[:200]!r}"
        assert event.payload.id == run.id
        assert event.payload.status == run.status
        strict(run_model, json.loads(body)["payload"])
        with pytest.raises(WebhookSignatureVerificationError):
            sdk.webhooks.verify_and_parse(body, headers, "wss_not_the_secret")


def test_a_legacy_endpoint_gets_the_full_run(seeded, receiver):
    sdk = client()
    endpoint = make_endpoint(sdk, receiver.url, "2025-04-21", ["processor_run.processed"])
    run = sdk.processor_run.create(processor_id="ex_inv", raw_text="an invoice", sync=True).processor_run
    headers, body = receiver.next()
    # The SDK's union types only the newer events: a legacy one is a dict.
    event = sdk.webhooks.verify_and_parse(body, headers, endpoint.signing_secret)
    assert event["eventType"] == "processor_run.processed"
    strict_run(event["payload"])
    assert event["payload"] == json.loads(sdk.processor_run.with_raw_response.get(run.id)._response.text)["processorRun"]


def test_endpoints_are_managed_through_the_sdk(seeded):
    sdk = client()
    made = make_endpoint(sdk, "http://127.0.0.1:9/a", "2026-02-09", ["extract_run.processed"])
    read = sdk.webhook_endpoints.with_raw_response.retrieve(made.id)._response.json()
    strict(WebhookEndpoint, read)
    assert "signingSecret" not in read
    updated = sdk.webhook_endpoints.update(made.id, status="disabled", enabled_events=["extract_run.failed"])
    assert (updated.status, updated.enabled_events) == ("disabled", ["extract_run.failed"])
    listed = sdk.webhook_endpoints.with_raw_response.list(status="disabled")._response.json()
    strict(WebhookEndpointsListResponse, listed)
    assert [e["id"] for e in listed["data"]] == [made.id]
    assert sdk.webhook_endpoints.delete(made.id).id == made.id
    assert sdk.webhook_endpoints.list().data == []
