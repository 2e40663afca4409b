"""The parse family of API 2026-02-09 through the official Python SDK, unmodified: the sync
`POST /parse`, `/parse_runs` (create_and_poll, retrieve with `responseType`, list, cancel, delete),
`/parse_runs/batch` and `batch_runs.get`. Every raw answer is validated strictly with the SDK's own
pydantic models, the output again at each level (ParseRunOutput, Chunk, Block)."""

import re
import time

import httpx
import pytest

from extend_ai import Extend, PollingOptions
from extend_ai.errors import BadRequestError, NotFoundError
from extend_ai.parse_runs.types.parse_runs_delete_response import ParseRunsDeleteResponse
from extend_ai.parse_runs.types.parse_runs_list_response import ParseRunsListResponse
from extend_ai.types.batch_run import BatchRun
from extend_ai.types.block import Block
from extend_ai.types.chunk import Chunk
from extend_ai.types.key_value_details import KeyValueDetails
from extend_ai.types.parse_run import ParseRun
from extend_ai.types.parse_run_output import ParseRunOutput
from extend_ai.types.parse_run_status_enum import ParseRunStatusEnum
from extend_ai.types.table_details import TableDetails
from extend_ai.types.text_details import TextDetails

from conftest import MOCK, strict

FAST = PollingOptions(max_wait_ms=30_000, fast_poll_interval_ms=100, jitter_fraction=0)
URL = "https://files.example.com/{}.pdf"
DETAILS = {"heading": TextDetails, "section_heading": TextDetails, "text": TextDetails,
           "key_value": KeyValueDetails, "table": TableDetails}
TABLE = "| Item | Qty | Amount |\n|---|---|---|\n| Paper | 2 | $10 |\n| Ink | 1 | $25 |"
TEXT = ("Quarterly Report\n\nInvoice number: INV-0042\nTotal due: $1,250.00\n\n" + TABLE
        + "\n\nThank you for your business.\fTerms\n\nPay within 30 days.")
TEXT_BLOCKS = [  # (page, type, content, details) as TEXT implies them
    (1, "heading", "# Quarterly Report", {"type": "text_details"}),
    (1, "key_value", "Invoice number: INV-0042\nTotal due: $1,250.00", {"type": "key_value_details"}),
    (1, "table", TABLE, {"type": "table_details", "rowCount": 3, "columnCount": 3}),
    (1, "text", "Thank you for your business.", {"type": "text_details"}),
    (2, "section_heading", "## Terms", {"type": "text_details"}),
    (2, "text", "Pay within 30 days.", {"type": "text_details"}),
]


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def check_block(raw):
    """A Block, strictly: its details of its type, its polygon its box's corners, on its page."""
    block = strict(Block, raw)
    assert re.fullmatch(r"blk_\w+", block.id)
    assert isinstance(block.details, DETAILS[raw["type"]]) and raw["details"]["type"] == block.details.type
    if raw["type"] == "table":
        rows = [line for line in raw["content"].split("\n") if set(line) - set("|-: ")]
        assert (raw["details"]["rowCount"], raw["details"]["columnCount"]) == (len(rows), rows[0].count("|") - 1)
    page, box = raw["metadata"]["page"], raw["boundingBox"]
    assert set(raw["metadata"]) == {"page"} and set(page) == {"number", "width", "height"}
    left, top, right, bottom = box["left"], box["top"], box["right"], box["bottom"]
    assert 0 <= left < right <= page["width"] and 0 <= top < bottom <= page["height"]
    assert raw["polygon"] == [{"x": left, "y": top}, {"x": right, "y": top},
                              {"x": right, "y": bottom}, {"x": left, "y": bottom}]
    return raw


def check_output(output, strategy="page"):
    """ParseRunOutput, Chunk and Block each strict; chunk content and page ranges as its blocks say."""
    strict(ParseRunOutput, output)
    assert set(output) == {"chunks"}
    blocks = []
    for n, chunk in enumerate(output["chunks"], start=1):
        strict(Chunk, chunk)
        assert chunk["type"] == strategy and chunk["blocks"]
        pages = [check_block(b)["metadata"]["page"]["number"] for b in chunk["blocks"]]
        assert chunk["metadata"] == {"pageRange": {"start": pages[0], "end": pages[-1]}}
        assert chunk["content"] == "\n\n".join(b["content"] for b in chunk["blocks"])
        if strategy == "page":
            assert pages == [n] * len(pages)
        for above, below in zip(chunk["blocks"], chunk["blocks"][1:]):  # reading order, down each page
            same = above["metadata"]["page"] == below["metadata"]["page"]
            assert not same or above["boundingBox"]["bottom"] <= below["boundingBox"]["top"]
        blocks += chunk["blocks"]
    assert len({b["id"] for b in blocks}) == len(blocks)
    return blocks


