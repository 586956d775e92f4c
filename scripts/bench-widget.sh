#!/usr/bin/env bash
# Widget load run on loopback: its own Azurite and server (free ports), then visitors opening sessions (challenge,
# proof of work at 8 bits, session) and heartbeating them.
# Usage: scripts/bench-widget.sh [--smoke] [--no-build] [seconds=20] [concurrency=16] [heartbeats per session=5]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
if [ "$SMOKE" -eq 1 ]; then set -- 2 4 2; fi
seconds=${1:-20}
concurrency=${2:-16}
heartbeats=${3:-5}
dir=$(mktemp -d)
server_pid=""
trap 'stop_pid "$server_pid"; stop_pid "$AZURITE_PID"; rm -rf "$dir"' EXIT
bench_storage "$dir"
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$BENCH_STORAGE" Hiroi__Storage__Prefix="benchwg$$" \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Hiroi__RateLimits__Enabled=false \
  Hiroi__TenantSecrets__KeyEncryptionKeys="k1:$(openssl rand -base64 32)" Hiroi__Widget__ProofOfWorkBits=8 \
  Hiroi__Ai__Models__local__InputUsdPerMillionTokens=1 Hiroi__Ai__Models__local__OutputUsdPerMillionTokens=3
bench_build functions/Hiroi.Server tests/Hiroi.Benchmarks
base=http://127.0.0.1:$(free_port)
dotnet "$SERVER_DLL" --urls "$base" >"$dir/server.log" 2>&1 &
server_pid=$!
wait_ready "$base" "$dir/server.log" "$server_pid"
key=$(dotnet "$SERVER_DLL" org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
auth=(-H "Authorization: Bearer $key" -H 'content-type: application/json')
agent=$(curl -fs "${auth[@]}" -d '{"name":"Bench","instructions":"Be brief.","model":"local"}' "$base/api/agents" | sed -E 's/.*"id":"([^"]+)".*/\1/')
widget=$(curl -fs "${auth[@]}" -d "{\"name\":\"Bench\",\"environment\":\"dev\",\"mode\":\"origin\",\"origins\":[\"https://bench.example.com\"],\"agentId\":\"$agent\",\"maxSessions\":100000,\"maxSessionsPerVisitor\":1}" \
  "$base/api/widget-keys" | sed -E 's/^\{"id":"([^"]+)".*/\1/')
dotnet "$BENCH_DLL" widget-load "$base" "$widget" https://bench.example.com "$seconds" "$concurrency" "$heartbeats"
