"""One sandbox per pytest-xdist worker: the workers share one extend-mock and
never see each other's runs, journal, faults or resets.

    pip install extend-ai pytest pytest-xdist httpx
    EXTEND_MOCK_URL=http://127.0.0.1:8080 pytest -n 4
"""

import os
import uuid

import httpx
import pytest
from extend_ai import Extend

MOCK = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")


@pytest.fixture(scope="session")
def sandbox(worker_id):
    """This worker's sandbox ("gw0", "gw1"… or "master" without -n), made from
    the server's start-up fixtures and dropped at the end. The random part
    keeps CI jobs that share a server apart too."""
    name = f"{worker_id}-{uuid.uuid4().hex[:8]}"
    made = httpx.post(f"{MOCK}/_mock/sandboxes", params={"name": name})
    made.raise_for_status()
    keys = {key["name"]: key["token"] for key in made.json()["apiKeys"]}
    yield name, keys
    httpx.delete(f"{MOCK}/_mock/sandboxes/{name}").raise_for_status()


@pytest.fixture()
def control(sandbox):
    """The control plane of this worker's sandbox, reset before each test."""
    name, _ = sandbox
    headers = {"x-extend-mock-sandbox": name}
    with httpx.Client(base_url=f"{MOCK}/_mock", headers=headers) as client:
        client.post("/reset", params={"what": "all"}).raise_for_status()
        yield client


@pytest.fixture()
def client(sandbox) -> Extend:
    """The code under test gets the sandbox's key (`sk_test_acme.<name>`);
    nothing else about it changes."""
    _, keys = sandbox
    return Extend(token=keys["acme-workspace"], base_url=MOCK)
