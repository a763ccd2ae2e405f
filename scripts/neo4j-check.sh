#!/usr/bin/env bash
# Runs the Neo4j round-trip test against a REAL Neo4j 5 server instead of the labelled fake:
#   NEO4J_URI=http://host:7474 NEO4J_USER=neo4j NEO4J_PASSWORD=... NEO4J_DATABASE=scratchdb scripts/neo4j-check.sh
# WARNING: the test replaces everything in NEO4J_DATABASE (it restores with --replace into it).
# Point it at a throwaway database or server. NEO4J_DATABASE must be given explicitly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
for v in NEO4J_URI NEO4J_USER NEO4J_PASSWORD NEO4J_DATABASE; do
  if [ -z "${!v:-}" ]; then
    echo "neo4j-check: $v is not set (set NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE; the database is wiped)" >&2
    exit 2
  fi
done
export NEO4J_URI NEO4J_USER NEO4J_PASSWORD NEO4J_DATABASE
bash "$root/scripts/setup.sh" >/dev/null
dotnet build tests/BackupFunctions.IntegrationTests -c Release --nologo -v quiet >/dev/null
echo "neo4j-check: round trip against $NEO4J_URI, database $NEO4J_DATABASE"
dotnet test tests/BackupFunctions.IntegrationTests -c Release --no-build --nologo \
  --filter "Category=Neo4jRoundTrip" --logger "console;verbosity=normal"