def check_run(body, status="PROCESSED"):
    run = strict(ParseRun, body)
    assert (body["object"], body["status"]) == ("parse_run", status) and run.id.startswith("pr_")
    assert set(body) == {"object", "id", "batchId", "file", "status", "failureReason", "failureMessage",
                         "metadata", "output", "outputUrl", "metrics", "config", "usage"}
    return run


def test_sync_parse_of_a_url_one_chunk_per_page(seeded):
    sdk = client()
    raw = sdk.with_raw_response.parse(file={"url": URL.format("Q1_Board-Minutes")})._response.json()
    run = check_run(raw)
    pages = run.file.metadata.page_count
    assert (run.file.name, run.file.type, run.metrics.page_count) == ("Q1_Board-Minutes.pdf", "PDF", pages)
    assert raw["config"] == {"target": "markdown", "chunkingStrategy": {"type": "page"}, "engine": "parse_performance"}
    assert (raw["outputUrl"], raw["failureReason"], raw["batchId"], raw["metadata"]) == (None, None, None, None)
    blocks = check_output(raw["output"])
    assert len(raw["output"]["chunks"]) == pages
    assert (blocks[0]["type"], blocks[0]["content"]) == ("heading", "# Q1 Board Minutes")
    # One chunk for the document, or one per heading.
    for strategy in ("document", "section"):
        one = sdk.with_raw_response.parse(file={"url": URL.format("Minutes")},
                                          config={"chunking_strategy": {"type": strategy}})._response.json()
        assert check_run(one).config.chunking_strategy.type == strategy
        blocks = check_output(one["output"], strategy)
        heads = [b for b in blocks if b["type"] in ("heading", "section_heading")]
        firsts = [c["blocks"][0] for c in one["output"]["chunks"]]
        assert firsts == (blocks[:1] if strategy == "document" else heads)
        if strategy == "document":
            assert one["output"]["chunks"][0]["metadata"]["pageRange"] == {"start": 1, "end": one["metrics"]["pageCount"]}
    # Sync with responseType=url: no output, a link to it.
    linked = sdk.with_raw_response.parse(file={"url": URL.format("Minutes")}, response_type="url")._response.json()
    assert check_run(linked).output is None
    inline = sdk.parse_runs.with_raw_response.retrieve(linked["id"])._response.json()
    assert linked == {**inline, "output": None, "outputUrl": linked["outputUrl"]}
    assert check_output(httpx.get(linked["outputUrl"]).json()) == check_output(inline["output"])


def test_create_and_poll_an_uploaded_text_then_its_output_by_url(seeded):
    sdk = client()
    upload = sdk.files.upload(file=("report.txt", TEXT.encode(), "text/plain"))
    run = sdk.parse_runs.create_and_poll(file={"id": upload.id}, metadata={"case": "txt"}, polling_options=FAST)
    raw = sdk.parse_runs.with_raw_response.retrieve(run.id)._response.json()
    assert check_run(raw) == run
    assert (run.file.id, run.file.name, run.file.type, run.metadata) == (upload.id, "report.txt", "TXT", {"case": "txt"})
    blocks = check_output(raw["output"])
    got = [(b["metadata"]["page"]["number"], b["type"], b["content"], b["details"]) for b in blocks]
    assert got == TEXT_BLOCKS
    assert [c["metadata"]["pageRange"] for c in raw["output"]["chunks"]] == [{"start": 1, "end": 1}, {"start": 2, "end": 2}]

    # responseType=url: `output` null, `outputUrl` a keyless GET of the same output; json is the inline one.
    body = sdk.parse_runs.with_raw_response.retrieve(run.id, response_type="url")._response.json()
    check_run(body)
    assert (body["output"], {k: v for k, v in body.items() if k not in ("output", "outputUrl")}) == \
        (None, {k: v for k, v in raw.items() if k not in ("output", "outputUrl")})
    got = httpx.get(body["outputUrl"])
    assert (got.status_code, got.headers["content-type"]) == (200, "application/json")
    assert strict(ParseRunOutput, got.json()) == run.output and got.json() == raw["output"]
    assert sdk.parse_runs.with_raw_response.retrieve(run.id, response_type="json")._response.json() == raw
    # Pages are pages: each starts at the same top, and the run counts both.
    tops = {b["metadata"]["page"]["number"]: b["boundingBox"]["top"] for b in reversed(blocks)}
    assert (tops[2], run.metrics.page_count) == (tops[1], 2)


def test_list_by_file_name_in_pages_newest_first(seeded):
    sdk = client()
    made = [sdk.parse_runs.create(file={"url": URL.format(f"ledger-{n}")}).id for n in range(3)]
    other = sdk.parse_runs.create(file={"url": URL.format("invoice")}).id
    body = sdk.parse_runs.with_raw_response.list(file_name_contains="LEDGER", max_page_size=100)._response.json()
    page = strict(ParseRunsListResponse, body)
    assert set(body) == {"object", "data"} and body["object"] == "list"
    assert [r.id for r in page.data] == made[::-1]
    assert all(set(r) == {"object", "id", "batchId", "file", "status", "failureReason", "failureMessage",
                          "metadata", "metrics", "usage", "createdAt", "updatedAt"} for r in body["data"])
    assert [r.file.name for r in page.data] == ["ledger-2.pdf", "ledger-1.pdf", "ledger-0.pdf"]
    walked, token = [], None
    while token or not walked:
        body = sdk.parse_runs.with_raw_response.list(file_name_contains="ledger", max_page_size=1,
                                                     next_page_token=token)._response.json()
        page = strict(ParseRunsListResponse, body)
        assert len(page.data) == 1
        walked, token = walked + [page.data[0].id], page.next_page_token
    assert walked == made[::-1]
    assert [r.id for r in sdk.parse_runs.list(max_page_size=100).data] == [other] + made[::-1]


