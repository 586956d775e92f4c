#!/usr/bin/env bash
# Widget load run on loopback: its own Azurite (10050-10052, apart from the other load runs) and server (127.0.0.1:7093), then visitors opening sessions
# (challenge, proof of work at 8 bits, session) and heartbeating them.
# Usage: scripts/bench-widget.sh [seconds=20] [concurrency=16] [heartbeats per session=5]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
seconds=${1:-20}
concurrency=${2:-16}
heartbeats=${3:-5}
dir=$(mktemp -d)
server_pid=""
trap 'kill $server_pid 2>/dev/null || true; kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10050 10051 10052 "$dir/azurite.log"
storage=$(azurite_connection_string 10050 10051 10052)
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$storage" Hiroi__Storage__Prefix=benchwg \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Hiroi__RateLimits__Enabled=false \
  Hiroi__TenantSecrets__KeyEncryptionKeys="k1:$(openssl rand -base64 32)" Hiroi__Widget__ProofOfWorkBits=8 \
  Hiroi__Ai__Models__local__InputUsdPerMillionTokens=1 Hiroi__Ai__Models__local__OutputUsdPerMillionTokens=3
dotnet build -c Release --nologo -v quiet functions/Hiroi.Server >/dev/null
dotnet build -c Release --nologo -v quiet tests/Hiroi.Benchmarks >/dev/null
dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll --urls http://127.0.0.1:7093 >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do curl -fs http://127.0.0.1:7093/readyz >/dev/null && break; sleep 1; done
key=$(dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
auth=(-H "Authorization: Bearer $key" -H 'content-type: application/json')
agent=$(curl -fs "${auth[@]}" -d '{"name":"Bench","instructions":"Be brief.","model":"local"}' http://127.0.0.1:7093/api/agents | sed -E 's/.*"id":"([^"]+)".*/\1/')
widget=$(curl -fs "${auth[@]}" -d "{\"name\":\"Bench\",\"environment\":\"dev\",\"mode\":\"origin\",\"origins\":[\"https://bench.example.com\"],\"agentId\":\"$agent\",\"maxSessions\":100000,\"maxSessionsPerVisitor\":1}" \
  http://127.0.0.1:7093/api/widget-keys | sed -E 's/^\{"id":"([^"]+)".*/\1/')
dotnet tests/Hiroi.Benchmarks/bin/Release/net10.0/Hiroi.Benchmarks.dll widget-load http://127.0.0.1:7093 "$widget" https://bench.example.com "$seconds" "$concurrency" "$heartbeats"
