"""A batch through the official Python SDK (pip install extend-ai): one
extract run per file, the batch polled until it has ended, its runs read
back by `batch_id`."""

import os
import time

from extend_ai import Extend

BASE_URL = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
client = Extend(token="sk_test_acme", base_url=BASE_URL)

# One extractor for every input; up to 1,000 inputs.
extractor = client.extractors.create(
    name="Invoices",
    config={"schema": {"type": "object", "required": ["invoice_number"],
                       "properties": {"invoice_number": {"type": ["string", "null"]}}}},
)
batch = client.extract_runs.create_batch(
    extractor={"id": extractor.id},
    inputs=[
        {"file": {"url": f"https://example.com/invoices/INV-{n}.pdf"}, "metadata": {"n": n}}
        for n in range(1, 4)
    ],
)
print("batch:", batch.id, batch.status, batch.run_count)

while (batch := client.batch_runs.get(batch.id)).status != "PROCESSED":
    time.sleep(0.5)

runs = client.extract_runs.list(batch_id=batch.id)
for run in sorted(runs.data, key=lambda r: r.metadata["n"]):
    print("run:", run.metadata["n"], run.status, run.file.name)
