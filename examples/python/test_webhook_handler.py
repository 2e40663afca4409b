"""A pytest recipe for a webhook handler: extend-mock sends real, signed
events; the handler under test verifies them with the SDK and acts on them.

Run it against a server: EXTEND_MOCK_URL=http://127.0.0.1:8080 pytest
"""

import os
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from extend_ai import Extend

MOCK = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
# Where the handler listens, and the name extend-mock reaches it by: loopback
# here; in compose, every interface and the service's name (compose.yaml).
RECEIVER_BIND = os.environ.get("RECEIVER_BIND", "127.0.0.1")
RECEIVER_HOST = os.environ.get("RECEIVER_HOST", "127.0.0.1")
INVOICES = "ex_z24v9oP5EHPKAuLAeoYsS"  # the built-in fixtures' Invoice Extractor
client = Extend(token="sk_test_acme", base_url=MOCK)


def handle_event(body: bytes, headers: dict, secret: str) -> str:
    """The code under test: verify, then act on the run's outcome."""
    event = client.webhooks.verify_and_parse(body, headers, secret)
    if event.event_type == "extract_run.processed":
        return f"booked {event.payload.output.value['invoice_number']}"
    if event.event_type == "extract_run.failed":
        return f"flagged {event.payload.id}: {event.payload.failure_reason}"
    return "ignored"


@pytest.fixture()
def handler():
    """The handler, served on a free port; what it did goes into `results`."""
    results, secret = queue.Queue(), {}

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            results.put(handle_event(body, dict(self.headers), secret["value"]))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer((RECEIVER_BIND, 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = client.webhook_endpoints.create(
        url=f"http://{RECEIVER_HOST}:{server.server_address[1]}/webhooks",
        name="handler under test", api_version="2026-02-09",
        enabled_events=["extract_run.processed", "extract_run.failed"],
    )
    secret["value"] = endpoint.signing_secret  # shown once, on create
    yield results
    server.shutdown()
    httpx.post(f"{MOCK}/_mock/reset").raise_for_status()  # drops the endpoint too


def test_a_processed_invoice_is_booked(handler):
    client.processor_run.create(processor_id=INVOICES, raw_text="Invoice INV-1001")
    assert handler.get(timeout=30).startswith("booked ")


def test_a_failed_run_is_flagged(handler):
    run = client.processor_run.create(processor_id=INVOICES, raw_text="__fail_FILE_PARSING_ERROR__")
    assert handler.get(timeout=30) == f"flagged {run.processor_run.id}: FILE_PARSING_ERROR"
