#!/usr/bin/env bash
# Runs the BenchmarkDotNet suite against its own Azurite (ports 10020-10022). Arguments go to BenchmarkDotNet,
# e.g. scripts/bench.sh --filter '*ApiKey*'.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
dir=$(mktemp -d)
trap 'kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10020 10021 10022 "$dir/azurite.log"
export HIROI_BENCH_STORAGE
HIROI_BENCH_STORAGE=$(azurite_connection_string 10020 10021 10022)
dotnet run -c Release --project tests/Hiroi.Benchmarks -- "${@:---filter *}"
