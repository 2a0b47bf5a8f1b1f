#!/usr/bin/env bash
# Builds and runs the whole test suite (a test hanging for 5 minutes fails the run with a dump of where). Restores NuGet packages itself; kernel tests run when root
# (they fetch Debian's auditd tools for the differential test without installing the daemon).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test FsAuditActors.sln -c Release --logger "console;verbosity=normal" --blame-hang-timeout 5m "$@"
