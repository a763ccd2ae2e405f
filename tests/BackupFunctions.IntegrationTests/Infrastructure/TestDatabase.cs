using Npgsql;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>A uniquely named PostgreSQL database on the real test server, dropped on dispose.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name) => Name = name;

    public string Name { get; }

    public string Connection => TestServers.Pg(Name);

    /// <summary>Creates the database now.</summary>
    public static async Task<TestDatabase> CreateAsync(string prefix, string? sql = null)
    {
        var db = Named(prefix);
        await TestServers.ExecuteAsync("postgres", $"CREATE DATABASE \"{db.Name}\"");
        if (sql is not null)
        {
            await TestServers.ExecuteAsync(db.Name, sql);
        }

        return db;
    }

    /// <summary>A name only: the database does not exist yet (a restore destination).</summary>
    public static TestDatabase Named(string prefix) => new($"it_{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 15, 60)]);

    public async Task<bool> ExistsAsync() =>
        await TestServers.ScalarAsync<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{Name}'") == 1;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await TestServers.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
    }
}
