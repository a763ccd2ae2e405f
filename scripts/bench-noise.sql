-- A second benchmark data set that compresses poorly: per row base64 of SHA-256 chains (random-looking
-- text), a jsonb with a hex digest, a numeric, a timestamp and 64 pseudo-random bytes.
-- Usage: psql -v rows=N -f scripts/bench-noise.sql   (3 M rows: pg_dump -Fc -Z0 writes about 1 GB)
CREATE TABLE IF NOT EXISTS noise (id int PRIMARY KEY, txt text, doc jsonb, amount numeric(12, 3), at timestamptz, blob bytea);
INSERT INTO noise
SELECT g,
       encode(sha256(('a' || g)::bytea) || sha256(('b' || g)::bytea) || sha256(('c' || g)::bytea), 'base64'),
       jsonb_build_object('k', encode(sha256(('d' || g)::bytea), 'hex'), 'n', floor(random() * 1e9)::bigint),
       round((random() * 1e6)::numeric, 3),
       timestamptz '2020-01-01' + random() * interval '2000 days',
       sha256(('e' || g)::bytea) || sha256(('f' || g)::bytea)
FROM generate_series(1, :rows) g
ON CONFLICT DO NOTHING;
ANALYZE noise;
