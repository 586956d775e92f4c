#!/usr/bin/env bash
# Campaign load run: its own Azurite (10040-10042); raw read + conditional write vs contacts dispatched by each campaign driver.
# Usage: scripts/bench-campaign.sh [contacts=4000] [campaigns side by side=8]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require_tools
ensure_node_modules
contacts=${1:-4000}
campaigns=${2:-8}
dir=$(mktemp -d)
trap 'kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$dir"' EXIT
start_azurite "$dir" 10040 10041 10042 "$dir/azurite.log"
storage=$(azurite_connection_string 10040 10041 10042)
dotnet build -c Release --nologo -v quiet tests/Hiroi.Benchmarks >/dev/null
dotnet tests/Hiroi.Benchmarks/bin/Release/net10.0/Hiroi.Benchmarks.dll campaign-load "$storage" "$contacts" "$campaigns"
