#!/usr/bin/env bash
# Retention sweep load run: its own Azurite (10050-10052); raw batch deletes vs the sweep deleting the same rows.
# Usage: scripts/bench-retention.sh [rows=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
rows=${1:-5000}
dir=$(mktemp -d)
trap 'kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10050 10051 10052 "$dir/azurite.log"
storage=$(azurite_connection_string 10050 10051 10052)
dotnet build -c Release --nologo -v quiet tests/Hiroi.Benchmarks >/dev/null
dotnet tests/Hiroi.Benchmarks/bin/Release/net10.0/Hiroi.Benchmarks.dll retention-load "$storage" "$rows"
