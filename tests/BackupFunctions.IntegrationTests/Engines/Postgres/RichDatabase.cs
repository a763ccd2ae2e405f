using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Engines.Postgres;

/// <summary>
/// A database that exercises what a PostgreSQL backup must carry: jsonb, bytea, arrays, numeric,
/// timestamptz, an enum, a sequence, a view, a function, a partitioned table, large objects, and
/// non-ASCII identifiers and data. <see cref="AssertEqualAsync"/> compares two such databases.
/// </summary>
internal static class RichDatabase
{
    public const string Sql = """
        CREATE TYPE "stimmung" AS ENUM ('traurig', 'okay', 'glücklich');
        CREATE SEQUENCE invoice_no START 1000;
        CREATE TABLE "Kunden_ü" (
            id serial PRIMARY KEY,
            "naïve name" text NOT NULL,
            mood "stimmung",
            tags text[],
            doc jsonb,
            amount numeric(30, 10),
            seen timestamptz,
            payload bytea,
            invoice bigint DEFAULT nextval('invoice_no'));
        INSERT INTO "Kunden_ü" ("naïve name", mood, tags, doc, amount, seen, payload)
        SELECT (ARRAY['Zoë', '日本語の名前', 'Ελληνικά', 'emoji 🎉', E'quote \' and \\ backslash'])[1 + g % 5] || ' ' || g,
               (ARRAY['traurig', 'okay', 'glücklich']::"stimmung"[])[1 + g % 3],
               ARRAY['a' || g, NULL, 'ü' || g],
               jsonb_build_object('n', g, 'nested', jsonb_build_object('arr', jsonb_build_array(g, 'x', true, NULL)), 'text', 'ñ'),
               (g * 12345.6789012345)::numeric(30, 10),
               timestamptz '2026-01-01 00:00:00+00' + g * interval '37 minutes 11.123456 seconds',
               decode(md5(g::text) || '00ff00', 'hex')
        FROM generate_series(1, 3000) g;
        CREATE TABLE empty_table (id int);
        CREATE TABLE measurements (id int, at date NOT NULL, value double precision) PARTITION BY RANGE (at);
        CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE measurements_2026 PARTITION OF measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO measurements SELECT g, date '2025-06-01' + (g % 400), g * 1.5 FROM generate_series(1, 2000) g;
        CREATE VIEW "glückliche_kunden" AS SELECT id, "naïve name" FROM "Kunden_ü" WHERE mood = 'glücklich';
        CREATE FUNCTION total_amount() RETURNS numeric LANGUAGE sql AS $$ SELECT sum(amount) FROM "Kunden_ü" $$;
        CREATE SCHEMA "ventas_ñ";
        CREATE TABLE "ventas_ñ"."pedido" (id bigint GENERATED ALWAYS AS IDENTITY, total numeric, note text);
        INSERT INTO "ventas_ñ"."pedido" (total, note) SELECT g / 3.0, repeat('ß', g % 7) FROM generate_series(1, 500) g;
        SELECT lo_from_bytea(0, convert_to('large object ✓ content', 'UTF8'));
        SELECT lo_from_bytea(0, decode(repeat('00ff7f80', 50000), 'hex'));
        SELECT setval('invoice_no', 987654);
        """;

    /// <summary>Asserts schema, per-table content, large objects, sequence state and a function result are equal.</summary>
    public static async Task AssertEqualAsync(string source, string restored)
    {
        Assert.Equal(await TestServers.SchemaAsync(source), await TestServers.SchemaAsync(restored));

        const string tables = """
            SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
            """;
        var sourceTables = await TestServers.ColumnAsync(source, tables);
        Assert.Equal(sourceTables, await TestServers.ColumnAsync(restored, tables));
        Assert.Contains("\"Kunden_ü\"", string.Join(",", sourceTables), StringComparison.Ordinal);
        foreach (string table in sourceTables)
        {
            string checksum = $"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {table} t";
            Assert.Equal(await TestServers.ScalarAsync<string>(source, checksum), await TestServers.ScalarAsync<string>(restored, checksum));
        }

        const string largeObjects = "SELECT count(*) || ':' || coalesce(string_agg(oid::text || '=' || md5(lo_get(oid)), ',' ORDER BY oid), '') FROM pg_largeobject_metadata";
        string sourceLo = await TestServers.ScalarAsync<string>(source, largeObjects);
        Assert.StartsWith("2:", sourceLo, StringComparison.Ordinal);
        Assert.Equal(sourceLo, await TestServers.ScalarAsync<string>(restored, largeObjects));

        const string sequence = "SELECT last_value || ':' || is_called FROM invoice_no";
        Assert.Equal(await TestServers.ScalarAsync<string>(source, sequence), await TestServers.ScalarAsync<string>(restored, sequence));
        Assert.Equal(await TestServers.ScalarAsync<decimal>(source, "SELECT total_amount()"), await TestServers.ScalarAsync<decimal>(restored, "SELECT total_amount()"));
    }
}
