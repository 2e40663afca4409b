"""Parse a document through the official Python SDK (pip install extend-ai):
the sync `client.parse`, then a parse run made, polled and read by link."""

import os
import urllib.request

from extend_ai import Extend

BASE_URL = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
client = Extend(token="sk_test_acme", base_url=BASE_URL)

# Parse any document in three lines: the sync call answers the ended run.
run = client.parse(file={"url": "https://example.com/reports/Quarterly_Report.pdf"})
for chunk in run.output.chunks:
    print(f"page {chunk.metadata.page_range.start}:", chunk.content.splitlines()[0])

# A run made and polled, one chunk for the whole document.
run = client.parse_runs.create_and_poll(
    file={"url": "https://example.com/forms/W9.pdf"},
    config={"chunkingStrategy": {"type": "document"}},
)
print("run:", run.id, run.status, len(run.output.chunks), "chunk")

# The output as a signed link (15 minutes), as for large documents.
linked = client.parse_runs.retrieve(run.id, response_type="url")
with urllib.request.urlopen(linked.output_url) as response:
    print("by link:", response.status, len(response.read()) > 0)
