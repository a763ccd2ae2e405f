using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// The real servers scripts/setup.sh starts: PostgreSQL and Azurite on 127.0.0.1. Ports and the
/// test role come from the same variables as scripts/env.sh (with the same defaults).
/// </summary>
internal static class TestServers
{
    public static string PgPort => Env("BACKUPFN_PG_PORT", "5432");
    public static string PgUser => Env("BACKUPFN_PG_USER", "backupfn");
    public static string PgPassword => Env("BACKUPFN_PG_PASSWORD", "backupfn-local");
    public static string BlobPort => Env("BACKUPFN_AZURITE_BLOB_PORT", "10000");
    public static string QueuePort => Env("BACKUPFN_AZURITE_QUEUE_PORT", "10001");
    public static string TablePort => Env("BACKUPFN_AZURITE_TABLE_PORT", "10002");
    public static string RedisPort => Env("BACKUPFN_REDIS_PORT", "6390");

    /// <summary>Azurite's well-known development account (public, documented, not a secret).</summary>
    public static string Storage => StorageAt(BlobPort, QueuePort, TablePort);

    /// <summary>The development account on an Azurite listening on these ports (the shared one, or one a test started).</summary>
    public static string StorageAt(string blobPort, string queuePort, string tablePort) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";

    public static string Pg(string database, string? password = null, string? port = null) =>
        $"Host=127.0.0.1;Port={port ?? PgPort};Username={PgUser};Password={password ?? PgPassword};Database={database}";

    public static string UniqueName(string prefix) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{Guid.NewGuid():N}")[..Math.Min(prefix.Length + 13, 40)];

    public static async Task ExecuteAsync(string database, string sql)
    {
        await using var conn = new NpgsqlConnection(Pg(database) + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var conn = new NpgsqlConnection(Pg(database) + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task<List<string>> ColumnAsync(string database, string sql)
    {
        await using var conn = new NpgsqlConnection(Pg(database) + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetValue(0).ToString()!);
        }

        return values;
    }

    /// <summary>Runs pg_dump --schema-only and returns it without comments, \restrict lines and blank lines.</summary>
    public static async Task<string> SchemaAsync(string database)
    {
        var info = new ProcessStartInfo("pg_dump") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--schema-only", "-h", "127.0.0.1", "-p", PgPort, "-U", PgUser, "-d", database })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PGPASSWORD"] = PgPassword;
        using var p = Process.Start(info)!;
        string output = await p.StandardOutput.ReadToEndAsync();
        string error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"pg_dump --schema-only {database} failed: {error}");
        return string.Join('\n', output.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal) &&
                        !l.StartsWith("\\restrict", StringComparison.Ordinal) && !l.StartsWith("\\unrestrict", StringComparison.Ordinal)));
    }

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
