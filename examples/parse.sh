#!/usr/bin/env sh
# Parse with curl through the current API: the sync call, answered once the
# run has ended, then the same run's output as a signed link.
# EXTEND_MOCK_URL defaults to the server's default address.
set -eu
BASE="${EXTEND_MOCK_URL:-http://127.0.0.1:8080}"

RUN=$(curl -sf -X POST "$BASE/parse" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09' \
  -H 'content-type: application/json' \
  -d '{"file": {"url": "https://example.com/reports/Quarterly_Report.pdf"}}')
printf '%s\n' "$RUN"
ID=$(printf '%s' "$RUN" | sed -n 's/.*"id":"\(pr_[^"]*\)".*/\1/p')

curl -sf "$BASE/parse_runs/$ID?responseType=url" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09'
echo
