#!/usr/bin/env bash
# Benchmarks of the backup pipeline, measured side by side in one run (medians of --runs,
# interleaved so machine noise hits every variant alike).
# PostgreSQL (scripts/bench-pg.sh): our backup stage, verify and restore side by side with pgBackRest's full backup to
#   the same (HTTPS) Azurite, `pg_dump | restic backup --stdin`, `pg_dump | zstd -1 -T2` and pg_restore, on two ~1 GB data
#   sets (bench_1g, realistic; bench_noise_1g, random-looking), each in a cluster of its own; the stages that bound ours;
#   CPU seconds of every process; peak RSS at 1 GB and 3 GB; 12 targets at MaxParallelTargets 4 against 3 x one.
# Redis (a bench-only redis-server on port 6391 with 1M keys of mixed types):
#   (a) redis-cli --rdb /dev/null                         what redis-cli does
#   (b) the backup stage, replication strategy, to Azurite (peak RSS too)
#   (b0) our replication dump alone (SYNC + RDB walk), into nothing: the same work as (a)
# Engine (the fixed cost of a one-target `backupfn backup` on a tiny PostgreSQL table):
#   old: the in-process engine of commit 87dd7fb, built once in a detached worktree .tools/bench-baseline
#   new: this tree's Durable Task engine (DurableTask.Core worker over Azure Storage/Azurite) on a task
#        hub made for this bench run (deleted at the end); its `engine timing:` line (--verbose) gives
#        ready_ms (hub + worker), first_activity_ms (scheduled -> first activity) and stop_ms (worker stop)
#   one warm-up run of each first (reported as the first run on a new hub), then interleaved rounds
#   (max(--runs, 5)); goal: ready + first activity + stop <= 1.5 s (medians); new - old wall time shown too.
# Codecs (--only-codecs, or with the PostgreSQL part): each data set dumped once to a file (pg_dump -Fc -Z0), then
#   SHA-256 + one codec variant into nothing, interleaved: brotli q1, gzip fastest, zstd levels 1-3, zstd 1 on 2 threads;
#   on bench_1g (mixed, realistic) and bench_noise_1g (random-looking: scripts/bench-noise.sql). Time, MB/s, CPU, ratio.
# Usage: scripts/bench.sh [--runs N] [--no-3g] [--skip-parallel] [--skip-pg] [--skip-redis] [--skip-engine] [--only-engine] [--only-codecs]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/env.sh"
runs=3; big=1; pg=1; redis=1; engine=1; codecs=1; parallel=1
usage="usage: scripts/bench.sh [--runs N] [--no-3g] [--skip-parallel] [--skip-pg] [--skip-redis] [--skip-engine] [--only-engine] [--only-codecs]"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "$usage" >&2; exit 2; }; runs="$2"; shift 2 ;;
    --no-3g) big=0; shift ;;
    --skip-parallel) parallel=0; shift ;;
    --skip-pg) pg=0; shift ;;
    --skip-redis) redis=0; shift ;;
    --skip-engine) engine=0; shift ;;
    --only-engine) pg=0; redis=0; engine=1; codecs=0; shift ;;
    --only-codecs) pg=0; redis=0; engine=0; codecs=1; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

bash "$root/scripts/setup.sh" >/dev/null
dotnet build functions/BackupFunctions.Local -c Release --nologo -v quiet >/dev/null
if [ "$pg" = 1 ] || [ "$redis" = 1 ] || [ "$codecs" = 1 ]; then
  dotnet build tests/BackupFunctions.Bench -c Release --nologo -v quiet >/dev/null
fi
backupfn="$root/functions/BackupFunctions.Local/bin/Release/net10.0/backupfn"
benchtool="$root/tests/BackupFunctions.Bench/bin/Release/net10.0/backupfn-bench"
export PGHOST=127.0.0.1 PGPORT="$BACKUPFN_PG_PORT" PGUSER="$BACKUPFN_PG_USER" PGPASSWORD="$BACKUPFN_PG_PASSWORD"
out="$root/bench-results/$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$out"
work="$root/.tools/bench-tmp"; mkdir -p "$work"
container="bench-$(date -u +%Y%m%d%H%M%S)"
export BENCH_CONTAINER="$container"

