#!/usr/bin/env bash
# The API against its own OpenAPI document (issue 12): a demo server on a fresh SQLite data
# directory, or a fresh PostgreSQL database with PG_URL, and schemathesis (PyPI) sending it
# generated requests as the city administrator, bounded in examples and time. Passes when
# no request got a server error, an undeclared status or an answer off its schema.
# Usage: scripts/ci/schemathesis.sh BINARY [PG_URL]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$1
pg=${2:-}
port=${SCHEMATHESIS_PORT:-18090}
work=$(mktemp -d /tmp/xueshi-schemathesis.XXXXXX)
if [ -n "$pg" ]; then
  admin=$pg
  db=xueshi_schemathesis
  psql "$admin" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  export XUESHI_DATABASE_URL="${admin%/*}/$db"
else
  unset DATABASE_URL XUESHI_DATABASE_URL
fi
# The generated traffic is the load: the per-user limit would answer 429 to most of it.
XUESHI_USER_RATE=0 XUESHI_ADDRESS_RATE=0 RUST_LOG=warn "$bin" serve --demo \
  --bind "127.0.0.1:$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ -n "$pg" ]; then psql "$admin" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"city_admin","password":"xueshi2021"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# Logging out would end the session the run uses.
status=0
schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port/api/v1" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance \
  --exclude-path /auth/logout \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-12}" \
  --max-time "${SCHEMATHESIS_SECONDS:-240}" \
  --request-timeout 30 --workers 2 --seed 12 --no-color \
  --suppress-health-check all || status=$?
if [ "$status" -ne 0 ]; then
  echo "== server log (last lines)"; tail -n 40 "$work/server.log"
fi
exit "$status"