def test_cancel_a_held_run_delete_it_and_a_failed_run(seeded):
    sdk = client()
    held = sdk.parse_runs.create(file={"url": URL.format("slow __hold__")})
    assert sdk.parse_runs.retrieve(held.id).status == "PROCESSING"
    body = sdk.parse_runs.with_raw_response.cancel(held.id)._response.json()
    cancelled = check_run(body, "CANCELLED")
    # CANCELLED is no member of the SDK's ParseRunStatusEnum; the server answers it on purpose and the
    # open enum keeps it as its _UNKNOWN member, whose value is the raw string.
    assert cancelled.status is ParseRunStatusEnum._UNKNOWN and cancelled.status.value == "CANCELLED"
    assert (body["output"], body["metrics"], body["usage"], body["failureReason"]) == (None, None, None, None)
    with pytest.raises(BadRequestError):
        sdk.parse_runs.cancel(held.id)
    deleted = sdk.parse_runs.with_raw_response.delete(held.id)._response.json()
    assert strict(ParseRunsDeleteResponse, deleted).id == held.id and deleted == {"id": held.id}
    with pytest.raises(NotFoundError) as missing:
        sdk.parse_runs.retrieve(held.id)
    assert missing.value.status_code == 404 and held.id in missing.value.body["message"]
    with pytest.raises(NotFoundError):
        sdk.parse_runs.delete(held.id)

    failed = sdk.parse_runs.create_and_poll(file={"url": URL.format("broken __fail__")}, polling_options=FAST)
    body = sdk.parse_runs.with_raw_response.retrieve(failed.id)._response.json()
    check_run(body, "FAILED")
    assert (body["failureReason"], body["failureMessage"]) == ("FILE_TYPE_NOT_SUPPORTED", "File type not supported for parsing.")
    assert (body["output"], body["outputUrl"], body["metrics"], body["usage"]) == (None, None, None, None)
    sync = check_run(sdk.with_raw_response.parse(file={"url": URL.format("sync __fail__")})._response.json(), "FAILED")
    assert sync.failure_reason == "FILE_TYPE_NOT_SUPPORTED"
    assert [r.id for r in sdk.parse_runs.list(status="FAILED").data] == [sync.id, failed.id]


def test_a_batch_of_a_url_and_a_text(seeded):
    sdk = client()
    inputs = [{"file": {"url": URL.format("batch-doc")}},
              {"file": {"text": TEXT}, "metadata": {"customer": "acme"}}]
    created = sdk.parse_runs.with_raw_response.create_batch(inputs=inputs)._response.json()
    batch = strict(BatchRun, created)
    assert set(created) == {"object", "id", "status", "runCount", "createdAt"}
    assert (created["object"], created["status"], created["runCount"]) == ("batch_run", "PENDING", 2)
    assert batch.id.startswith("bpr_")
    started = time.monotonic()
    while (body := sdk.batch_runs.with_raw_response.get(batch.id)._response.json())["status"] != "PROCESSED":
        assert body == {**created, "status": "PROCESSING"} and time.monotonic() - started < 30
        time.sleep(0.1)
    strict(BatchRun, body)
    assert body == {**created, "status": "PROCESSED"}

    listed = sdk.parse_runs.with_raw_response.list(batch_id=batch.id)._response.json()
    runs = strict(ParseRunsListResponse, listed).data
    assert [(r.file.name, r.file.type, r.status, r.batch_id, r.metadata) for r in runs] == [
        ("raw_text.txt", "TXT", "PROCESSED", batch.id, {"customer": "acme"}),
        ("batch-doc.pdf", "PDF", "PROCESSED", batch.id, None)]
    text = sdk.parse_runs.with_raw_response.retrieve(runs[0].id)._response.json()
    assert check_run(text).batch_id == batch.id
    got = [(b["metadata"]["page"]["number"], b["type"], b["content"], b["details"]) for b in check_output(text["output"])]
    assert got == TEXT_BLOCKS
    by_source = sdk.parse_runs.list(source="BATCH_PARSER_RUN", max_page_size=100).data
    assert [r.id for r in by_source] == [r.id for r in runs]
    assert sdk.parse_runs.list(batch_id="bpr_missing").data == []
    with pytest.raises(NotFoundError):
        sdk.batch_runs.get("bpr_missing")