ensure_db() { # name rows
  local have
  have=$(psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")
  if [ "$have" = 1 ] && [ "$(psql -d "$1" -Atc "SELECT count(*) >= $2 FROM events" 2>/dev/null)" = t ]; then return; fi
  echo "bench: generating $1 ($2 event rows; takes minutes once, then reused)"
  psql -d postgres -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
  psql -d "$1" -q -v rows="$2" -v ON_ERROR_STOP=1 -f "$root/scripts/bench-data.sql"
}
if [ "$pg" = 1 ] || [ "$codecs" = 1 ]; then
  ensure_db bench_1g 1700000
fi
if [ "$pg" = 1 ] && [ "$big" = 1 ]; then
  ensure_db bench_3g 5200000
fi
if [ "$codecs" = 1 ] && [ "$(psql -d bench_noise_1g -Atc "SELECT count(*) >= 3000000 FROM noise" 2>/dev/null)" != t ]; then
  echo "bench: generating bench_noise_1g (3 M random-looking rows; takes minutes once, then reused)"
  psql -d postgres -qc "DROP DATABASE IF EXISTS bench_noise_1g" -c "CREATE DATABASE bench_noise_1g"
  psql -d bench_noise_1g -q -v rows=3000000 -v ON_ERROR_STOP=1 -f "$root/scripts/bench-noise.sql"
fi
redis_port=6391

cat > "$work/config.json" <<JSON
{ "Backup": { "Storage": { "Connection": "UseDevelopmentStorage=true", "Container": "$container" },
  "Targets": {
    "bench-1g": { "Engine": "postgres", "Connection": "Host=127.0.0.1;Port=$BACKUPFN_PG_PORT;Username=$BACKUPFN_PG_USER;Password=$BACKUPFN_PG_PASSWORD;Database=bench_1g" },
    "bench-3g": { "Engine": "postgres", "Connection": "Host=127.0.0.1;Port=$BACKUPFN_PG_PORT;Username=$BACKUPFN_PG_USER;Password=$BACKUPFN_PG_PASSWORD;Database=bench_3g" },
    "bench-redis": { "Engine": "redis", "Strategy": "replication", "Connection": "127.0.0.1:$redis_port" } } } }
JSON

# CPU seconds used so far by every Azurite (the main one, and bench-pg.sh's HTTPS one while it runs: one of them
# is idle at a time) and by all PostgreSQL server processes (/proc, clock ticks).
tck=$(getconf CLK_TCK)
proc_cpu() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat"))); done; echo "$t"; }
azurite_cpu() { proc_cpu $(pgrep -f 'azurite' || true); }
postgres_cpu() { proc_cpu $(pgrep -u postgres || true); }

# timed LABEL CMD...: appends "seconds peak_rss_kb cpu_user+sys azurite_cpu postgres_cpu" of CMD to $out/LABEL
timed() {
  local label="$1"; shift
  local az0 pg0
  az0=$(azurite_cpu); pg0=$(postgres_cpu)
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" \
    || { echo "bench: $label failed:"; cat "$work/stderr"; exit 1; }
  read -r wall rss user sys < "$work/time"
  echo "$wall $rss $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') \
$(awk -v a="$(azurite_cpu)" -v b="$az0" -v t="$tck" 'BEGIN { printf "%.2f", (a - b) / t }') \
$(awk -v a="$(postgres_cpu)" -v b="$pg0" -v t="$tck" 'BEGIN { printf "%.2f", (a - b) / t }')" >> "$out/$label"
}
median_col() { awk -v c="$2" '{ print $c }' "$out/$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
median() { sort -n "$out/$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max_rss_mb() { awk '{ if ($2 > m) m = $2 } END { printf "%.0f", m / 1024 }' "$out/$1"; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", x / y }'; }

# drop_scratch HUB CONTAINER...: the given containers and the task hub's tables, queues and lease containers on Azurite.
drop_scratch() {
  local hub="$1"; shift
  azurite_sas() { # an account SAS for Azurite's well-known dev account (all services), valid 2 hours
    local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    local se sv=2021-08-06 sig
    se=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%MZ)
    sig=$(printf 'devstoreaccount1\nrwdlacup\nbqt\nsco\n\n%s\n\nhttp\n%s\n\n' "$se" "$sv" \
      | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(printf %s "$key" | base64 -d | xxd -p -c 256)" -binary | base64 -w0)
    printf 'sv=%s&ss=bqt&srt=sco&sp=rwdlacup&se=%s&spr=http&sig=%s' "$sv" "$se" "$(printf %s "$sig" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g')"
  }
  local sas blob queue table c q t
  sas=$(azurite_sas)
  blob="http://127.0.0.1:$BACKUPFN_AZURITE_BLOB_PORT/devstoreaccount1"
  queue="http://127.0.0.1:$BACKUPFN_AZURITE_QUEUE_PORT/devstoreaccount1"
  table="http://127.0.0.1:$BACKUPFN_AZURITE_TABLE_PORT/devstoreaccount1"
  for c in "$@" $(curl -s "$blob?comp=list&prefix=$hub&$sas" | grep -o '<Name>[^<]*</Name>' | sed 's/<[^>]*>//g'); do
    curl -s -o /dev/null -X PUT -H 'x-ms-lease-action: break' -H 'x-ms-lease-break-period: 0' -H 'Content-Length: 0' "$blob/$c?restype=container&comp=lease&$sas" || true
    curl -s -o /dev/null -X DELETE "$blob/$c?restype=container&$sas" || true
  done
  for q in $(curl -s "$queue?comp=list&prefix=$hub&$sas" | grep -o '<Name>[^<]*</Name>' | sed 's/<[^>]*>//g'); do
    curl -s -o /dev/null -X DELETE "$queue/$q?$sas" || true
  done
  for t in $(curl -s -H 'Accept: application/json;odata=nometadata' "$table/Tables?$sas" | grep -o '"TableName":"[^"]*"' | cut -d'"' -f4 | grep -i "^$hub" || true); do
    curl -s -o /dev/null -X DELETE -H 'Accept: application/json;odata=nometadata' "$table/Tables('$t')?$sas" || true
  done
}

if [ "$pg" = 1 ]; then
  source "$root/scripts/bench-pg.sh"
fi

if [ "$redis" = 1 ]; then
  mkdir -p "$work/redis"
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly no \
      --repl-diskless-sync-delay 0 --daemonize yes --logfile "$work/redis/redis.log" >/dev/null
    for _ in $(seq 1 40); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.25; done
  fi
  if [ "$(redis-cli -p "$redis_port" dbsize)" -lt 1000000 ]; then
    echo "bench: loading 1M Redis keys of mixed types (60% strings, 10% each hash, list, set, zset; 2% with TTLs)"
    redis-cli -p "$redis_port" flushall >/dev/null
    awk 'BEGIN { srand(42); for (i = 0; i < 1000000; i++) { t = i % 10; v = sprintf("%08x-%s", int(rand() * 4294967295), "session_payload_for_user_" i "_with_some_text");
      if (t < 6) printf "SET str:%d %s\r\n", i, v;
      else if (t == 6) printf "HSET hash:%d name user%d email u%d@example.com visits %d\r\n", i, i, i, i % 977;
      else if (t == 7) printf "RPUSH list:%d %s a%d b%d c%d\r\n", i, v, i, i, i;
      else if (t == 8) printf "SADD set:%d m%d n%d o%d\r\n", i, i, i % 13, i % 17;
      else printf "ZADD zset:%d %d alice %d bob %d carol\r\n", i, i % 100, i % 51, i % 7;
      if (i % 50 == 0) printf "EXPIRE %s:%d 604800\r\n", (t < 6 ? "str" : t == 6 ? "hash" : t == 7 ? "list" : t == 8 ? "set" : "zset"), i } }' \
      | redis-cli -p "$redis_port" --pipe >/dev/null
  fi
  echo "bench: Redis $(redis-cli -p "$redis_port" dbsize) keys, used_memory $(redis-cli -p "$redis_port" info memory | grep '^used_memory:' | cut -d: -f2 | tr -d '\r')"
  for i in $(seq 1 "$runs"); do
    # redis-cli then fails to fsync /dev/null (exit 1) after a successful transfer: judge by its message.
    timed ra_cli sh -c "redis-cli -p $redis_port --rdb /dev/null 2>&1 | grep -q 'Transfer finished with success'"
    timed rb_backupfn "$benchtool" backup-only "$work/config.json" bench-redis
    grep -o 'raw=[0-9]*' "$work/stdout" | cut -d= -f2 >> "$out/rb_raw"
    grep -o 'stored=[0-9]*' "$work/stdout" | cut -d= -f2 >> "$out/rb_stored"
    timed rb0_dump "$benchtool" redis-dump-null "127.0.0.1:$redis_port"
    grep -o 'seconds=[0-9.]*' "$work/stdout" | cut -d= -f2 >> "$out/rb0_inprocess"
    echo "bench: redis run $i/$runs done"
  done
  ra=$(median ra_cli); rb=$(median rb_backupfn); rb0=$(median rb0_dump)
  {
  echo "== Redis backup benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, medians of $runs =="
  echo "data: 1M keys of mixed types, RDB $(median rb_raw) bytes"
  printf '%-58s %8s s   CPU %s s\n' "(a) redis-cli --rdb /dev/null" "$ra" "$(median_col ra_cli 3)"
  printf '%-58s %8s s   CPU %s s, peak RSS %s MiB; %s s measured inside the process (no .NET start-up)\n' "(b0) our replication dump (SYNC + RDB walk) -> nothing" "$rb0" "$(median_col rb0_dump 3)" "$(max_rss_mb rb0_dump)" "$(median rb0_inprocess)"
  printf '%-58s %8s s   CPU %s s, peak RSS %s MiB\n' "(b) backup stage, replication -> Azurite (stored $(median rb_stored) B)" "$rb" "$(median_col rb_backupfn 3)" "$(max_rss_mb rb_backupfn)"
  echo "ratios:"
  echo "  b0/a = $(ratio "$rb0" "$ra")   (the same work as redis-cli; goal <= 1.1); without .NET start-up $(ratio "$(median rb0_inprocess)" "$ra")"
  echo "  b/a  = $(ratio "$rb" "$ra")   (with SHA-256 x2, the default codec, zstd 1, and the upload; goal <= 1.1)"
  } | tee -a "$out/summary.txt"
