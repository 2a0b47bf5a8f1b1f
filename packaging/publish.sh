#!/usr/bin/env bash
# Builds fsaudit as one self-contained executable for linux-x64 (no .NET runtime needed on the target).
#   packaging/publish.sh [OUTPUT_DIR]          default OUTPUT_DIR: packaging/out
# Native libraries (SQLite) are bundled inside the executable and unpacked at first start into
# $DOTNET_BUNDLE_EXTRACT_BASE_DIR (the unit points it at /var/cache/fsaudit).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:-$root/packaging/out}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet publish "$root/src/Host" -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true \
  -p:IncludeNativeLibrariesForSelfExtract=true \
  -p:DebugType=none \
  --artifacts-path "${FSAUDIT_ARTIFACTS:-$root/packaging/.artifacts}" \
  -o "$out"

"$out/fsaudit" --help >/dev/null
echo "published $out/fsaudit ($(du -h "$out/fsaudit" | cut -f1))"
