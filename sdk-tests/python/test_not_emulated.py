"""A call extend-mock does not emulate: 501, and fast through the SDK.

The SDK retries every 5xx twice; without help it waits about 1 s, then 2 s.
The 501 carries `Retry-After` as an HTTP date at the next whole second (the
finest both SDKs honour), so the retries wait well under a second each.
"""

import time
from datetime import datetime

import httpx
import pytest
from extend_ai import Extend
from extend_ai.core.api_error import ApiError

from conftest import MOCK


def journal():
    return [e for e in httpx.get(f"{MOCK}/_mock/requests").json()["requests"]
            if e["path"] == "/evaluation_sets"]


def test_an_unemulated_call_is_a_501_the_sdk_gives_up_on_quickly(builtin, capsys):
    client = Extend(token="sk_test_acme", base_url=MOCK)
    started = time.perf_counter()
    with pytest.raises(ApiError) as raised:
        client.evaluation_sets.list()
    elapsed = time.perf_counter() - started
    assert raised.value.status_code == 501
    assert raised.value.body["code"] == "NOT_IMPLEMENTED"
    assert "does not emulate" in raised.value.body["message"]
    entries = journal()
    # The first try and the SDK's two retries.
    assert [e["status"] for e in entries] == [501, 501, 501]
    times = sorted(datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in entries)
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    # The SDK's own backoff waits at least 0.9 s and then 1.8 s; the date it
    # is given is at most 1.1 s ahead of each answer.
    assert gaps[1] < 1.5, gaps
    with capsys.disabled():  # the figure in the suite's output, as the TypeScript one
        print(f"\n501 through the Python SDK, default retries: {elapsed:.2f} s "
              f"(waits {gaps[0]:.2f} s, {gaps[1]:.2f} s)")

    httpx.delete(f"{MOCK}/_mock/requests").raise_for_status()
    started = time.perf_counter()
    with pytest.raises(ApiError):
        client.evaluation_sets.list(request_options={"max_retries": 0})
    elapsed = time.perf_counter() - started
    assert [e["status"] for e in journal()] == [501]
    with capsys.disabled():
        print(f"501 through the Python SDK, max_retries=0: {elapsed * 1000:.1f} ms")
