#!/usr/bin/env bash
# One command for a new user: sets up PostgreSQL, Redis and Azurite, seeds a sample shop database and a
# Redis session cache, then
# runs backup -> list -> verify -> restore-test -> prune --dry-run with backupfn and prints each result.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/env.sh"

bash "$root/scripts/setup.sh"
echo "demo: building backupfn"
dotnet build functions/BackupFunctions.Local -c Release --nologo -v quiet >/dev/null
backupfn="$root/functions/BackupFunctions.Local/bin/Release/net10.0/backupfn"

export PGHOST=127.0.0.1 PGPORT="$BACKUPFN_PG_PORT" PGUSER="$BACKUPFN_PG_USER" PGPASSWORD="$BACKUPFN_PG_PASSWORD"
echo "demo: seeding the sample database 'demo_shop'"
psql -d postgres -qc "DROP DATABASE IF EXISTS demo_shop WITH (FORCE)" -c "CREATE DATABASE demo_shop"
psql -d demo_shop -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'delivered');
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, country text, profile jsonb);
CREATE TABLE products (sku text PRIMARY KEY, title text, price numeric(10, 2), photo bytea);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer int REFERENCES customers, sku text REFERENCES products,
                     qty int, status order_status, placed timestamptz);
INSERT INTO customers (name, email, country, profile)
SELECT 'Customer ' || g, 'c' || g || '@example.com', (ARRAY['DE', 'FR', 'US', 'JP', 'BR'])[1 + g % 5],
       jsonb_build_object('tier', (ARRAY['free', 'pro'])[1 + g % 2], 'since', 2015 + g % 10)
FROM generate_series(1, 5000) g;
INSERT INTO products SELECT 'SKU-' || g, 'Product nº ' || g, (g % 200) + 0.99, decode(md5(g::text), 'hex') FROM generate_series(1, 300) g;
INSERT INTO orders (customer, sku, qty, status, placed)
SELECT 1 + g % 5000, 'SKU-' || (1 + g % 300), 1 + g % 4, (ARRAY['new', 'paid', 'shipped', 'delivered']::order_status[])[1 + g % 4],
       timestamptz '2026-01-01' + g * interval '7 minutes'
FROM generate_series(1, 40000) g;
CREATE VIEW revenue_by_country AS
  SELECT c.country, sum(o.qty * p.price) AS revenue FROM orders o JOIN customers c ON c.id = o.customer JOIN products p ON p.sku = o.sku GROUP BY 1;
SQL

echo "demo: seeding Redis db 0 on port $BACKUPFN_REDIS_PORT with sessions and a leaderboard"
redis-cli -p "$BACKUPFN_REDIS_PORT" -n 0 FLUSHDB >/dev/null
redis-cli -p "$BACKUPFN_REDIS_PORT" -n 8 FLUSHDB >/dev/null
{
  for i in $(seq 1 2000); do
    echo "HSET session:$i user u$((i % 300)) cart $((i % 7)) agent demo"
    echo "EXPIRE session:$i 86400"
    echo "ZADD leaderboard $((i * 37 % 1000)) player:$i"
  done
  echo "XADD events * kind login user u1"
  echo "SET config:banner \"Welcome back ✓\""
} | redis-cli -p "$BACKUPFN_REDIS_PORT" -n 0 >/dev/null

config="$root/.tools/demo/backupfn.json"
mkdir -p "$(dirname "$config")"
cat > "$config" <<JSON
{
  "Backup": {
    "Storage": { "Connection": "UseDevelopmentStorage=true", "Container": "demo-backups",
                 "Immutability": { "Mode": "BestEffort", "MinRetentionDays": 7 } },
    "Targets": {
      "shop": {
        "Engine": "postgres",
        "Connection": "Host=127.0.0.1;Port=$BACKUPFN_PG_PORT;Username=$BACKUPFN_PG_USER;Password=$BACKUPFN_PG_PASSWORD;Database=demo_shop",
        "Retention": { "KeepLast": 3, "KeepDaily": 7, "KeepWeekly": 4, "KeepMonthly": 12 }
      },
      "sessions": {
        "Engine": "redis",
        "Connection": "127.0.0.1:$BACKUPFN_REDIS_PORT",
        "RestoreTest": { "Connection": "127.0.0.1:$BACKUPFN_REDIS_PORT,defaultDatabase=8" },
        "Retention": { "KeepLast": 3, "KeepDaily": 7 }
      }
    }
  }
}
JSON

step() { printf '\n\033[1m$ backupfn %s\033[0m\n' "$*"; "$backupfn" "$@" --config "$config"; }
step backup
step list
step verify --target shop --latest
step verify --target sessions --latest
step restore-test --target sessions --latest
step restore-test --target shop --latest
step prune --dry-run
step status
printf '\ndemo: done. The config is %s; the blobs are in Azurite container demo-backups.\n' "${config#"$root/"}"
