#!/usr/bin/env bash
# Runs the Qdrant round-trip test against a REAL Qdrant server instead of the labelled fake:
#   QDRANT_URL=http://host:6333 [QDRANT_API_KEY=...] scripts/qdrant-check.sh
# The test creates two collections named qdrantcheck_<random>_docs and qdrantcheck_<random>_images,
# backs them up, restore-tests them (backupfn-restoretest-* collections), restores them with --replace and
# into their deleted selves, compares counts and vector configuration, and deletes them at the end. It
# touches no other collection, but use a throwaway server: the API key needs write access (snapshots).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ -z "${QDRANT_URL:-}" ]; then
  echo "qdrant-check: QDRANT_URL is not set (set QDRANT_URL=http://host:6333, and QDRANT_API_KEY when the server has one)" >&2
  exit 2
fi
export QDRANT_URL QDRANT_API_KEY="${QDRANT_API_KEY:-}"
[ -n "$QDRANT_API_KEY" ] || unset QDRANT_API_KEY
bash "$root/scripts/setup.sh" >/dev/null
dotnet build tests/BackupFunctions.IntegrationTests -c Release --nologo -v quiet >/dev/null
echo "qdrant-check: round trip against $QDRANT_URL"
dotnet test tests/BackupFunctions.IntegrationTests -c Release --no-build --nologo \
  --filter "Category=QdrantRoundTrip" --logger "console;verbosity=normal"
