#!/usr/bin/env sh
# List processor runs with curl: a first page, then the next one.
# EXTEND_MOCK_URL defaults to the server's default address.
set -eu
BASE="${EXTEND_MOCK_URL:-http://127.0.0.1:8080}"
QUERY="status=PROCESSED&sortBy=createdAt&sortDir=asc&maxPageSize=5"

PAGE=$(curl -sf "$BASE/processor_runs?$QUERY" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09')
echo "$PAGE"

# The token goes back in raw: a `+` that arrives as a space is still understood.
TOKEN=$(echo "$PAGE" | sed -n 's/.*"nextPageToken":"\([^"]*\)".*/\1/p')
curl -sf "$BASE/processor_runs?$QUERY&nextPageToken=$TOKEN" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09'
echo

# An organization key names the workspace on every request.
curl -sf "$BASE/processor_runs?fileNameContains=invoice" \
  -H 'Authorization: Bearer sk_test_org' \
  -H 'x-extend-api-version: 2026-02-09' \
  -H 'x-extend-workspace-id: ws_globex'
echo

# The first run's full object: its config, output and file. An unknown id is a 404.
RUN=$(echo "$PAGE" | sed -n 's/^{"success":true,"processorRuns":\[{"id":"\([^"]*\)".*/\1/p')
curl -sf "$BASE/processor_runs/$RUN" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09'
echo

# Create a run on a file by URL (nothing is fetched), then poll until it is done.
CREATED=$(curl -sf -X POST "$BASE/processor_runs" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09' \
  -H 'content-type: application/json' \
  -d '{"processorId": "ex_z24v9oP5EHPKAuLAeoYsS", "file": {"fileUrl": "https://example.com/Invoice_2024_05.pdf"}}')
NEW=$(echo "$CREATED" | sed -n 's/.*"processorRun":{"object":"document_processor_run","id":"\([^"]*\)".*/\1/p')
while :; do
  NOW=$(curl -sf "$BASE/processor_runs/$NEW" \
    -H 'Authorization: Bearer sk_test_acme' \
    -H 'x-extend-api-version: 2026-02-09')
  case "$NOW" in *'"status":"PROCESSING"'*) sleep 0.5 ;; *) break ;; esac
done
echo "$NOW"
