#!/usr/bin/env bash
# Fault scenarios on loopback (README, "When things fail"): the Release self-host over an Azurite and a Garnet of the
# run's own (free ports, a temporary folder), each scenario taking one dependency away for OUTAGE seconds under load,
# then a table: scenario, load, outage, errors by status, slowest answer during the outage, recovery, duplicates,
# losses. Exits 1 on a 500, a lost or doubled item, or a load never served again. Bounded: every process it starts is
# stopped when it ends, nothing listens beyond 127.0.0.1.
# Usage: scripts/chaos.sh [--smoke] [--no-build] [outage seconds=30] [webhook events/s=200] [campaign contacts=1000]
#        [widget visitors=40]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
if [ "$SMOKE" -eq 1 ]; then set -- 2 20 30 4; fi
outage=${1:-30}
rate=${2:-200}
contacts=${3:-1000}
visitors=${4:-40}
dir=$(mktemp -d)
# The driver stops what it started; should it be killed itself, whatever still runs on this run's folder goes too.
trap 'pkill -f "$dir" 2>/dev/null || true; rm -rf "$dir"' EXIT
find_garnet
node scripts/local-settings.mjs local.settings.sample.json "$dir/settings.json" >/dev/null
bench_build functions/Hiroi.Server tests/Hiroi.Benchmarks
# The driver starts and stops Azurite, Garnet and the server itself (it owns their lifetimes, to freeze and restart them).
dotnet "$BENCH_DLL" chaos "$PWD" "$GARNET_DLL" "$SERVER_DLL" "$dir/settings.json" "$dir" "$outage" "$rate" "$contacts" "$visitors"
