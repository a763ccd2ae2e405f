-- Realistic, not repetitive, benchmark data: text from a vocabulary in random order, jsonb with
-- varying keys and values, numeric amounts, timestamps, and random bytes (incompressible).
-- Usage: psql -v rows=N -f scripts/bench-data.sql   (about 2.9 M rows per GB of dump)
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE IF NOT EXISTS customers (id int PRIMARY KEY, name text, email text, country text, created timestamptz, profile jsonb);
CREATE TABLE IF NOT EXISTS events (
    id bigserial PRIMARY KEY, at timestamptz, customer int, amount numeric(12, 2), status text,
    note text, attrs jsonb, payload bytea);

INSERT INTO customers
SELECT g,
       initcap(w.a) || ' ' || initcap(w.b),
       lower(w.a) || '.' || g || '@' || (ARRAY['example.com', 'mail.test', 'corp.example', 'post.invalid'])[1 + g % 4],
       (ARRAY['DE', 'FR', 'US', 'JP', 'BR', 'IN', 'NG', 'SE', 'ES', 'GR'])[1 + floor(random() * 10)::int],
       timestamptz '2020-01-01' + random() * interval '2000 days',
       jsonb_build_object('tier', (ARRAY['free', 'pro', 'team', 'enterprise'])[1 + floor(random() * 4)::int],
                          'score', round((random() * 1000)::numeric, 3), 'newsletter', random() < 0.3)
FROM generate_series(1, 100000) g,
     LATERAL (SELECT md5(random()::text || g) AS a, md5(g::text || random()) AS b) w
ON CONFLICT DO NOTHING;

WITH vocab AS (
    SELECT array_agg(word) AS words FROM (
        SELECT unnest(string_to_array(
            'order shipped delayed customer support refund invoice payment card declined warehouse parcel ' ||
            'address changed express standard return label damaged replacement discount coupon loyalty ' ||
            'points upgrade downgrade subscription renewal cancelled trial extended review rating five ' ||
            'stars excellent poor late early pickup locker courier signature required fragile handle ' ||
            'with care gift wrap message note priority overnight international customs duty paid held ' ||
            'released inspected scanned sorted hub depot route driver vehicle window morning evening', ' ')) AS word) v)
INSERT INTO events (at, customer, amount, status, note, attrs, payload)
SELECT timestamptz '2025-01-01' + random() * interval '365 days',
       1 + floor(random() * 100000)::int,
       round((random() * 5000)::numeric, 2),
       (ARRAY['new', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'])[1 + floor(random() * 6)::int],
       -- "+ 0 * i" ties the aggregate to the inner query, so each row gets its own sentence.
       (SELECT string_agg(words[1 + floor(random() * array_length(words, 1))::int + 0 * i], ' ')
          FROM generate_series(1, 6 + (g % 14)) AS s(i)),
       jsonb_build_object('ip', format('%s.%s.%s.%s', g % 223, (g * 7) % 256, (g * 13) % 256, floor(random() * 256)::int),
                          'agent', (ARRAY['web', 'ios', 'android', 'api', 'pos'])[1 + g % 5],
                          'session', substr(md5(random()::text), 1, 16),
                          'items', floor(random() * 9)::int + 1,
                          'weight_kg', round((random() * 30)::numeric, 2)),
       gen_random_bytes(48 + (g % 160))
FROM vocab, generate_series(1, :rows) g;
ANALYZE;
