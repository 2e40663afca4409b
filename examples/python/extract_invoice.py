"""Extract an invoice with a typed schema through the official Python SDK
(pip install extend-ai): the current API's extraction, create and poll."""

import os
from typing import List, Optional

from extend_ai import Extend, ExtendCurrency, ExtendDate
from pydantic import BaseModel

BASE_URL = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
client = Extend(token="sk_test_acme", base_url=BASE_URL)


class LineItem(BaseModel):
    description: Optional[str]
    amount: ExtendCurrency


class Invoice(BaseModel):
    invoice_number: Optional[str]
    invoice_date: ExtendDate
    vendor_name: Optional[str]
    line_items: List[LineItem]
    total: ExtendCurrency


# Create the run and poll it until it ends; the output is an `Invoice`.
run = client.extract_runs.create_and_poll(
    file={"url": "https://example.com/invoices/INV-2024-0042.pdf", "name": "INV-2024-0042.pdf"},
    config={"schema": Invoice},
)
invoice = run.output.value
print("run:", run.raw.id, run.raw.status)
print("invoice:", invoice.invoice_number, invoice.invoice_date.isoformat(), invoice.vendor_name)
print("total:", invoice.total.amount, invoice.total.iso_4217_currency_code)

# The same with a saved extractor, answered when done (sync, for tests and demos).
extractor = client.extractors.create(name="Invoices", config={"schema": Invoice})
done = client.extract(file={"text": "Invoice #12345 ... Total: $1,234.56"}, extractor={"id": extractor.id})
print("sync:", done.status, done.extractor.name)

# Every extract run, page by page.
token, count = None, 0
while True:
    page = client.extract_runs.list(max_page_size=10, next_page_token=token)
    count += len(page.data)
    token = page.next_page_token
    if not token:
        break
print("extract runs:", count)
