#!/usr/bin/env bash
# Webhook load run on loopback: its own Azurite and server (free ports), then raw inserts vs events.
# Usage: scripts/bench-webhook.sh [--smoke] [--no-build] [seconds=20] [concurrency=16]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
if [ "$SMOKE" -eq 1 ]; then set -- 1 4; fi
seconds=${1:-20}
concurrency=${2:-16}
dir=$(mktemp -d)
server_pid=""
trap 'stop_pid "$server_pid"; stop_pid "$AZURITE_PID"; rm -rf "$dir"' EXIT
bench_storage "$dir"
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$BENCH_STORAGE" Hiroi__Storage__Prefix="benchwh$$" \
  Hiroi__EventGrid__WebhookSecret=bench-secret Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
  Hiroi__RateLimits__Enabled=false
bench_build functions/Hiroi.Server tests/Hiroi.Benchmarks
base=http://127.0.0.1:$(free_port)
dotnet "$SERVER_DLL" --urls "$base" >"$dir/server.log" 2>&1 &
server_pid=$!
wait_ready "$base" "$dir/server.log" "$server_pid"
key=$(dotnet "$SERVER_DLL" org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
curl -fs -H "Authorization: Bearer $key" -H 'content-type: application/json' -d '{"number":"+15550009000"}' "$base/api/numbers" >/dev/null
dotnet "$BENCH_DLL" webhook-load "$BENCH_STORAGE" "$base/api/eventgrid/acs" bench-secret +15550009000 "$seconds" "$concurrency"
