"""Classify a document and split a packet through the official Python SDK
(pip install extend-ai): the current API's classification and splitting."""

import os

from extend_ai import Extend

BASE_URL = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
client = Extend(token="sk_test_acme", base_url=BASE_URL)

# A classifier; a document that names one of its classifications gets it.
classifier = client.classifiers.create(
    name="Mail room",
    config={"classifications": [
        {"id": "invoice", "type": "invoice", "description": "A bill for goods or services."},
        {"id": "bank_statement", "type": "bank_statement", "description": "A bank statement."},
        {"id": "other", "type": "other", "description": "Anything else."},
    ]},
)
run = client.classify_runs.create_and_poll(
    classifier={"id": classifier.id},
    file={"text": "INVOICE #12345\nAcme Corp\nTotal: $1,234.56"},
)
print("classify:", run.id, run.status, run.output.type, run.output.confidence)

# A splitter; the splits cover every page of the file, in order.
splitter = client.splitters.create(
    name="Loan packets",
    config={"splitClassifications": [
        {"id": "application", "type": "loan_application", "description": "The application.",
         "identifierKey": "Extract the loan number"},
        {"id": "paystub", "type": "paystub", "description": "A pay statement."},
    ]},
)
done = client.split(splitter={"id": splitter.id}, file={"url": "https://example.com/packets/loan-7.pdf"})
for split in done.output.splits:
    print("split:", split.start_page, split.end_page, split.type, split.identifier or "-")
