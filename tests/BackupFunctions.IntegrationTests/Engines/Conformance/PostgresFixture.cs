using BackupFunctions.IntegrationTests.Engines.Postgres;
using BackupFunctions.IntegrationTests.Infrastructure;
using Npgsql;

namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// The real PostgreSQL server of scripts/setup.sh: the rich fixture database (every column type, large
/// objects, non-ASCII names), reached through a role of its own whose password is the canary.
/// </summary>
internal sealed class PostgresFixture : IEngineFixture
{
    private readonly string _role = $"it_conf_{Guid.NewGuid():N}"[..24];
    private readonly List<TestDatabase> _databases = [];
    private TestDatabase _source = null!;

    public string Engine => "postgres";

    public string? Secret { get; } = $"canary{Guid.NewGuid():N}";

    public object Source => Target(_source.Name);

    public static async Task<IEngineFixture> CreateAsync()
    {
        var fixture = new PostgresFixture();
        await TestServers.ExecuteAsync("postgres", $"CREATE ROLE {fixture._role} LOGIN SUPERUSER PASSWORD '{fixture.Secret}'");
        fixture._source = await fixture.TrackAsync(await TestDatabase.CreateAsync("conf_src", RichDatabase.Sql));
        return fixture;
    }

    public Task<object> NewDestinationAsync() => Task.FromResult(Target(Track(TestDatabase.Named("conf_dst")).Name));

    public async Task MakeNonEmptyAsync(object destination)
    {
        string name = DatabaseOf(destination);
        if (!await _databases.Single(d => d.Name == name).ExistsAsync())
        {
            await TestServers.ExecuteAsync("postgres", $"CREATE DATABASE \"{name}\"");
        }

        await TestServers.ExecuteAsync(name, "CREATE TABLE keep_me(v text); INSERT INTO keep_me VALUES ('before the restore');");
    }

    /// <summary>Schema (pg_dump --schema-only), then every table's rows, large objects and the sequence.</summary>
    public async Task<string> ContentAsync(object target)
    {
        string db = DatabaseOf(target);
        // Ownership differs by design: the source was made by the test role, a restore belongs to whoever restores.
        var parts = new List<string> { string.Join('\n', (await TestServers.SchemaAsync(db)).Split('\n').Where(l => !l.Contains(" OWNER TO ", StringComparison.Ordinal))) };
        const string tables = """
            SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
            """;
        foreach (string table in await TestServers.ColumnAsync(db, tables))
        {
            parts.Add(table + " " + await TestServers.ScalarAsync<string>(db,
                $"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {table} t"));
        }

        parts.Add(await TestServers.ScalarAsync<string>(db,
            "SELECT count(*) || ':' || coalesce(string_agg(md5(lo_get(oid)), ',' ORDER BY md5(lo_get(oid))), '') FROM pg_largeobject_metadata"));
        return string.Join('\n', parts);
    }

    /// <summary>About 250 MB of rows that do not compress to nothing: pg_dump needs seconds for them.</summary>
    public Task GrowAsync() => TestServers.ExecuteAsync(_source.Name,
        "CREATE TABLE grow AS SELECT g AS id, md5(g::text) || repeat(md5((g * 7)::text), 6) AS body FROM generate_series(1, 1000000) g;");

    public async ValueTask DisposeAsync()
    {
        foreach (var db in _databases)
        {
            await db.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await TestServers.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {_role}");
    }

    private object Target(string database) => new
    {
        Engine = "postgres",
        Connection = $"Host=127.0.0.1;Port={TestServers.PgPort};Username={_role};Password={Secret};Database={database}",
    };

    private static string DatabaseOf(object target) =>
        new NpgsqlConnectionStringBuilder((string)target.GetType().GetProperty("Connection")!.GetValue(target)!).Database!;

    private TestDatabase Track(TestDatabase db)
    {
        _databases.Add(db);
        return db;
    }

    private Task<TestDatabase> TrackAsync(TestDatabase db) => Task.FromResult(Track(db));
}

public class PostgresConformanceTests : EngineConformanceTests
{
    protected override Task<IEngineFixture> CreateFixtureAsync() => PostgresFixture.CreateAsync();
}
