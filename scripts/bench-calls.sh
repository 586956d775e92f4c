#!/usr/bin/env bash
# Voice agents' load run on loopback: its own Azurite and server (free ports) with the ACS simulator and the local model,
# then scripted callers at each concurrency: IncomingCall to answer, and the caller's words to the agent's next prompt,
# as the simulator sees them (our overhead: the model is local).
# Usage: scripts/bench-calls.sh [--smoke] [--no-build] [concurrencies=1,8,32] [calls per caller=3] [turns per call=4]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
if [ "$SMOKE" -eq 1 ]; then set -- 2 1 1; fi
concurrencies=${1:-1,8,32}
calls=${2:-3}
turns=${3:-4}
dir=$(mktemp -d)
server_pid=""
trap 'if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$AZURITE_PID" ]; then kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
bench_storage "$dir"
url=http://127.0.0.1:$(free_port)
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$BENCH_STORAGE" Hiroi__Storage__Prefix="benchcall$$" \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Hiroi__RateLimits__Enabled=false \
  Hiroi__TenantSecrets__KeyEncryptionKeys="k1:$(openssl rand -base64 32)" Hiroi__Privacy__SubjectKey="$(openssl rand -base64 32)" \
  Hiroi__Ai__Models__local__InputUsdPerMillionTokens=1 Hiroi__Ai__Models__local__OutputUsdPerMillionTokens=3 \
  Hiroi__AcsSimulator__Enabled=true Hiroi__AcsSimulator__WebhookUrl="$url/api/eventgrid/acs" Hiroi__AcsSimulator__EventDelayMilliseconds=0 \
  Hiroi__Acs__Endpoint="$url" Hiroi__Acs__AccessKey="$(openssl rand -base64 32)" Hiroi__Acs__CallbackAuth__Audience=bench-acs \
  Hiroi__Acs__CallbackAuth__OpenIdConfigurationUrl="$url/calling/.well-known/acsopenidconfiguration" \
  Hiroi__EventGrid__WebhookSecret=bench-webhook-secret Hiroi__Calls__PublicBaseUrl="$url" \
  Hiroi__Calls__CognitiveServicesEndpoint=https://speech.bench.test/ Hiroi__Calls__CallbackSigningKeys="c1:$(openssl rand -base64 32)" Hiroi__Recordings__KeyEncryptionKeys="k1:$(openssl rand -base64 32)" \
  Hiroi__Voice__MaxConcurrentCallsPerOrg=1000 Hiroi__Voice__CallsPerCallerPerHour=1000 Hiroi__Voice__FillerAfterMilliseconds=30000
bench_build functions/Hiroi.Server tests/Hiroi.Benchmarks
dotnet "$SERVER_DLL" --urls "$url" >"$dir/server.log" 2>&1 &
server_pid=$!
wait_ready "$url" "$dir/server.log" "$server_pid"
key=$(dotnet "$SERVER_DLL" org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
auth=(-H "Authorization: Bearer $key" -H 'content-type: application/json')
number=+15559990001
curl -fs "${auth[@]}" -d "{\"number\":\"$number\"}" "$url/api/numbers" >/dev/null
curl -fs "${auth[@]}" -d "{\"name\":\"Bench\",\"instructions\":\"Be brief.\",\"model\":\"local\",\"numbers\":[\"$number\"],\"voice\":{\"greeting\":\"Hello.\"}}" "$url/api/agents" >/dev/null
dotnet "$BENCH_DLL" call-load "$url" "$number" "$concurrencies" "$calls" "$turns"
