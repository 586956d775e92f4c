#!/usr/bin/env bash
# Voice agents' load run on loopback: its own Azurite (10060-10062, apart from the other load runs) and server
# (127.0.0.1:7094) with the ACS simulator and the local model, then scripted callers at each concurrency: IncomingCall to
# answer, and the caller's words to the agent's next prompt, as the simulator sees them (our overhead: the model is local).
# Usage: scripts/bench-calls.sh [concurrencies=1,8,32] [calls per caller=3] [turns per call=4]; --smoke runs one small round.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
if [ "${1:-}" = "--smoke" ]; then set -- 2 1 1; fi
concurrencies=${1:-1,8,32}
calls=${2:-3}
turns=${3:-4}
dir=$(mktemp -d)
server_pid=""
trap 'kill $server_pid 2>/dev/null || true; kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10060 10061 10062 "$dir/azurite.log"
storage=$(azurite_connection_string 10060 10061 10062)
url=http://127.0.0.1:7094
echo '{"Values":{}}' > "$dir/settings.json"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$storage" Hiroi__Storage__Prefix=benchcall \
  Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production Hiroi__RateLimits__Enabled=false \
  Hiroi__TenantSecrets__KeyEncryptionKeys="k1:$(openssl rand -base64 32)" Hiroi__Privacy__SubjectKey="$(openssl rand -base64 32)" \
  Hiroi__Ai__Models__local__InputUsdPerMillionTokens=1 Hiroi__Ai__Models__local__OutputUsdPerMillionTokens=3 \
  Hiroi__AcsSimulator__Enabled=true Hiroi__AcsSimulator__WebhookUrl="$url/api/eventgrid/acs" Hiroi__AcsSimulator__EventDelayMilliseconds=0 \
  Hiroi__Acs__Endpoint="$url" Hiroi__Acs__AccessKey="$(openssl rand -base64 32)" Hiroi__Acs__CallbackAuth__Audience=bench-acs \
  Hiroi__Acs__CallbackAuth__OpenIdConfigurationUrl="$url/calling/.well-known/acsopenidconfiguration" \
  Hiroi__EventGrid__WebhookSecret=bench-webhook-secret Hiroi__Calls__PublicBaseUrl="$url" \
  Hiroi__Calls__CallbackSigningKeys="c1:$(openssl rand -base64 32)" Hiroi__Recordings__KeyEncryptionKeys="k1:$(openssl rand -base64 32)" \
  Hiroi__Voice__MaxConcurrentCallsPerOrg=1000 Hiroi__Voice__CallsPerCallerPerHour=1000 Hiroi__Voice__FillerAfterMilliseconds=30000
dotnet build -c Release --nologo -v quiet functions/Hiroi.Server >/dev/null
dotnet build -c Release --nologo -v quiet tests/Hiroi.Benchmarks >/dev/null
dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll --urls "$url" >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do curl -fs "$url/readyz" >/dev/null && break; sleep 1; done
key=$(dotnet functions/Hiroi.Server/bin/Release/net10.0/Hiroi.Server.dll org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
auth=(-H "Authorization: Bearer $key" -H 'content-type: application/json')
number=+15559990001
curl -fs "${auth[@]}" -d "{\"number\":\"$number\"}" "$url/api/numbers" >/dev/null
curl -fs "${auth[@]}" -d "{\"name\":\"Bench\",\"instructions\":\"Be brief.\",\"model\":\"local\",\"numbers\":[\"$number\"],\"voice\":{\"greeting\":\"Hello.\"}}" "$url/api/agents" >/dev/null
dotnet tests/Hiroi.Benchmarks/bin/Release/net10.0/Hiroi.Benchmarks.dll call-load "$url" "$number" "$concurrencies" "$calls" "$turns"
