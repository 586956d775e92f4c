#!/usr/bin/env bash
# Builds and lints bicep/main.bicep with the Bicep CLI restored from NuGet; any warning fails.
set -euo pipefail
cd "$(dirname "$0")"
dotnet restore tools/BicepCli.csproj --nologo -v quiet >/dev/null
bicep=$(dotnet msbuild tools/BicepCli.csproj -nologo -getProperty:BicepPath)
bicep=${bicep//\\//}
chmod +x "$bicep" 2>/dev/null || true
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bicep" build main.bicep --outdir "$out" 2>&1 | tee "$out/build.log"
"$bicep" lint main.bicep 2>&1 | tee "$out/lint.log"
if grep -qiE 'warning|error' "$out/build.log" "$out/lint.log"; then
  echo "bicep: warnings or errors above" >&2
  exit 1
fi
echo "bicep: main.bicep builds and lints clean"