fi

if [ "$engine" = 1 ]; then
  baseline_commit=87dd7fb   # the last commit with the old in-process engine
  base="$root/.tools/bench-baseline"
  oldfn="$base/functions/BackupFunctions.Local/bin/Release/net10.0/backupfn"
  if [ ! -x "$oldfn" ] || [ "$(git -C "$base" rev-parse --short=7 HEAD 2>/dev/null)" != "$baseline_commit" ]; then
    echo "bench: building the baseline engine ($baseline_commit) in ${base#"$root/"} (once, then reused)"
    if [ ! -d "$base" ]; then
      git -C "$root" worktree prune
      git -C "$root" worktree add --detach "$base" "$baseline_commit" >/dev/null
    fi
    git -C "$base" checkout -q --detach "$baseline_commit"
    # That commit restores System.IO.Hashing from a local folder feed, packed as its scripts/setup.sh did.
    (cd "$base" && dotnet pack build/SystemIOHashing/SystemIOHashing.csproj -c Release -o .localfeed --nologo -v quiet >/dev/null \
      && dotnet build functions/BackupFunctions.Local -c Release --nologo -v quiet >/dev/null)
    [ -x "$oldfn" ] || { echo "bench: baseline build produced no $oldfn" >&2; exit 1; }
  fi

  # A tiny database: one small table.
  if [ "$(psql -d bench_tiny -Atc "SELECT count(*) FROM items" 2>/dev/null)" != 100 ]; then
    psql -d postgres -qc "DROP DATABASE IF EXISTS bench_tiny" -c "CREATE DATABASE bench_tiny"
    psql -d bench_tiny -q -v ON_ERROR_STOP=1 \
      -c "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, created timestamptz NOT NULL DEFAULT now())" \
      -c "INSERT INTO items (id, name) SELECT g, 'item ' || g FROM generate_series(1, 100) g"
  fi
  # A task hub of its own per bench run, so the warm-up really is the first run on a new hub.
  hub="benchengine$(date -u +%Y%m%d%H%M%S)"
  tiny="Host=127.0.0.1;Port=$BACKUPFN_PG_PORT;Username=$BACKUPFN_PG_USER;Password=$BACKUPFN_PG_PASSWORD;Database=bench_tiny"
  # The old binder ignores unknown keys (ErrorOnUnknownConfiguration = false), but it gets no Local key anyway.
  cat > "$work/engine-old.json" <<JSON
{ "Backup": { "Storage": { "Connection": "UseDevelopmentStorage=true", "Container": "$container-old" },
  "Targets": { "tiny": { "Engine": "postgres", "Connection": "$tiny" } } } }
