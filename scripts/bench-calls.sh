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
trap 'stop_pid "$server_pid"; stop_pid "$AZURITE_PID"; rm -rf "$dir"' EXIT
bench_storage "$dir"
url=http://127.0.0.1:$(free_port)
echo '{"Values":{}}' > "$dir/settings.json"
export_voice_bench "$url"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$BENCH_STORAGE" Hiroi__Storage__Prefix="benchcall$$" \
  Hiroi__AcsSimulator__EventDelayMilliseconds=0 Hiroi__Voice__FillerAfterMilliseconds=30000
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
