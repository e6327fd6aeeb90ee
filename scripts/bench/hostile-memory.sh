#!/usr/bin/env bash
# Memory growth of a server while it is sent issue 12's hostile uploads (fixtures/hostile):
# each is answered, and the peak resident size (VmHWM) may grow by less than 100 MB.
# Usage: scripts/bench/hostile-memory.sh   (XUESHI_BIN=path uses that binary instead of
# building the release one). SQLite in a temporary directory, demo data, port 18089.
set -euo pipefail
cd "$(dirname "$0")/../.."
port=${BENCH_PORT:-18089}
if [ -z "${XUESHI_BIN:-}" ]; then
  cargo build --release --locked -p xueshi-server
  XUESHI_BIN=${CARGO_TARGET_DIR:-target}/release/xueshi
fi
work=$(mktemp -d /tmp/xueshi-hostile.XXXXXX)
XUESHI_USER_RATE=0 RUST_LOG=warn "$XUESHI_BIN" serve --demo --bind "127.0.0.1:$port" \
  --data-dir "$work" >"$work/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
api="http://127.0.0.1:$port/api/v1"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
login() {
  curl -fs -X POST "$api/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"xueshi2021\"}" | json '["token"]'
}
city=$(login city_admin)
teacher=$(login 440106197001011017)
year=$(date +%Y)
city_id=$(curl -fs "$api/orgs/city" -H "authorization: Bearer $city" | json '["id"]')
training=$(curl -fs -X POST "$api/trainings" -H "authorization: Bearer $city" -H 'content-type: application/json' \
  -d "{\"title\":\"压测培训\",\"organizer_id\":\"$city_id\",\"level\":\"city\",\"category\":\"professional\",\"activity_type\":\"training_course\",\"start_date\":\"$year-06-01\",\"end_date\":\"$year-06-02\",\"hours\":8}" | json '["id"]')
declaration=$(curl -fs -X POST "$api/declarations" -H "authorization: Bearer $teacher" -H 'content-type: application/json' \
  -d "{\"category\":\"professional\",\"activity_type\":\"training_course\",\"title\":\"压测申报\",\"organizer\":\"某机构\",\"start_date\":\"$year-06-01\",\"end_date\":\"$year-06-02\",\"hours\":8,\"foreign_certificate\":false,\"certificate_states_hours\":true}" | json '["id"]')
kb() { awk "/$1/{print \$2}" "/proc/$server/status"; }
send() { # path token file
  curl -s -o /dev/null -w '%{http_code}' -X POST "$api$1" -H "authorization: Bearer $2" -F "file=@$3" -F kind=certificate
}
# A normal upload and import first, so the allocator's pools exist before the baseline.
printf '姓名,身份证号,学时\n张三,440106197001011017,8\n' >"$work/ok.csv"
send "/trainings/$training/attendance/import?dry_run=true" "$city" "$work/ok.csv" >/dev/null
send "/declarations/$declaration/evidence" "$teacher" fixtures/hostile/gps-comment.jpg >/dev/null
sleep 3
base=$(kb VmHWM); rss=$(kb VmRSS)
echo "== before: VmRSS ${rss} kB, VmHWM ${base} kB"
for f in sparse-range.xlsx deflate-bomb.xlsx lying-sizes-bomb.xlsx shared-strings-claim.xlsx; do
  code=$(send "/trainings/$training/attendance/import" "$city" "fixtures/hostile/$f")
  echo "import $f: $code, VmHWM $(kb VmHWM) kB"
done
for f in pixel-bomb.png gps-comment.jpg text-chunks.png html-with-pdf-magic.pdf javascript.pdf embedded-file.pdf launch.pdf; do
  code=$(send "/declarations/$declaration/evidence" "$teacher" "fixtures/hostile/$f")
  echo "evidence $f: $code, VmHWM $(kb VmHWM) kB"
done
sleep 3  # the background hasher looks at the accepted pictures
peak=$(kb VmHWM)
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && echo "still serving"
echo "== peak grew by $(( (peak - base) / 1024 )) MB (limit 100 MB)"
[ $(( peak - base )) -lt $(( 100 * 1024 )) ]