JSON
  cat > "$work/engine-new.json" <<JSON
{ "Backup": { "Storage": { "Connection": "UseDevelopmentStorage=true", "Container": "$container-new" },
  "Local": { "TaskHub": { "Name": "$hub" } },
  "Targets": { "tiny": { "Engine": "postgres", "Connection": "$tiny" } } } }
JSON
  # engine_line FILE: "ready first stop sum" from the `engine timing:` line of a --verbose run's stderr
  engine_line() {
    local line r f s
    line=$(grep -o 'engine timing: .*' "$1" | tail -1)
    r=$(grep -o 'ready_ms=[0-9]*' <<<"$line" | cut -d= -f2); f=$(grep -o 'first_activity_ms=[0-9]*' <<<"$line" | cut -d= -f2)
    s=$(grep -o 'stop_ms=[0-9]*' <<<"$line" | cut -d= -f2)
    [ -n "$r" ] && [ -n "$f" ] && [ -n "$s" ] || { echo "bench: no usable engine timing line in the new run's stderr: '$line'" >&2; exit 1; }
    echo "$r $f $s $((r + f + s))"
  }
  eruns=$(( runs < 5 ? 5 : runs ))
  echo "bench: engine, one-target backup of bench_tiny: old ($baseline_commit, in-process) vs new (Durable Task, hub $hub); warm-up + $eruns interleaved rounds"
  timed eng_old_first "$oldfn" backup --config "$work/engine-old.json"
  timed eng_new_first "$backupfn" backup --config "$work/engine-new.json" --verbose
  first=$(engine_line "$work/stderr"); read -r fr ff fs fsum <<<"$first"
  for i in $(seq 1 "$eruns"); do
    # alternate which goes first, so a drift in machine load does not favour one side
    if [ $((i % 2)) = 1 ]; then timed eng_old "$oldfn" backup --config "$work/engine-old.json"; fi
    timed eng_new "$backupfn" backup --config "$work/engine-new.json" --verbose
    t=$(engine_line "$work/stderr"); read -r r f s sum <<<"$t"
    echo "$r" >> "$out/eng_ready_ms"; echo "$f" >> "$out/eng_first_activity_ms"; echo "$s" >> "$out/eng_stop_ms"; echo "$sum" >> "$out/eng_sum_ms"
    if [ $((i % 2)) = 0 ]; then timed eng_old "$oldfn" backup --config "$work/engine-old.json"; fi
    # new - old of this round (paired)
    awk -v n="$(tail -1 "$out/eng_new" | cut -d' ' -f1)" -v o="$(tail -1 "$out/eng_old" | cut -d' ' -f1)" 'BEGIN { printf "%.2f\n", n - o }' >> "$out/eng_diff"
    echo "bench: engine round $i/$eruns: old $(tail -1 "$out/eng_old" | cut -d' ' -f1) s, new $(tail -1 "$out/eng_new" | cut -d' ' -f1) s (ready $r + first activity $f + stop $s = $sum ms)"
  done
  eo=$(median eng_old); en=$(median eng_new)
  er=$(median eng_ready_ms); ef=$(median eng_first_activity_ms); es=$(median eng_stop_ms); esum=$(median eng_sum_ms)
  verdict=$(awk -v x="$esum" 'BEGIN { print (x <= 1500) ? "PASS" : "FAIL" }')
  {
  echo "== Engine fixed cost of a one-target backupfn backup, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, medians of $eruns interleaved rounds =="
  echo "data: bench_tiny (one table, 100 rows); backup + verify + restore test + prune, to Azurite; hub $hub"
  printf '%-58s %8s s   CPU %s s, peak RSS %s MiB\n' "old: in-process engine ($baseline_commit)" "$eo" "$(median_col eng_old 3)" "$(max_rss_mb eng_old)"
  printf '%-58s %8s s   CPU %s s, peak RSS %s MiB, Azurite CPU %s s\n' "new: Durable Task engine on Azurite" "$en" "$(median_col eng_new 3)" "$(max_rss_mb eng_new)" "$(median_col eng_new 4)"
  printf '%-58s %8s s   (median of paired rounds %s s)\n' "new - old" "$(awk -v a="$en" -v b="$eo" 'BEGIN { printf "%.2f", a - b }')" "$(median eng_diff)"
  printf '%-58s %8s\n' "new / old" "$(ratio "$en" "$eo")"
  echo "new engine's own timing (ms, medians of each column):"
  printf '  %-56s %8s ms\n' "ready (connect/create hub, start worker)" "$er" "first activity (scheduled -> first activity)" "$ef" "stop (worker stop)" "$es"
  printf '  %-56s %8s ms   (goal <= 1500: %s)\n' "engine fixed cost (median of per-run sums)" "$esum" "$verdict"
  printf '  %-56s %8s ms\n' "second view: new - old wall time" "$(awk -v a="$en" -v b="$eo" 'BEGIN { printf "%.0f", (a - b) * 1000 }')"
  echo "first run on a new hub (the warm-up, not in the medians): old $(cut -d' ' -f1 "$out/eng_old_first") s, new $(cut -d' ' -f1 "$out/eng_new_first") s; ready $fr + first activity $ff + stop $fs = $fsum ms"
  } | tee -a "$out/summary.txt"

  drop_scratch "$hub" "$container-old" "$container-new"
