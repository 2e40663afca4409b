"""Fill a PDF form through the official Python SDK (pip install extend-ai):
the sync `client.edit`, the filled file downloaded, a saved template's form
detected as an edit schema, then filled by a polled edit run."""

import os
import urllib.request

from extend_ai import Extend

BASE_URL = os.environ.get("EXTEND_MOCK_URL", "http://127.0.0.1:8080")
client = Extend(token="sk_test_acme", base_url=BASE_URL)

# Fill a form from instructions: the sync call answers the ended run.
run = client.edit(
    file={"url": "https://example.com/forms/application.pdf"},
    config={"instructions": "Fill out the full name as Jane Doe. Leave all other fields blank."},
)
print("run:", run.id, run.status, run.output.filled_values)

# The filled PDF is a file of the workspace, by a signed link (15 minutes).
with urllib.request.urlopen(run.output.edited_file.presigned_url) as response:
    print("edited file:", run.output.edited_file.id, response.read()[:5].decode())

# A saved template (the built-in W-9): its form, detected as an edit schema.
template = client.edit_templates.retrieve("edt_W9TaxpayerForm2024")
detected = client.detect_form(file={"id": template.file.id})
print("fields:", " ".join(sorted(detected.output.schema_.properties)))

# The template filled by a polled run: its file, its saved config under ours.
run = client.edit_runs.create_and_poll(
    template_id=template.id,
    config={"instructions": "Name as Jane Doe. Check exempt payee. Leave all other fields blank."},
)
print("template run:", run.status, run.output.filled_values)
