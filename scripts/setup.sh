#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: installs what is missing (PostgreSQL, Redis, Azurite), starts PostgreSQL and Azurite when they are not running, and
# waits until they answer. Safe to run again and again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"

log() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_get ARGS...: apt-get as root, waiting up to 5 minutes while another apt holds its locks, as
# unattended-upgrades does for a while after boot. DPkg::Lock::Timeout makes install wait for the
# dpkg locks, but update fails at once on the lists lock (apt 2.6), so both are retried here, with a
# line every 15 s. Any other failure stops at once with apt's own message.
apt_locked='Could not get lock|Unable to (acquire the dpkg frontend lock|lock)'
apt_get() {
  local start=$SECONDS attempt err holder
  while attempt=$SECONDS; ! err="$(as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=15 "$@" 2>&1 >/dev/null)"; do
    if ! grep -Eq "$apt_locked" <<<"$err" || [ $((SECONDS - start)) -ge 300 ]; then
      printf '%s\n' "$err" >&2
      if grep -Eq "$apt_locked" <<<"$err"; then log "apt is still busy after $((SECONDS - start)) s; let it finish, then run scripts/setup.sh again"; fi
      return 1
    fi
    # update names the holder ("held by process 812 (unattended-upgr)"); install, after its own wait, only the lock.
    holder="$(grep -Eo -m1 'held by process [0-9]+ \([^)]*\)' <<<"$err" || grep -Eo -m1 '/var/[a-z/_-]+' <<<"$err" | sed 's/$/ is locked/' || echo 'a lock is held')"
    log "apt is busy ($holder); waiting, $((SECONDS - start)) s of 300 s"
    # install has just waited DPkg::Lock::Timeout itself; update failed at once, so it pauses here.
    sleep $((attempt + 15 > SECONDS ? attempt + 15 - SECONDS : 0))
  done
  [ -z "$err" ] || printf '%s\n' "$err" >&2
}

# --- apt packages ---------------------------------------------------------------------------
need=()
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
[ -n "$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | head -1)" ] || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
command -v chromium >/dev/null 2>&1 || need+=(chromium)            # renders the HTML run report in a test
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${need[@]}"
fi

# --- PostgreSQL ------------------------------------------------------------------------------
pgver="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$pgver main$"; then
  log "creating PostgreSQL $pgver cluster"
  as_root pg_createcluster "$pgver" main >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p "$BACKUPFN_PG_PORT"; then
  log "starting PostgreSQL $pgver"
  as_root pg_ctlcluster "$pgver" main start
fi
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$BACKUPFN_PG_PORT" && break; sleep 0.5; done
pg_isready -q -h 127.0.0.1 -p "$BACKUPFN_PG_PORT" || { echo "setup: PostgreSQL did not start (see /var/log/postgresql)" >&2; exit 1; }
# A password-authenticated superuser for tests and the demo (local machine only).
as_root su postgres -c "psql -q -p $BACKUPFN_PG_PORT -v ON_ERROR_STOP=1" <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$BACKUPFN_PG_USER') THEN
    CREATE ROLE "$BACKUPFN_PG_USER" LOGIN SUPERUSER PASSWORD '$BACKUPFN_PG_PASSWORD';
  END IF;
END \$\$;
SQL

# --- Redis (a spare port, so a system Redis is never touched) -------------------------------
if ! redis-cli -p "$BACKUPFN_REDIS_PORT" ping >/dev/null 2>&1; then
  log "starting redis-server on $BACKUPFN_REDIS_PORT"
  mkdir -p "$root/.tools/redis"
  redis-server --port "$BACKUPFN_REDIS_PORT" --bind 127.0.0.1 --dir "$root/.tools/redis" \
    --save '' --appendonly no --repl-diskless-sync-delay 0 --daemonize yes --logfile "$root/.tools/redis/redis.log" >/dev/null
  for _ in $(seq 1 40); do redis-cli -p "$BACKUPFN_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.25; done
fi

# --- Azurite (project-local npm install) ----------------------------------------------------
azurite="$root/.tools/azurite/node_modules/.bin/azurite"
if [ ! -x "$azurite" ]; then
  log "installing Azurite into .tools/azurite"
  mkdir -p "$root/.tools/azurite"
  (cd "$root/.tools/azurite" && npm install --no-audit --no-fund --loglevel=error azurite@3 >/dev/null)
fi
if ! curl -s -o /dev/null "http://127.0.0.1:$BACKUPFN_AZURITE_BLOB_PORT/devstoreaccount1?comp=list"; then
  log "starting Azurite"
  mkdir -p "$root/.tools/azurite-data"
  setsid nohup "$azurite" --silent --skipApiVersionCheck --loose \
    --location "$root/.tools/azurite-data" \
    --blobHost 127.0.0.1 --blobPort "$BACKUPFN_AZURITE_BLOB_PORT" \
    --queueHost 127.0.0.1 --queuePort "$BACKUPFN_AZURITE_QUEUE_PORT" \
    --tableHost 127.0.0.1 --tablePort "$BACKUPFN_AZURITE_TABLE_PORT" \
    >"$root/.tools/azurite.log" 2>&1 < /dev/null &
fi
for _ in $(seq 1 120); do
  curl -s -o /dev/null "http://127.0.0.1:$BACKUPFN_AZURITE_BLOB_PORT/devstoreaccount1?comp=list" && break
  sleep 0.5
done
curl -s -o /dev/null "http://127.0.0.1:$BACKUPFN_AZURITE_BLOB_PORT/devstoreaccount1?comp=list" \
  || { echo "setup: Azurite did not start (see .tools/azurite.log)" >&2; exit 1; }

log "ready: PostgreSQL 127.0.0.1:$BACKUPFN_PG_PORT, Redis 127.0.0.1:$BACKUPFN_REDIS_PORT, Azurite 127.0.0.1:$BACKUPFN_AZURITE_BLOB_PORT"
