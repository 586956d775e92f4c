#!/usr/bin/env bash
# Runs the BenchmarkDotNet suite against its own Azurite. Arguments go to BenchmarkDotNet, e.g.
# scripts/bench.sh --filter '*ApiKey*'. --smoke runs every benchmark once, in process (BenchmarkDotNet's Dry job), to
# show each still runs; its figures mean nothing.
# Usage: scripts/bench.sh [--smoke] [--no-build] [BenchmarkDotNet arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_flags "$@"; shift "$BENCH_SHIFT"
require_tools
ensure_node_modules
dir=$(mktemp -d)
trap 'if [ -n "$AZURITE_PID" ]; then kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
bench_storage "$dir"
export HIROI_BENCH_STORAGE=$BENCH_STORAGE
if [ "$SMOKE" -eq 1 ]; then
  bench_build tests/Hiroi.Benchmarks
  dotnet "$BENCH_DLL" --filter '*' --job Dry --inProcess --artifacts "$dir/artifacts" "$@"
else
  no_build=(); if [ "$BUILD" -eq 0 ]; then no_build=(--no-build); fi
  dotnet run -c "$CONFIGURATION" "${no_build[@]}" --project tests/Hiroi.Benchmarks -- "${@:---filter *}"
fi
