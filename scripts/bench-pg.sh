# Sourced by scripts/bench.sh (uses its timed/median/ratio helpers and variables): the PostgreSQL part.
#
# Ours and the peers, side by side, on two ~1 GB data sets (bench_1g: realistic, mixed; bench_noise_1g: random-looking),
# each copied once into a PostgreSQL cluster of its own (so pgBackRest, which copies a whole cluster, copies just it;
# reused by later bench runs) under /var/tmp/backupfn-bench. One Azurite instance of the bench's own serves HTTPS (as
# pgBackRest needs) on port $tls_port, and both pgBackRest and our backup stage write to it: the same store, the same TLS.
# Per data set and run, interleaved:
#   a  pg_dump -Fc -Z0 > /dev/null                       the dump alone
#   z  pg_dump -Fc -Z0 | zstd -1 -T2 > /dev/null         dump + the same codec, no hashing, no upload
#   b  our backup stage (dump -> SHA-256 -> zstd -> SHA-256 -> Azurite), as the BackupDatabase activity runs it
#   p  pgBackRest 2.45 full backup of the cluster (zst level 1, process-max 2) -> the same Azurite
#   r  pg_dump | restic backup --stdin, into a new local repository (first run; compression auto)
#   d  stage: pg_dump | SHA-256 -> zstd -> SHA-256 -> nothing (our pipeline without the upload)
#   u  stage: the upload alone of b's stored size (random bytes, 8 MiB blocks)
#   v  our verify of b's backup;  s  a plain download + SHA-256 of the same blob
#   R  our restore stage of b's backup into a new database;  P  pg_restore of the same dump from a local file
#      (both into the bench's main PostgreSQL, whose WAL is not archived: a restore must not feed pgBackRest's archive)
# Then the 3 GB database (bench_3g on the main server) once: backup stage peak RSS, and 12 small targets at
# MaxParallelTargets 4 against three times one of them (whole `backupfn backup` runs).

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
need_tools() {
  local missing=()
  command -v pgbackrest >/dev/null || missing+=(pgbackrest)
  command -v restic >/dev/null || missing+=(restic)
  command -v zstd >/dev/null || missing+=(zstd)
  [ ${#missing[@]} = 0 ] && return
  echo "bench: installing ${missing[*]} (the peers)"
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
}
need_tools

base=/var/tmp/backupfn-bench
mkdir -p "$base"; chown postgres "$base" 2>/dev/null || true
tls_port=10010
dev_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
tls_storage="DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey=$dev_key;BlobEndpoint=https://127.0.0.1:$tls_port/devstoreaccount1;"
datasets="${BENCH_DATASETS:-bench_1g bench_noise_1g}" # BENCH_DATASETS: other databases of the main server, for a quick try

# --- the HTTPS Azurite of this run (fresh each run, deleted at the end) ---
pkill -f -- "--blobPort $tls_port" 2>/dev/null && sleep 1 # one a failed bench run left behind
tls="$work/azurite-tls"; rm -rf "$tls"; mkdir -p "$tls/data"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/key.pem" -out "$tls/cert.pem" -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
setsid nohup "$root/.tools/azurite/node_modules/.bin/azurite-blob" --silent --skipApiVersionCheck --loose --blobHost 127.0.0.1 \
  --blobPort "$tls_port" --location "$tls/data" --cert "$tls/cert.pem" --key "$tls/key.pem" >"$tls/azurite.log" 2>&1 </dev/null &
tls_pid=$!
bench_pg_cleanup() { # on every exit: the bench's clusters and Azurite stop (the clusters' data stays for the next run)
  # The clusters first, while their WAL archive (this Azurite) is there: a shutdown waits for the archiver, and
  # -m immediate when that does not end.
  for db in $datasets; do
    [ -f "$base/$db/postmaster.pid" ] || continue
    as_postgres "$pgbin/pg_ctl" -D "$base/$db" -w -t 30 -m fast stop >/dev/null 2>&1 \
      || as_postgres "$pgbin/pg_ctl" -D "$base/$db" -w -t 30 -m immediate stop >/dev/null 2>&1 || true
  done
  kill "$tls_pid" 2>/dev/null || true
  wait "$tls_pid" 2>/dev/null || true # it writes until it has exited
  rm -rf "$tls" || true
}
trap bench_pg_cleanup EXIT
for _ in $(seq 1 40); do curl -sk -o /dev/null "https://127.0.0.1:$tls_port/" && break; sleep 0.25; done
# .NET trusts the bench's self-signed certificate through OpenSSL's SSL_CERT_FILE (our side only).
export SSL_CERT_FILE="$tls/cert.pem"
BENCH_STORAGE="$tls_storage" BENCH_CONTAINER=pgbackrest "$benchtool" create-container >/dev/null # pgBackRest does not create its container

# --- a cluster per data set, and pgBackRest's configuration for them ---
pgbr_conf="$base/pgbackrest.conf"
{
  echo "[global]"
  echo "repo1-type=azure"; echo "repo1-azure-account=devstoreaccount1"; echo "repo1-azure-key=$dev_key"
  echo "repo1-azure-container=pgbackrest"; echo "repo1-storage-host=127.0.0.1"; echo "repo1-storage-port=$tls_port"
  echo "repo1-azure-uri-style=path"; echo "repo1-storage-verify-tls=n"; echo "repo1-path=/repo"; echo "repo1-retention-full=100"
  echo "compress-type=zst"; echo "compress-level=1"; echo "process-max=2"; echo "start-fast=y"
  echo "log-level-console=warn"; echo "log-level-file=off"; echo "lock-path=$base/lock"; echo "spool-path=$base/spool"
  k=0
  for db in $datasets; do
    k=$((k + 1))
    echo "[$db]"; echo "pg1-path=$base/$db"; echo "pg1-port=$((5440 + k))"; echo "pg1-socket-path=$base"; echo "pg1-user=$PGUSER"
  done
} > "$pgbr_conf"
chown postgres "$pgbr_conf"; chmod 600 "$pgbr_conf"
pgbr() { as_postgres pgbackrest --config="$pgbr_conf" "$@"; }
if [ "$(id -u)" = 0 ]; then pgbr_as=(runuser -u postgres --); else pgbr_as=(); fi

k=0
for db in $datasets; do
  k=$((k + 1)); port=$((5440 + k)); dir="$base/$db"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_postgres "$pgbin/initdb" -D "$dir" -U "$PGUSER" --auth=trust --encoding=UTF8 --locale=C >/dev/null
    { echo "port = $port"; echo "listen_addresses = '127.0.0.1'"; echo "unix_socket_directories = '$base'"
      echo "wal_level = replica"; echo "archive_mode = on"
      echo "archive_command = 'pgbackrest --config=$pgbr_conf --stanza=$db archive-push %p'"; echo "max_wal_size = 1GB"; } >> "$dir/postgresql.conf"
    fresh=1
  else
    fresh=0
  fi
  as_postgres "$pgbin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 120 status >/dev/null 2>&1 \
    || as_postgres "$pgbin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 120 start >/dev/null
  pgbr --stanza="$db" stanza-create >/dev/null 2>&1 || true # a new repository each run; the archive needs the stanza
  if [ "$fresh" = 1 ] || [ "$(psql -h 127.0.0.1 -p "$port" -d "$db" -Atc 'SELECT 1' 2>/dev/null)" != 1 ]; then
    echo "bench: copying $db into its own cluster on port $port (once, then reused)"
    psql -h 127.0.0.1 -p "$port" -d postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    pg_dump -d "$db" -Fc -Z0 | pg_restore -h 127.0.0.1 -p "$port" -d "$db" --no-owner
    psql -h 127.0.0.1 -p "$port" -d "$db" -qc "VACUUM ANALYZE" -c "CHECKPOINT"
  fi
  pgbr --stanza="$db" stanza-create >/dev/null
done

# our side: one config over the bench clusters, to the HTTPS Azurite; restores go to the main server
pg_conf="$work/config-pg.json"
{
  echo "{ \"Backup\": { \"Storage\": { \"Connection\": \"$tls_storage\", \"Container\": \"$container\" }, \"Targets\": {"
  k=0; sep=""
  for db in $datasets; do
    k=$((k + 1))
    printf '%s "%s": { "Engine": "postgres", "Connection": "Host=127.0.0.1;Port=%s;Username=%s;Password=%s;Database=%s" },\n' \
      "$sep" "${db//_/-}" "$((5440 + k))" "$PGUSER" "$PGPASSWORD" "$db"
    printf '  "restore-%s": { "Engine": "postgres", "Connection": "Host=127.0.0.1;Port=%s;Username=%s;Password=%s;Database=bench_restore_ours" }' \
      "${db//_/-}" "$PGPORT" "$PGUSER" "$PGPASSWORD"
    sep=","
  done
  echo " } } }"
} > "$pg_conf"

drain_archive() { # every WAL segment so far archived: pgBackRest's timing starts with an empty archive queue
  local port=$1 wal
  wal=$(psql -h 127.0.0.1 -p "$port" -d postgres -Atc "SELECT pg_walfile_name(pg_current_wal_lsn())")
  psql -h 127.0.0.1 -p "$port" -d postgres -qAtc "SELECT pg_switch_wal()" >/dev/null
  for _ in $(seq 1 240); do
    [ "$(psql -h 127.0.0.1 -p "$port" -d postgres -Atc "SELECT coalesce(last_archived_wal >= '$wal', false) FROM pg_stat_archiver")" = t ] && return
    sleep 0.25
  done
  echo "bench: WAL archive of port $port did not drain in 60 s" >&2; exit 1
}
over_cores() { # CPU seconds summed and spread over every core: the least wall time that much work can take here
  awk -v n="$(nproc)" 'BEGIN { for (i = 1; i < ARGC; i++) t += ARGV[i]; printf "%.2f", t / n; exit }' "$@"
}
last() { grep -o "$1=[0-9A-Za-z._-]*" "$work/stdout" | tail -1 | cut -d= -f2; }

for db in $datasets; do
  pg_dump -d "$db" -Fc -Z0 -f "$work/$db.dump" # P's input: the same dump, from a local file
done
export RESTIC_PASSWORD=bench-only-not-a-secret
for i in $(seq 1 "$runs"); do
  k=0
  for db in $datasets; do
    k=$((k + 1)); port=$((5440 + k)); src=(-h 127.0.0.1 -p "$port" -d "$db")
    timed "a_$db" sh -c "pg_dump ${src[*]} -Fc -Z0 > /dev/null"
    timed "z_$db" sh -c "pg_dump ${src[*]} -Fc -Z0 | zstd -q -1 -T2 > /dev/null"
    timed "b_$db" "$benchtool" backup-only "$pg_conf" "${db//_/-}"
    id=$(last id); last stored >> "$out/b_stored_$db"; last raw >> "$out/b_raw_$db"; last own_cpu >> "$out/b_own_$db"
    drain_archive "$port"
    timed "p_$db" "${pgbr_as[@]}" pgbackrest --config="$pgbr_conf" --stanza="$db" --type=full backup
    pgbr --stanza="$db" info --output=json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["backup"][-1]["info"]["repository"]["delta"])' \
      >> "$out/p_stored_$db" # the last backup's bytes in the repository
    restic -q -r "$work/restic-$db" init --repository-version 2 >/dev/null
    timed "r_$db" sh -c "pg_dump ${src[*]} -Fc -Z0 | restic -q -r '$work/restic-$db' backup --stdin --stdin-filename $db.dump"
    du -sb "$work/restic-$db" | cut -f1 >> "$out/r_stored_$db"; rm -rf "$work/restic-$db"
    timed "d_$db" sh -c "pg_dump ${src[*]} -Fc -Z0 | '$benchtool' pipeline-null zstd"
    timed "u_$db" env BENCH_STORAGE="$tls_storage" "$benchtool" upload-only "$(tail -1 "$out/b_stored_$db")"
    timed "v_$db" "$benchtool" verify-only "$pg_conf" "$id"
    timed "s_$db" "$benchtool" download-sha "$pg_conf" "$id"
    psql -d postgres -qc "DROP DATABASE IF EXISTS bench_restore_ours" -c "DROP DATABASE IF EXISTS bench_restore_peer"
    timed "R_$db" "$benchtool" restore-only "$pg_conf" "$id" "restore-${db//_/-}"
    psql -d postgres -qc "CREATE DATABASE bench_restore_peer"
    timed "P_$db" pg_restore -d bench_restore_peer --no-owner "$work/$db.dump"
    psql -d postgres -qc "DROP DATABASE IF EXISTS bench_restore_ours" -c "DROP DATABASE IF EXISTS bench_restore_peer"
    echo "bench: $db run $i/$runs: dump $(tail -1 "$out/a_$db" | cut -d' ' -f1) s, ours $(tail -1 "$out/b_$db" | cut -d' ' -f1) s, pgBackRest $(tail -1 "$out/p_$db" | cut -d' ' -f1) s, restic $(tail -1 "$out/r_$db" | cut -d' ' -f1) s, restore $(tail -1 "$out/R_$db" | cut -d' ' -f1) s vs pg_restore $(tail -1 "$out/P_$db" | cut -d' ' -f1) s"
  done
done
for db in $datasets; do rm -f "$work/$db.dump"; done

mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
{
echo "== PostgreSQL: ours and the peers, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, medians of $runs interleaved runs =="
echo "store: one Azurite over HTTPS for pgBackRest and us alike; CPU seconds: the command's own processes (ours: the .NET process,"
echo "and pg_dump as its child), Azurite's, and every PostgreSQL server process's (pgBackRest's archive-push runs there too)"
for db in $datasets; do
  a=$(median "a_$db"); z=$(median "z_$db"); b=$(median "b_$db"); p=$(median "p_$db"); r=$(median "r_$db")
  d=$(median "d_$db"); u=$(median "u_$db"); v=$(median "v_$db"); s=$(median "s_$db"); R=$(median "R_$db"); P=$(median "P_$db")
  own=$(median "b_own_$db"); tot=$(median_col "b_$db" 3)
  echo "-- $db: pg_dump -Fc -Z0 = $(mb "$(median "b_raw_$db")") MB"
  printf '  %-52s %7s s   CPU: %s s; Azurite %s s; server %s s\n' "a  pg_dump -Fc -Z0 > /dev/null" "$a" "$(median_col "a_$db" 3)" "$(median_col "a_$db" 4)" "$(median_col "a_$db" 5)"
  printf '  %-52s %7s s   CPU: %s s\n' "z  pg_dump | zstd -1 -T2 > /dev/null" "$z" "$(median_col "z_$db" 3)"
  printf '  %-52s %7s s   CPU: ours %s s + pg_dump %s s; Azurite %s s; server %s s; stored %s MB; peak RSS %s MiB\n' \
    "b  ours: backup stage -> Azurite (zstd 1)" "$b" "$own" "$(awk -v t="$tot" -v o="$own" 'BEGIN { printf "%.2f", t - o }')" \
    "$(median_col "b_$db" 4)" "$(median_col "b_$db" 5)" "$(mb "$(median "b_stored_$db")")" "$(max_rss_mb "b_$db")"
  printf '  %-52s %7s s   CPU: %s s; Azurite %s s; server %s s; stored %s MB\n' "p  pgBackRest full backup -> Azurite (zst 1, 2 proc)" "$p" \
    "$(median_col "p_$db" 3)" "$(median_col "p_$db" 4)" "$(median_col "p_$db" 5)" "$(mb "$(median "p_stored_$db")")"
  printf '  %-52s %7s s   CPU: %s s; repository %s MB\n' "r  pg_dump | restic backup --stdin (first run)" "$r" "$(median_col "r_$db" 3)" "$(mb "$(median "r_stored_$db")")"
  printf '  %-52s %7s s   CPU: %s s\n' "d  stage: pg_dump | hash+zstd+hash, no upload" "$d" "$(median_col "d_$db" 3)"
  printf '  %-52s %7s s   CPU: %s s; Azurite %s s\n' "u  stage: upload alone of the stored size" "$u" "$(median_col "u_$db" 3)" "$(median_col "u_$db" 4)"
  printf '  %-52s %7s s   CPU: %s s; Azurite %s s\n' "v  ours: verify" "$v" "$(median_col "v_$db" 3)" "$(median_col "v_$db" 4)"
  printf '  %-52s %7s s   CPU: %s s; Azurite %s s\n' "s  download + SHA-256 of the same blob" "$s" "$(median_col "s_$db" 3)" "$(median_col "s_$db" 4)"
  printf '  %-52s %7s s   CPU: %s s; server %s s; peak RSS %s MiB\n' "R  ours: restore stage into a new database" "$R" "$(median_col "R_$db" 3)" "$(median_col "R_$db" 5)" "$(max_rss_mb "R_$db")"
  printf '  %-52s %7s s   CPU: %s s; server %s s\n' "P  pg_restore of the same dump from a local file" "$P" "$(median_col "P_$db" 3)" "$(median_col "P_$db" 5)"
  bound=$(awk -v a="$a" -v d="$d" -v u="$u" 'BEGIN { if (u >= d) print "upload (u)"; else if (d > a * 1.1) print "hash+compress (d)"; else print "the dump (a)" }')
  floor=$(over_cores "$tot" "$(median_col "b_$db" 4)" "$(median_col "b_$db" 5)")
  # Verify does more work than the plain download (it decompresses and hashes the raw dump too): the CPU of
  # everything running during each, spread over every core, is the least wall time either could take here.
  vfloor=$(over_cores "$(median_col "v_$db" 3)" "$(median_col "v_$db" 4)")
  sfloor=$(over_cores "$(median_col "s_$db" 3)" "$(median_col "s_$db" 4)")
  echo "  ratios:"
  echo "    b/p = $(ratio "$b" "$p")  ours / pgBackRest (goal < 1.0, aim 0.8)"
  echo "    b/z = $(ratio "$b" "$z")  ours / pg_dump|zstd (goal <= 1.5)"
  echo "    b/r = $(ratio "$b" "$r")  ours / restic"
  echo "    R/P = $(ratio "$R" "$P")  restore / pg_restore (goal <= 1.15)"
  echo "    v/s = $(ratio "$v" "$s")  verify / download+SHA-256 (goal <= 1.1)"
  echo "    bound of v: its CPU and Azurite's over $(nproc) cores = $vfloor s (s: $sfloor s): at this CPU, v/s >= $(ratio "$vfloor" "$s") here"
  echo "    bound of b: $bound; b / (all CPU during b / $(nproc) cores) = $(ratio "$b" "$floor") (1.00 = every core busy all the time)"
done
} | tee -a "$out/summary.txt"

# --- 3 GB: peak RSS of the backup stage (main server, HTTP Azurite) ---
if [ "$big" = 1 ]; then
  timed a3_dump sh -c 'pg_dump -d bench_3g -Fc -Z0 > /dev/null'
  timed b3_backupfn "$benchtool" backup-only "$work/config.json" bench-3g
  echo "3 GB (bench_3g): pg_dump -Fc -Z0 $(median a3_dump) s; backup stage $(median b3_backupfn) s, peak RSS $(max_rss_mb b3_backupfn) MiB (goal < 256 MiB at 1 GB and 3 GB)" \
    | tee -a "$out/summary.txt"
fi

# --- 12 targets at MaxParallelTargets 4 vs three times one (whole `backupfn backup`: backup, verify, restore test, prune) ---
if [ "$parallel" = 1 ]; then
if [ "$(psql -d bench_par_src -Atc 'SELECT count(*) >= 85000 FROM events' 2>/dev/null)" != t ]; then
  echo "bench: generating bench_par_src (~30 MB dump; once, then reused)"
  psql -d postgres -qc "DROP DATABASE IF EXISTS bench_par_src" -c "CREATE DATABASE bench_par_src"
  psql -d bench_par_src -q -v rows=85000 -v ON_ERROR_STOP=1 -f "$root/scripts/bench-data.sql"
fi
par_hub="benchpar$(date -u +%Y%m%d%H%M%S)"
{
  echo "{ \"Backup\": { \"Storage\": { \"Connection\": \"UseDevelopmentStorage=true\", \"Container\": \"$container-par\" }, \"MaxParallelTargets\": 4,"
  echo "  \"Local\": { \"TaskHub\": { \"Name\": \"$par_hub\" } }, \"Targets\": {"
  for n in $(seq -w 1 12); do
    psql -d postgres -qc "DROP DATABASE IF EXISTS bench_par_$n" -c "CREATE DATABASE bench_par_$n TEMPLATE bench_par_src"
    printf '  "par%s": { "Engine": "postgres", "Connection": "Host=127.0.0.1;Port=%s;Username=%s;Password=%s;Database=bench_par_%s" }%s\n' \
      "$n" "$PGPORT" "$PGUSER" "$PGPASSWORD" "$n" "$([ "$n" = 12 ] || echo ,)"
  done
  echo "} } }"
} > "$work/config-par.json"
"$backupfn" backup --config "$work/config-par.json" --target par01 >/dev/null 2>&1 || true # warm-up: the hub is created
for i in $(seq 1 "$runs"); do
  timed par_one "$backupfn" backup --config "$work/config-par.json" --target par01
  timed par_twelve "$backupfn" backup --config "$work/config-par.json"
  echo "bench: parallel run $i/$runs: one target $(tail -1 "$out/par_one" | cut -d' ' -f1) s, twelve $(tail -1 "$out/par_twelve" | cut -d' ' -f1) s"
done
one=$(median par_one); twelve=$(median par_twelve)
{
echo "12 targets (~30 MB dumps) at MaxParallelTargets 4: $twelve s (CPU $(median_col par_twelve 3) s, Azurite $(median_col par_twelve 4) s, server $(median_col par_twelve 5) s);" \
  "one target $one s; twelve / (3 x one) = $(awk -v t="$twelve" -v o="$one" 'BEGIN { printf "%.2f", t / (3 * o) }') (goal <= 1.25)"
} | tee -a "$out/summary.txt"
for n in $(seq -w 1 12); do psql -d postgres -qc "DROP DATABASE IF EXISTS bench_par_$n"; done
drop_scratch "$par_hub" "$container-par"
fi

bench_pg_cleanup; trap - EXIT
