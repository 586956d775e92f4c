#!/usr/bin/env bash
# Webhook load run on loopback: its own Azurite (10030-10032) and server (127.0.0.1:7091), then raw inserts vs events.
# Usage: scripts/bench-webhook.sh [seconds=20] [concurrency=16]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
seconds=${1:-20}
concurrency=${2:-16}
dir=$(mktemp -d)
server_pid=""
trap 'kill $server_pid 2>/dev/null || true; kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10030 10031 10032 "$dir/azurite.log"
storage=$(azurite_connection_string 10030 10031 10032)
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$storage" Hiroi__Storage__Prefix=benchwh \
  Hiroi__EventGrid__WebhookSecret=bench-secret Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
  Hiroi__RateLimits__Enabled=false
dotnet build -c Release --nologo -v quiet functions/Hiroi.Server >/dev/null
dotnet build -c Release --nologo -v quiet tests/Hiroi.Benchmarks >/dev/null
dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll --urls http://127.0.0.1:7091 >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do curl -fs http://127.0.0.1:7091/readyz >/dev/null && break; sleep 1; done
key=$(dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
curl -fs -H "Authorization: Bearer $key" -H 'content-type: application/json' -d '{"number":"+15550009000"}' http://127.0.0.1:7091/api/numbers >/dev/null
dotnet tests/Hiroi.Benchmarks/bin/Release/net10.0/Hiroi.Benchmarks.dll webhook-load "$storage" http://127.0.0.1:7091/api/eventgrid/acs bench-secret +15550009000 "$seconds" "$concurrency"
