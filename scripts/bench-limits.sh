#!/usr/bin/env bash
# Load run on loopback with wrk (installed from Debian's packages when missing): the self-host with its own Azurite and
# Garnet (free ports): first with the default limits, where every answer past them must be a clean 429 (the console key
# has one request spent registering the webhook's number); then with limits far above the load, for the sustained rate,
# p50/p99 and 0 errors at rising concurrency, on a console GET and on the webhook. Any other status, or a socket error,
# fails the run. Usage: scripts/bench-limits.sh [--smoke] [--no-build] [seconds per run=10] ["concurrency levels"="1 8 32"]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
ensure_wrk || exit 1
if [ "$SMOKE" -eq 1 ]; then set -- 1 "4"; fi
seconds=${1:-10}
levels=${2:-"1 8 32"}
warmup=$([ "$SMOKE" -eq 1 ] && echo 1 || echo 2)

dir=$(mktemp -d)
server_pid=""
GARNET_PID=""
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
stop_garnet() { if [ -n "$GARNET_PID" ]; then kill "$GARNET_PID" 2>/dev/null || true; wait "$GARNET_PID" 2>/dev/null || true; GARNET_PID=""; fi; }
trap 'stop_server; stop_garnet; if [ -n "$AZURITE_PID" ]; then kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
bench_storage "$dir"
# A Garnet of the run's own (also under ./test): the second phase starts a fresh one, so the first phase's counts are gone.
fresh_garnet() {
  stop_garnet
  local port; port=$(free_port)
  start_garnet "$port" "$dir/garnet.log"
  export Hiroi__Redis__Connection=127.0.0.1:$port
}
fresh_garnet
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage=$BENCH_STORAGE
export Hiroi__Storage__Prefix="benchlim$$" Hiroi__EventGrid__WebhookSecret=bench-secret \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production
bench_build functions/Hiroi.Server
base=http://127.0.0.1:$(free_port)

start_server() {
  dotnet "$SERVER_DLL" --urls "$base" >"$dir/server.log" 2>&1 &
  server_pid=$!
  wait_ready "$base" "$dir/server.log" "$server_pid"
}

key=$(dotnet "$SERVER_DLL" org create Load --owner load@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
export NUMBER=+15550009100 SECRET=bench-secret LOAD_DIR="$PWD/scripts/load"

run() { # run NAME CONCURRENCY ALLOWED-STATUSES WRK-ARGS...: one wrk run, its line, and a failure on any other status or a socket error
  local name=$1 connections=$2 allowed=$3; shift 3
  local threads=$(( connections < 2 ? 1 : 2 ))
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$@" 2>&1)
  local rate p50 p99 statuses
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  statuses=$(grep '^statuses:' <<<"$out" | sed 's/^statuses: //')
  printf '%-28s c=%-3s %9s req/s  p50 %-9s p99 %-9s %s\n' "$name" "$connections" "$rate" "$p50" "$p99" "$statuses"
  local status
  for status in $statuses; do
    case $status in
      socket-errors=0) ;;
      socket-errors=*) echo "$name: $status" >&2; exit 1 ;;
      *) if ! grep -qw "${status%%=*}" <<<"$allowed"; then echo "$name: answered ${status%%=*}, expected only $allowed" >&2; exit 1; fi ;;
    esac
  done
  if [ -z "$statuses" ]; then echo "$name: no answers counted" >&2; echo "$out" >&2; exit 1; fi
}

echo "== above the limits (the defaults: 600 a minute per credential, 6,000 per webhook sender)"
start_server
curl -fs -H "Authorization: Bearer $key" -H 'content-type: application/json' -d "{\"number\":\"$NUMBER\"}" "$base/api/numbers" >/dev/null
# Warm the server up on its anonymous health route (JIT, connection pools) without touching the measured buckets.
wrk -t2 -c8 -d"${warmup}s" "$base/healthz" >/dev/null 2>&1 || true
top=${levels##* }
run "GET /api/orgs/current" "$top" "200 429" -H "Authorization: Bearer $key" -s scripts/load/count-statuses.lua "$base/api/orgs/current"
run "POST /api/eventgrid/acs" "$top" "200 429" -s scripts/load/webhook-sms.lua "$base"
stop_server

echo "== below the limits (600,000 a minute per credential and per webhook sender)"
export Hiroi__RateLimits__PerCredentialPerMinute=600000 Hiroi__RateLimits__WebhookPerIpPerMinute=600000
fresh_garnet
start_server
wrk -t2 -c8 -d"${warmup}s" "$base/healthz" >/dev/null 2>&1 || true
for c in $levels; do
  run "GET /api/orgs/current" "$c" "200" -H "Authorization: Bearer $key" -s scripts/load/count-statuses.lua "$base/api/orgs/current"
done
for c in $levels; do
  run "POST /api/eventgrid/acs" "$c" "200" -s scripts/load/webhook-sms.lua "$base"
done
stop_server
