# Shared settings for scripts/*.sh and the integration tests (which read the same variables).
# Local development values only: these are not secrets of any real system.
export BACKUPFN_PG_PORT="${BACKUPFN_PG_PORT:-5432}"
export BACKUPFN_PG_USER="${BACKUPFN_PG_USER:-backupfn}"
export BACKUPFN_PG_PASSWORD="${BACKUPFN_PG_PASSWORD:-backupfn-local}"
export BACKUPFN_REDIS_PORT="${BACKUPFN_REDIS_PORT:-6390}"
export BACKUPFN_AZURITE_BLOB_PORT="${BACKUPFN_AZURITE_BLOB_PORT:-10000}"
export BACKUPFN_AZURITE_QUEUE_PORT="${BACKUPFN_AZURITE_QUEUE_PORT:-10001}"
export BACKUPFN_AZURITE_TABLE_PORT="${BACKUPFN_AZURITE_TABLE_PORT:-10002}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
