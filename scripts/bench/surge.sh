#!/usr/bin/env bash
# The deadline surge's read path (issue 17): logged-in teachers drawn at random open their
# progress (API), their home page (HTML, cookie session) and their declarations (API list),
# each for `seconds` with wrk; in the same run the two floors — an axum hello-world and one
# primary-key read through the same pool (`xueshi bench floor`) — so each figure is also a
# share of both. The server's peak RSS is sampled during each run. See docs/benchmarks.md.
# Usage: scripts/bench/surge.sh sqlite|postgres [connections=256] [seconds=30] [teachers=20000]
# SURGE_ONLY="progress home" measures only those of progress, home, declarations (the floors
# always), for comparing two builds alternately.
# SURGE_PROFILE=DIR also records a CPU profile of the server (perf, 499 Hz, call graphs) during
# each target's run and writes DIR/<target>.txt, the hottest functions (Debian: linux-perf).
# PostgreSQL: PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) must be
# allowed to create the database xueshi_bench_surge, which is dropped first.
set -euo pipefail
cd "$(dirname "$0")/../.."
backend=${1:-sqlite}
connections=${2:-256}
seconds=${3:-30}
teachers=${4:-20000}
port=${BENCH_PORT:-18089}
floor_port=$((port + 1))
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

# XUESHI_BIN=path runs that binary instead (to compare builds alternately on one machine).
if [ -n "${XUESHI_BIN:-}" ]; then
  X=$XUESHI_BIN
else
  cargo build --release --locked -p xueshi-server
  X=${CARGO_TARGET_DIR:-target}/release/xueshi
fi

work=$(mktemp -d /tmp/xueshi-bench-surge.XXXXXX)
export XUESHI_DATA_DIR="$work/data"
case $backend in
  sqlite) unset DATABASE_URL XUESHI_DATABASE_URL ;;
  postgres)
    admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
    psql "$admin" -q -c 'DROP DATABASE IF EXISTS xueshi_bench_surge' -c 'CREATE DATABASE xueshi_bench_surge'
    export XUESHI_DATABASE_URL="${admin%/*}/xueshi_bench_surge" ;;
  *) echo "usage: $0 sqlite|postgres [connections] [seconds] [teachers]" >&2; exit 2 ;;
esac

"$X" bench seed-declarations --pending $((teachers * 5)) --submitters "$teachers" \
  --out "$work/logins.json" --scan-out "$work/scan.jpg" >/dev/null
year=$(python3 - "$work/logins.json" "$work/teachers.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for token, teacher in zip(d["teacher_tokens"], d["teacher_ids"]):
        f.write(f"{token} {teacher}\n")
print(d["year"])
PY
)

RUST_LOG=warn "$X" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
RUST_LOG=warn "$X" bench floor --bind "127.0.0.1:$floor_port" >"$work/floor.log" 2>&1 &
floor=$!
trap 'kill $server $floor 2>/dev/null; wait $server $floor 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null \
    && curl -fs "http://127.0.0.1:$floor_port/hello" >/dev/null && break
  sleep 0.5
done

# The highest RSS of `pid` while `wrk` runs, in MB.
sample_rss() {
  local pid=$1 out=$2 peak=0 kb
  while kill -0 "$pid" 2>/dev/null && [ ! -e "$out.stop" ]; do
    kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    echo "$peak" >"$out"
    sleep 0.5
  done
}

measure() {
  local mode=$1 base=$2 pid=$3
  # A short warm-up (caches, pool) that does not count.
  wrk -t2 -c"$connections" -d3s -s scripts/bench/surge.lua "$base" -- "$mode" "$work/teachers.txt" "$year" >/dev/null
  rm -f "$work/rss.stop"
  sample_rss "$pid" "$work/rss" &
  local sampler=$! profiler=""
  if [ -n "${SURGE_PROFILE:-}" ] && [ "$mode" != hello ] && [ "$mode" != pk ]; then
    mkdir -p "$SURGE_PROFILE"
    perf record -F 499 -g -p "$pid" -o "$SURGE_PROFILE/$mode.data" -- sleep "$seconds" 2>/dev/null &
    profiler=$!
  fi
  local line
  line=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench/surge.lua "$base" \
    -- "$mode" "$work/teachers.txt" "$year" | grep '^RESULT' | cut -d' ' -f2-)
  touch "$work/rss.stop"
  wait "$sampler" 2>/dev/null || true
  if [ -n "$profiler" ]; then
    wait "$profiler" 2>/dev/null || true
    perf report -i "$SURGE_PROFILE/$mode.data" --no-children --percent-limit 0.7 --stdio \
      -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 >"$SURGE_PROFILE/$mode.txt"
  fi
  echo "RESULT $mode $line $(( $(cat "$work/rss") / 1024 ))"
}

echo "== surge, $backend, $teachers teachers, $connections connections, ${seconds}s each, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
{
  measure hello "http://127.0.0.1:$floor_port" "$floor"
  measure pk "http://127.0.0.1:$floor_port" "$floor"
  for mode in ${SURGE_ONLY:-progress home declarations}; do
    measure "$mode" "http://127.0.0.1:$port" "$server"
  done
} >"$work/results"
python3 - "$work/results" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
by = {r[1]: r for r in rows}
hello, pk = float(by["hello"][2]), float(by["pk"][2])
print(f"{'target':<13}{'req/s':>9}{'p99 ms':>9}{'errors':>8}{'× hello':>9}{'× pk':>7}{'RSS MB':>8}")
for r in rows:
    _, mode, rps, p99, errors, total, rss = r
    rps = float(rps)
    print(f"{mode:<13}{rps:>9.0f}{float(p99):>9.1f}{int(errors):>8}{rps / hello:>9.3f}{rps / pk:>7.2f}{int(rss):>8}")
PY
