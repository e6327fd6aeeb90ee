#!/usr/bin/env bash
# Stops the cluster of scripts/cluster/up.sh: nodes gracefully (SIGTERM: drain, finish
# in-flight requests, give back job leases), then HAProxy and moto.
set -uo pipefail
dir=${CLUSTER_DIR:-/tmp/xueshi-cluster}
[ -e "$dir/pids" ] || { echo "no cluster in $dir"; exit 0; }
while read -r name pid; do
  kill -TERM "$pid" 2>/dev/null
done < <(grep '^node' "$dir/pids")
for _ in $(seq 1 80); do
  alive=0
  while read -r name pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < <(grep '^node' "$dir/pids")
  [ $alive = 0 ] && break
  sleep 0.5
done
while read -r name pid; do kill -TERM "$pid" 2>/dev/null; done < <(grep -v '^node' "$dir/pids")
rm -f "$dir/pids"
echo "cluster stopped (logs in $dir)"
