#!/usr/bin/env bash
# The fault-injection suite alone (tests/BackupFunctions.IntegrationTests/Faults): kills, outages,
# corruption, malformed restore requests, concurrent requests, secret canaries, on real servers.
# test.sh runs it too, with everything else. Extra arguments go to `dotnet test` (e.g. --logger).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/env.sh"

bash "$root/scripts/setup.sh"
dotnet build BackupFunctions.sln -c Release --nologo -v quiet
dotnet test tests/BackupFunctions.IntegrationTests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~BackupFunctions.IntegrationTests.Faults" --logger "console;verbosity=normal" "$@"
