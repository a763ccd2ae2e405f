#!/usr/bin/env bash
# All tests, on a fresh machine too: installs and starts what they need (scripts/setup.sh), then
# runs the unit tests (no servers) and the integration tests (real PostgreSQL and Azurite).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/env.sh"

bash "$root/scripts/setup.sh"

# The solution holds every project, the Azure Functions app included: warnings are errors.
dotnet build BackupFunctions.sln -c Release --nologo -v quiet
bash "$root/scripts/bicep-check.sh" && infra_status=0 || infra_status=1 # infra/ through the real Bicep CLI
dotnet test BackupFunctions.sln -c Release --no-build --nologo -v quiet \
  --logger "console;verbosity=normal" >"$root/.tools/test-output.log" 2>&1 && status=0 || status=$?

# Failures in full, then one closing line over both test projects in the form CI reads.
grep -E '^\s+Failed |Error Message|^\s+(Assert|Expected|Actual)|^Test Run|^Total tests' -A2 "$root/.tools/test-output.log" || true
read -r passed failed < <(awk '/^[[:space:]]+Passed: [0-9]+[[:space:]]*$/ { p += $2 }
                                /^[[:space:]]+Failed: [0-9]+[[:space:]]*$/ { f += $2 }
                                END { print p + 0, f + 0 }' "$root/.tools/test-output.log")
echo "$passed passed, $failed failed"
if [ "$passed" -eq 0 ]; then echo "test.sh: no test ran (see .tools/test-output.log)" >&2; exit 1; fi

if [ "$infra_status" -ne 0 ]; then echo "test.sh: scripts/bicep-check.sh failed (above)" >&2; exit 1; fi
exit "$status"
