"""Tests that would break each other on one shared state: each deletes and
creates runs, injects a fault and asserts on the exact requests it made.
Under `pytest -n 4` they run at once, each worker in its own sandbox."""

import pytest
from extend_ai import Extend

INVOICES = "ex_z24v9oP5EHPKAuLAeoYsS"  # the built-in fixtures' Invoice Extractor


def archive_failed_runs(client: Extend) -> list[str]:
    """The code under test: delete every failed run, page by page."""
    deleted = []
    while True:
        page = client.processor_run.list(status="FAILED", max_page_size=2)
        if not page.processor_runs:
            return deleted
        for run in page.processor_runs:
            client.processor_run.delete(run.id)
            deleted.append(run.id)


@pytest.mark.parametrize("round_", range(8))
def test_a_worker_sees_only_its_own_state(client, control, round_):
    total = len(client.processor_run.list(max_page_size=1000).processor_runs)
    made = [
        client.processor_run.create(
            processor_id=INVOICES,
            file={"file_url": f"https://example.com/{round_}-{i}.pdf", "file_name": f"hold__hold__{i}.pdf"},
        ).processor_run.id
        for i in range(round_ + 1)
    ]
    deleted = archive_failed_runs(client)
    control.post("/faults", json={"path": "/processor_runs", "status": 429, "count": 1}).raise_for_status()

    runs = client.processor_run.list(max_page_size=1000).processor_runs  # a 429 first, then a retry
    assert len(runs) == total + len(made) - len(deleted)
    assert set(made) <= {run.id for run in runs}
    assert not client.processor_run.list(status="FAILED").processor_runs

    # Only this test's requests, in order: nobody else's landed in this journal.
    journal = control.get("/requests").json()["requests"]
    pages = -(-len(deleted) // 2) + 1
    expected = 1 + len(made) + pages + len(deleted) + 2 + 1
    assert len(journal) == expected, [(e["method"], e["path"], e["status"]) for e in journal]
    assert [e["status"] for e in journal[-3:]] == [429, 200, 200]
