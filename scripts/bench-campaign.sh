#!/usr/bin/env bash
# Campaign load run: its own Azurite; raw read + conditional write vs contacts dispatched by each campaign driver. The
# recipients live where it is day now, so the run never waits for a calling window whatever the hour.
# Usage: scripts/bench-campaign.sh [--smoke] [--no-build] [contacts=4000] [campaigns side by side=8]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
if [ "$SMOKE" -eq 1 ]; then set -- 40 2; fi
contacts=${1:-4000}
campaigns=${2:-8}
dir=$(mktemp -d)
trap 'if [ -n "$AZURITE_PID" ]; then kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
bench_storage "$dir"
bench_build tests/Hiroi.Benchmarks
dotnet "$BENCH_DLL" campaign-load "$BENCH_STORAGE" "$contacts" "$campaigns"
