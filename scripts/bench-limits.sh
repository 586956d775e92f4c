#!/usr/bin/env bash
# Load run on loopback with wrk (installed from Debian's packages when missing): the self-host (Release) with its own
# Azurite (10040-10042) and Garnet (6391): first with the default limits, where every answer past them must be a clean
# 429 (the console key has one request spent registering the webhook's number); then with limits far above the load, for
# the sustained rate, p50/p99 and 0 errors at rising concurrency, on a console GET and on the webhook. Usage: scripts/bench-limits.sh [seconds per run=10] ["concurrency levels"="1 8 32"]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
seconds=${1:-10}
levels=${2:-"1 8 32"}
if ! command -v wrk >/dev/null; then
  echo "Installing wrk from Debian's packages..."
  { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; } \
    || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
fi

dir=$(mktemp -d)
server_pid=""
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
trap 'stop_server; kill "$GARNET_PID" "$AZURITE_PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10040 10041 10042 "$dir/azurite.log"
start_garnet 6391 "$dir/garnet.log"
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage
AzureWebJobsStorage=$(azurite_connection_string 10040 10041 10042)
export Hiroi__Storage__Prefix=benchlim Hiroi__EventGrid__WebhookSecret=bench-secret Hiroi__Redis__Connection=127.0.0.1:6391 \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production
dotnet build -c Release --nologo -v quiet functions/Hiroi.Server >/dev/null
server=functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll
base=http://127.0.0.1:7092

start_server() {
  dotnet "$server" --urls "$base" >"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 60); do curl -fs "$base/readyz" >/dev/null && return 0; sleep 1; done
  echo "the server did not start; see $dir/server.log" >&2; cat "$dir/server.log" >&2; exit 1
}

key=$(dotnet "$server" org create Load --owner load@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
export NUMBER=+15550009100 SECRET=bench-secret LOAD_DIR="$PWD/scripts/load"

run() { # run NAME CONCURRENCY WRK-ARGS...
  local name=$1 connections=$2; shift 2
  local threads=$(( connections < 2 ? 1 : 2 ))
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$@" 2>&1)
  local rate p50 p99 statuses
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  statuses=$(grep '^statuses:' <<<"$out" | sed 's/^statuses: //')
  printf '%-28s c=%-3s %9s req/s  p50 %-9s p99 %-9s %s\n' "$name" "$connections" "$rate" "$p50" "$p99" "$statuses"
}

echo "== above the limits (the defaults: 600 a minute per credential, 6,000 per webhook sender)"
start_server
curl -fs -H "Authorization: Bearer $key" -H 'content-type: application/json' -d "{\"number\":\"$NUMBER\"}" "$base/api/numbers" >/dev/null
# Warm the server up on its anonymous health route (JIT, connection pools) without touching the measured buckets.
wrk -t2 -c8 -d2s "$base/healthz" >/dev/null 2>&1 || true
top=${levels##* }
run "GET /api/orgs/current" "$top" -H "Authorization: Bearer $key" -s scripts/load/count-statuses.lua "$base/api/orgs/current"
run "POST /api/eventgrid/acs" "$top" -s scripts/load/webhook-sms.lua "$base"
stop_server

echo "== below the limits (600,000 a minute per credential and per webhook sender)"
export Hiroi__RateLimits__PerCredentialPerMinute=600000 Hiroi__RateLimits__WebhookPerIpPerMinute=600000
# A fresh Garnet, so the first phase's counts (their windows still open) are gone.
kill "$GARNET_PID" 2>/dev/null || true; wait "$GARNET_PID" 2>/dev/null || true
start_garnet 6391 "$dir/garnet.log"
start_server
wrk -t2 -c8 -d2s "$base/healthz" >/dev/null 2>&1 || true
for c in $levels; do
  run "GET /api/orgs/current" "$c" -H "Authorization: Bearer $key" -s scripts/load/count-statuses.lua "$base/api/orgs/current"
done
for c in $levels; do
  run "POST /api/eventgrid/acs" "$c" -s scripts/load/webhook-sms.lua "$base"
done
stop_server
