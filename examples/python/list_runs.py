"""List processor runs with the official Python SDK (pip install extend-ai)."""

import os
import time

from extend_ai import Extend
from extend_ai.errors import BadRequestError

BASE_URL = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
client = Extend(token="sk_test_acme", base_url=BASE_URL)

# Every processed run, page by page.
token = None
while True:
    page = client.processor_run.list(status="PROCESSED", max_page_size=10, next_page_token=token)
    for run in page.processor_runs:
        print(run.id, run.processor_name, run.updated_at.isoformat())
    token = page.next_page_token
    if not token:
        break

# Bad input raises the SDK's own error class.
try:
    client.processor_run.list(status="BOGUS")
except BadRequestError as err:
    print("rejected:", err.status_code, err.body["message"])

# An organization key names the workspace.
org = Extend(token="sk_test_org", base_url=BASE_URL)
print("ws_globex runs:", len(org.processor_run.list(extend_workspace_id="ws_globex", max_page_size=100).processor_runs))

# A run's full object: what it read, how it was configured, what it found.
first = client.processor_run.list(status="PROCESSED", processor_type="EXTRACT", max_page_size=1).processor_runs[0]
full = client.processor_run.get(first.id).processor_run
print("full run:", full.id, full.config.type, full.files[0].name)

# Create a run on a file by URL (nothing is fetched), poll until it is done, read it.
run = client.processor_run.create(
    processor_id="ex_z24v9oP5EHPKAuLAeoYsS",
    file={"file_url": "https://example.com/Invoice_2024_05.pdf"},
).processor_run
while run.status == "PROCESSING":
    time.sleep(0.5)
    run = client.processor_run.get(run.id).processor_run
print("created run:", run.id, run.status, run.usage.credits)
