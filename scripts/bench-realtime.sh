#!/usr/bin/env bash
# Realtime voice load run on loopback: its own Azurite and self-host (free ports) with the ACS simulator and the local
# realtime model, then 1, 8 and 32 streamed calls at once (50 frames/s each way), each caller speaking every 2.5 s.
# Reports voice-to-voice latency (last voiced caller frame -> first agent frame: the platform's overhead, the local
# model taking no time), frames dropped, and CPU and memory per call.
# Usage: scripts/bench-realtime.sh [--smoke] [--no-build] [seconds per level=20] [levels...=1 8 32]
#        (--smoke: one call for 4 s, checks the run works)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
if [ "$SMOKE" -eq 1 ]; then
  seconds=4; levels=(1)
else
  seconds=${1:-20}; shift || true
  levels=("${@:-}"); if [ -z "${levels[0]}" ]; then levels=(1 8 32); fi
fi
dir=$(mktemp -d)
server_pid=""
trap 'stop_pid "$server_pid"; stop_pid "$AZURITE_PID"; rm -rf "$dir"' EXIT
bench_storage "$dir"
url=http://127.0.0.1:$(free_port)
echo '{"Values":{}}' > "$dir/settings.json"
export_voice_bench "$url"
export HIROI_LOCAL_SETTINGS="$dir/settings.json" AzureWebJobsStorage="$BENCH_STORAGE" Hiroi__Storage__Prefix="benchrt$$" \
  Hiroi__AcsSimulator__EventDelayMilliseconds=10 Hiroi__Voice__Realtime__LocalMillisecondsPerCharacter=20 \
  Hiroi__Ai__Models__local__AudioInputUsdPerMillionTokens=40 Hiroi__Ai__Models__local__AudioOutputUsdPerMillionTokens=80
bench_build functions/Hiroi.Server tests/Hiroi.Benchmarks
dotnet "$SERVER_DLL" --urls "$url" >"$dir/server.log" 2>&1 &
server_pid=$!
wait_ready "$url" "$dir/server.log" "$server_pid"
api=$(dotnet "$SERVER_DLL" org create Bench --owner bench@example.com --json | sed -E 's/.*"apiKey":"([^"]+)".*/\1/')
auth=(-H "Authorization: Bearer $api" -H 'content-type: application/json')
curl -fs "${auth[@]}" -d '{"number":"+15550009700"}' $url/api/numbers >/dev/null
curl -fs "${auth[@]}" -d '{"name":"Bench","instructions":"Be brief.","model":"local","numbers":["+15550009700"],"voice":{"mode":"realtime","greeting":"Hello."}}' \
  $url/api/agents >/dev/null
dotnet "$BENCH_DLL" realtime-load $url "$api" +15550009700 "$server_pid" "$seconds" "${levels[@]}"
