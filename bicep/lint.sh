#!/usr/bin/env bash
# Builds and lints bicep/main.bicep and its parameter files with the Bicep CLI restored from NuGet; any warning fails.
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
for params in dev prod; do
  "$bicep" build-params "$params.bicepparam" --outfile "$out/$params.parameters.json" 2>&1 | tee -a "$out/build.log"
done
if grep -qiE 'warning|error' "$out/build.log" "$out/lint.log"; then
  echo "bicep: warnings or errors above" >&2
  exit 1
fi
echo "bicep: main.bicep and the dev and prod parameters build and lint clean"
