#!/usr/bin/env bash
# Retention sweep load run: its own Azurite; raw batch deletes vs the sweep deleting the same rows.
# Usage: scripts/bench-retention.sh [--smoke] [--no-build] [rows=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
if [ "$SMOKE" -eq 1 ]; then set -- 600; fi
rows=${1:-5000}
dir=$(mktemp -d)
trap 'if [ -n "$AZURITE_PID" ]; then kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
bench_storage "$dir"
bench_build tests/Hiroi.Benchmarks
dotnet "$BENCH_DLL" retention-load "$BENCH_STORAGE" "$rows"
