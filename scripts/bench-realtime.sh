#!/usr/bin/env bash
# Realtime voice load run on loopback: its own Azurite (10070-10072) and self-host (127.0.0.1:7097) with the ACS
# simulator and the local realtime model, then 1, 8 and 32 streamed calls at once (50 frames/s each way), each caller
# speaking every 2.5 s. Reports voice-to-voice latency (last voiced caller frame -> first agent frame: the platform's
# overhead, the local model taking no time), frames dropped, and CPU and memory per call.
# Usage: scripts/bench-realtime.sh [seconds per level=20] [levels...=1 8 32]
#        scripts/bench-realtime.sh --smoke      (one call for 4 s: checks the run works)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
if [ "${1:-}" = "--smoke" ]; then
  seconds=4; levels=(1)
else
  seconds=${1:-20}; shift || true
  levels=("${@:-}"); if [ -z "${levels[0]}" ]; then levels=(1 8 32); fi
fi
dir=$(mktemp -d)
server_pid=""
trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true; kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10070 10071 10072 "$dir/azurite.log"
storage=$(azurite_connection_string 10070 10071 10072)
url=http://127.0.0.1:7097
key() { openssl rand -base64 32; }
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$storage" Hiroi__Storage__Prefix=benchrt \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Hiroi__RateLimits__Enabled=false \
  Hiroi__AcsSimulator__Enabled=true Hiroi__AcsSimulator__WebhookUrl=$url/api/eventgrid/acs Hiroi__AcsSimulator__EventDelayMilliseconds=10 \
  Hiroi__Acs__Endpoint=$url Hiroi__Acs__AccessKey="$(key)" Hiroi__Acs__CallbackAuth__Audience=bench-acs \
  Hiroi__Acs__CallbackAuth__OpenIdConfigurationUrl=$url/calling/.well-known/acsopenidconfiguration Hiroi__EventGrid__WebhookSecret=bench-secret \
  Hiroi__Calls__PublicBaseUrl=$url Hiroi__Calls__CallbackSigningKeys="c1:$(key)" Hiroi__Recordings__KeyEncryptionKeys="k1:$(key)" \
  Hiroi__Privacy__SubjectKey="$(key)" Hiroi__TenantSecrets__KeyEncryptionKeys="t1:$(key)" \
  Hiroi__Voice__CognitiveServicesEndpoint=https://speech.bench.test/ Hiroi__Voice__MaxConcurrentCallsPerOrg=1000 \
  Hiroi__Voice__Realtime__LocalMillisecondsPerCharacter=20 \
  Hiroi__Ai__Models__local__InputUsdPerMillionTokens=1 Hiroi__Ai__Models__local__OutputUsdPerMillionTokens=3 \
  Hiroi__Ai__Models__local__AudioInputUsdPerMillionTokens=40 Hiroi__Ai__Models__local__AudioOutputUsdPerMillionTokens=80
dotnet build -c Release --nologo -v quiet functions/Hiroi.Server >/dev/null
dotnet build -c Release --nologo -v quiet tests/Hiroi.Benchmarks >/dev/null
dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll --urls $url >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do curl -fs $url/readyz >/dev/null && break; sleep 1; done
api=$(dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
auth=(-H "Authorization: Bearer $api" -H 'content-type: application/json')
curl -fs "${auth[@]}" -d '{"number":"+15550009700"}' $url/api/numbers >/dev/null
curl -fs "${auth[@]}" -d '{"name":"Bench","instructions":"Be brief.","model":"local","numbers":["+15550009700"],"voice":{"mode":"realtime","greeting":"Hello."}}' \
  $url/api/agents >/dev/null
dotnet tests/Hiroi.Benchmarks/bin/Release/net10.0/Hiroi.Benchmarks.dll realtime-load $url "$api" +15550009700 "$server_pid" "$seconds" "${levels[@]}"
