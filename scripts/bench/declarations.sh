#!/usr/bin/env bash
# Load test of declarations and review (issue 4) against a running release server, on a
# fresh SQLite data directory or a fresh PostgreSQL database; see docs/benchmarks.md.
# Usage: scripts/bench/declarations.sh sqlite|postgres [connections=32] [seconds=30]
# PostgreSQL: PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) must be
# allowed to create the database xueshi_bench_decl, which is dropped first.
set -euo pipefail
cd "$(dirname "$0")/../.."
backend=${1:-sqlite}
connections=${2:-32}
seconds=${3:-30}
port=${BENCH_PORT:-18088}

# XUESHI_BIN=path runs that binary instead (to compare builds alternately on one machine).
if [ -n "${XUESHI_BIN:-}" ]; then
  X=$XUESHI_BIN
else
  cargo build --release --locked -p xueshi-server
  X=${CARGO_TARGET_DIR:-target}/release/xueshi
fi
(cd scripts/bench && npm ci --no-audit --no-fund --silent)

work=$(mktemp -d /tmp/xueshi-bench-decl.XXXXXX)
export XUESHI_DATA_DIR="$work/data"
case $backend in
  sqlite) unset DATABASE_URL XUESHI_DATABASE_URL ;;
  postgres)
    admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    psql "$admin" -q -c 'DROP DATABASE IF EXISTS xueshi_bench_decl' -c 'CREATE DATABASE xueshi_bench_decl'
    export XUESHI_DATABASE_URL="${admin%/*}/xueshi_bench_decl" ;;
  *) echo "usage: $0 sqlite|postgres [connections] [seconds]" >&2; exit 2 ;;
esac

"$X" bench seed-declarations --pending 100000 --out "$work/logins.json" --scan-out "$work/scan.jpg"
# One reviewer's queue reads are the load itself: the per-user limit is off (API.md).
XUESHI_USER_RATE=0 RUST_LOG=warn "$X" serve --bind "127.0.0.1:$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.5
done
echo "== $backend, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
node scripts/bench/declarations.mjs "http://127.0.0.1:$port" "$work/logins.json" "$work/scan.jpg" "$connections" "$seconds"
