#!/usr/bin/env sh
# Extract with curl through the current API: create a run with a schema,
# poll it until it ends, then list the extract runs.
# EXTEND_MOCK_URL defaults to the server's default address.
set -eu
BASE="${EXTEND_MOCK_URL:-http://127.0.0.1:8080}"

CREATED=$(curl -sf -X POST "$BASE/extract_runs" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09' \
  -H 'content-type: application/json' \
  -d '{"file": {"url": "https://example.com/invoices/INV-2024-0042.pdf"},
       "config": {"schema": {"type": "object", "required": ["invoice_number", "total"],
         "properties": {"invoice_number": {"type": ["string", "null"]},
           "total": {"type": "object", "extend:type": "currency",
             "required": ["amount", "iso_4217_currency_code"],
             "properties": {"amount": {"type": ["number", "null"]},
               "iso_4217_currency_code": {"type": ["string", "null"]}}}}}}}')
ID=$(echo "$CREATED" | sed -n 's/.*"id":"\(exr_[^"]*\)".*/\1/p')
while :; do
  RUN=$(curl -sf "$BASE/extract_runs/$ID" \
    -H 'Authorization: Bearer sk_test_acme' \
    -H 'x-extend-api-version: 2026-02-09')
  case "$RUN" in *'"status":"PROCESSING"'*) sleep 0.5 ;; *) break ;; esac
done
echo "$RUN"

curl -sf "$BASE/extract_runs?status=PROCESSED&maxPageSize=5" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09'
echo
