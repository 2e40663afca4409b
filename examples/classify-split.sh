#!/usr/bin/env sh
# Classify and split with curl through the current API, each with the sync
# call (answered once the run has ended) and an inline config.
# EXTEND_MOCK_URL defaults to the server's default address.
set -eu
BASE="${EXTEND_MOCK_URL:-http://127.0.0.1:8080}"

curl -sf -X POST "$BASE/classify" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09' \
  -H 'content-type: application/json' \
  -d '{"file": {"url": "https://example.com/mail/March-Bank-Statement.pdf"},
       "config": {"classifications": [
         {"id": "invoice", "type": "invoice", "description": "A bill."},
         {"id": "bank_statement", "type": "bank_statement", "description": "A bank statement."}]}}'
echo

curl -sf -X POST "$BASE/split" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09' \
  -H 'content-type: application/json' \
  -d '{"file": {"url": "https://example.com/packets/claims-bundle.pdf"},
       "config": {"splitClassifications": [
         {"id": "claim_form", "type": "claim_form", "description": "A claim form.",
          "identifierKey": "claim_number"},
         {"id": "invoice", "type": "invoice", "description": "A repair invoice."}]}}'
echo
