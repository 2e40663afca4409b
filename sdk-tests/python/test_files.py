"""Files through the official Python SDK, unmodified: upload, list, retrieve,
download through the presigned link, delete; strict validation with the
SDK's own models."""

import httpx
import pytest
from extend_ai import Extend
from extend_ai.errors import NotFoundError
from extend_ai.files.types.files_delete_response import FilesDeleteResponse
from extend_ai.files.types.files_list_response import FilesListResponse
from extend_ai.types.file import File

from conftest import MOCK
from test_catalogue import strict

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >> endobj\n"
    b"2 0 obj << /Type /Page >> endobj\n3 0 obj << /Type /Page >> endobj\n%%EOF\n"
)


def client(token="key_a"):
    return Extend(token=token, base_url=MOCK)


def test_upload_retrieve_download_and_delete(seeded):
    sdk = client()
    raw = sdk.files.with_raw_response.upload(file=("Invoice 7.pdf", PDF, "application/pdf"))
    uploaded = strict(File, raw._response.json())
    assert uploaded.id.startswith("file_")
    assert uploaded.name == "Invoice 7.pdf"
    assert uploaded.type == "PDF"
    assert uploaded.metadata.page_count == 2
    assert uploaded.presigned_url is None

    raw = sdk.files.with_raw_response.retrieve(uploaded.id)
    got = strict(File, raw._response.json())
    assert got.id == uploaded.id
    download = httpx.get(got.presigned_url)
    assert download.status_code == 200
    assert download.content == PDF

    pages = sdk.files.retrieve(uploaded.id, raw_text=True, markdown=True).contents.pages
    assert [p.page_number for p in pages] == [1, 2]

    raw = sdk.files.with_raw_response.delete(uploaded.id)
    assert strict(FilesDeleteResponse, raw._response.json()).id == uploaded.id
    with pytest.raises(NotFoundError) as missing:
        sdk.files.retrieve(uploaded.id)
    assert missing.value.body["message"] == f"File `{uploaded.id}` not found"


def test_text_files_list_and_page(seeded):
    sdk = client()
    ids = []
    for n in range(5):
        name = f"notes-{n}.txt" if n % 2 else f"Invoice-{n}.csv"
        ids.append(sdk.files.upload(file=(name, f"line {n}\n".encode(), "text/plain")).id)
    text = sdk.files.retrieve(ids[1], raw_text=True).contents.raw_text
    assert text == "line 1\n"
    walked, token = [], None
    while True:
        raw = sdk.files.with_raw_response.list(max_page_size=2, sort_dir="asc", next_page_token=token)
        page = strict(FilesListResponse, raw._response.json())
        walked += [f.id for f in page.data]
        token = page.next_page_token
        if not token:
            break
    assert walked == ids
    invoices = sdk.files.list(name_contains="invoice")
    assert [f.name for f in invoices.data] == ["Invoice-4.csv", "Invoice-2.csv", "Invoice-0.csv"]
    # Another workspace sees none of them.
    other = client("key_org_a").files.list(extend_workspace_id="ws_b")
    assert other.data == []