fi

if [ "$codecs" = 1 ]; then
variants="brotli gzip zstd-1 zstd-2 zstd-3 zstd-1-mt2"
for db in bench_1g bench_noise_1g; do
  pg_dump -d "$db" -Fc -Z0 -f "$work/$db.dump"
  cat "$work/$db.dump" > /dev/null # into the page cache: every variant reads it from memory
  for i in $(seq 1 "$runs"); do
    for v in $variants; do
      timed "codec_${db}_$v" sh -c "'$benchtool' codec $v < '$work/$db.dump'"
      grep -o 'stored=[0-9]*' "$work/stdout" | cut -d= -f2 >> "$out/codec_stored_${db}_$v"
      grep -o 'cpu=[0-9.]*' "$work/stdout" | cut -d= -f2 >> "$out/codec_cpu_${db}_$v"
    done
  done
  echo "bench: codecs on $db done"
done
{
echo "== Codecs, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, medians of $runs (SHA-256 + codec, file in page cache, no upload) =="
for db in bench_1g bench_noise_1g; do
  raw=$(stat -c %s "$work/$db.dump")
  brotli=$(median "codec_${db}_brotli")
  echo "$db: pg_dump -Fc -Z0 = $raw bytes"
  printf '  %-12s %8s %10s %8s %12s %10s\n' variant seconds "MB/s" "cpu s" "stored %" "vs brotli"
  for v in $variants; do
    t=$(median "codec_${db}_$v")
    printf '  %-12s %8s %10s %8s %12s %10s\n' "$v" "$t" "$(awk -v r="$raw" -v t="$t" 'BEGIN { printf "%.0f", r / t / 1e6 }')" \
      "$(median "codec_cpu_${db}_$v")" "$(awk -v s="$(median "codec_stored_${db}_$v")" -v r="$raw" 'BEGIN { printf "%.1f", 100 * s / r }')" "$(ratio "$t" "$brotli")"
  done
done
} | tee "$out/codecs.txt"
rm -f "$work"/bench_1g.dump "$work"/bench_noise_1g.dump
fi

# The bench container is scratch: drop it so Azurite's disk does not grow run after run.
if [ "$pg" = 1 ] || [ "$redis" = 1 ]; then "$benchtool" delete-container >/dev/null 2>&1 || true; fi
echo "bench: results in ${out#"$root/"}/"
