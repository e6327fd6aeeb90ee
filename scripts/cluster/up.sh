#!/usr/bin/env bash
# A cluster on this machine: N `xueshi serve` nodes behind HAProxy, on one PostgreSQL
# database and one S3-compatible store (moto), as docs/deploy.md describes for a city.
# Usage: scripts/cluster/up.sh [nodes=2]   then   scripts/cluster/down.sh
# Settings (environment): XUESHI_BIN (default: a release build), CLUSTER_DIR
# (/tmp/xueshi-cluster), CLUSTER_PORT (18100: HAProxy; nodes on the next N ports, moto on
# +50), PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres; the database
# xueshi_cluster is made afresh), CLUSTER_DEMO=1 fills it with the demo data,
# CLUSTER_TOML_EXTRA: more top-level lines for the nodes' xueshi.toml.
# Each node drains for 3 s on SIGTERM (/healthz answers 503 while HAProxy, checking every
# 500 ms, takes it out), then finishes what is in flight and gives back its job leases.
set -euo pipefail
cd "$(dirname "$0")/../.."
nodes=${1:-2}
dir=${CLUSTER_DIR:-/tmp/xueshi-cluster}
port=${CLUSTER_PORT:-18100}
moto_port=$((port + 50))
admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
command -v haproxy >/dev/null || { echo "haproxy is needed: apt-get install haproxy" >&2; exit 2; }
python3 -c "import moto.server" 2>/dev/null || { echo "moto is needed: pip install 'moto[server]'" >&2; exit 2; }
if [ -n "${XUESHI_BIN:-}" ]; then X=$XUESHI_BIN; else
  cargo build --release --locked -p xueshi-server
  X=${CARGO_TARGET_DIR:-target}/release/xueshi
fi
[ -e "$dir/pids" ] && { echo "a cluster runs in $dir: scripts/cluster/down.sh first" >&2; exit 2; }
mkdir -p "$dir/data"

python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$dir/moto.log" 2>&1 &
echo "moto $!" >>"$dir/pids"
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$moto_port" >/dev/null && break; sleep 0.5; done
# object_store cannot create buckets; moto takes an unsigned PUT.
curl -fs -X PUT "http://127.0.0.1:$moto_port/xueshi-evidence" >/dev/null

psql "$admin" -q -c 'DROP DATABASE IF EXISTS xueshi_cluster' -c 'CREATE DATABASE xueshi_cluster'
cat >"$dir/xueshi.toml" <<TOML
database_url = "${admin%/*}/xueshi_cluster"
# The nodes share the key file (one data directory): in production, the same key on each.
data_dir = "$dir/data"
trusted_proxies = "127.0.0.1/32"
drain_secs = 3
public_base_url = "http://127.0.0.1:$port"
${CLUSTER_TOML_EXTRA:-}

[s3]
bucket = "xueshi-evidence"
endpoint = "http://127.0.0.1:$moto_port"
region = "us-east-1"
access_key_id = "cluster"
secret_access_key = "cluster"
allow_http = true
TOML

servers=""
for i in $(seq 1 "$nodes"); do
  node_port=$((port + i))
  servers+="    server node$i 127.0.0.1:$node_port check"$'\n'
done
cat >"$dir/haproxy.cfg" <<CFG
global
    # Two descriptors a connection: within an ordinary 20,000-descriptor limit.
    maxconn 8000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend xueshi
    bind 127.0.0.1:$port
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2 maxconn 2000
    # A request that could not be sent to a node (it died) goes to another.
    retries 2
    option redispatch
$servers
CFG

if [ "${CLUSTER_DEMO:-0}" = 1 ]; then demo=(--demo); else demo=(); fi
cat >"$dir/start-node.sh" <<SH
#!/usr/bin/env bash
# Starts node \$1 (again, after a crash) with this cluster's settings.
i=\$1
RUST_LOG=\${RUST_LOG:-info} exec "$(realpath "$X")" --config "$dir/xueshi.toml" serve --bind "127.0.0.1:\$(( $port + i ))" \${@:2} >>"$dir/node\$i.log" 2>&1
SH
chmod +x "$dir/start-node.sh"
for i in $(seq 1 "$nodes"); do
  # The first node migrates the database (and writes the demo data) before the others start.
  if [ "$i" = 1 ]; then "$dir/start-node.sh" 1 "${demo[@]}" & else "$dir/start-node.sh" "$i" & fi
  echo "node$i $!" >>"$dir/pids"
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$((port + i))/healthz" >/dev/null && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$((port + i))/healthz" >/dev/null || {
    echo "node$i does not answer; see $dir/node$i.log" >&2; tail -n 5 "$dir/node$i.log" >&2; exit 1; }
done
haproxy -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
echo "haproxy $!" >>"$dir/pids"
for _ in $(seq 1 40); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.25; done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || {
  echo "HAProxy does not answer; see $dir/haproxy.log" >&2; tail -n 5 "$dir/haproxy.log" >&2; exit 1; }
echo "cluster of $nodes nodes at http://127.0.0.1:$port (state in $dir)"
