#!/usr/bin/env sh
# Fill a PDF form with curl through the current API: the sync edit, answered
# once the run has ended, then the filled PDF downloaded by its signed link.
# EXTEND_MOCK_URL defaults to the server's default address.
set -eu
BASE="${EXTEND_MOCK_URL:-http://127.0.0.1:8080}"

RUN=$(curl -sf -X POST "$BASE/edit" \
  -H 'Authorization: Bearer sk_test_acme' \
  -H 'x-extend-api-version: 2026-02-09' \
  -H 'content-type: application/json' \
  -d '{"file": {"url": "https://example.com/forms/application.pdf"},
       "config": {"instructions": "Fill out the full name as Jane Doe. Leave all other fields blank."}}')
printf '%s\n' "$RUN"
LINK=$(printf '%s' "$RUN" | sed -n 's/.*"presignedUrl":"\([^"]*\)".*/\1/p')

PDF=$(mktemp)
curl -sf "$LINK" -o "$PDF"
head -c 5 "$PDF"
echo
rm "$PDF"
