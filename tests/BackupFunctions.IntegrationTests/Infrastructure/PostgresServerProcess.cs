using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of its own (initdb into a temporary directory, trust authentication for
/// the test role, a free loopback port), for tests that restart or kill the server: the shared one
/// on 5432 serves every other test. As root, the server runs as the `postgres` OS user (initdb
/// refuses root), as scripts/setup.sh runs the shared one. Start costs under a second here.
/// </summary>
internal sealed class PostgresServerProcess : IAsyncDisposable
{
    private readonly string _directory;

    private PostgresServerProcess(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A connection string for <paramref name="database"/> as the test role (the password is ignored: trust).</summary>
    public string Connection(string database) => TestServers.Pg(database, port: Port.ToString(CultureInfo.InvariantCulture));

    public static async Task<PostgresServerProcess> StartAsync()
    {
        // initdb creates the directory itself, so it belongs to the user the server runs as.
        string directory = Path.Combine(Path.GetTempPath(), $"pg-it-{Guid.NewGuid():N}");
        int port = LoopbackPorts.Free();
        await RunAsync("initdb", "-D", directory, "-U", TestServers.PgUser, "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C");
        var server = new PostgresServerProcess(directory, port);
        try
        {
            // pg_ctl keeps these options (postmaster.opts) for restart. No fsync: nothing here needs to survive a power cut.
            await server.PgCtlAsync("start", "-o",
                $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>`pg_ctl restart -m fast`: every session is terminated (a running pg_dump fails), then the server starts again.</summary>
    public Task RestartAsync() => PgCtlAsync("restart", "-m", "fast");

    public async Task CreateDatabaseAsync(string name, string? sql = null)
    {
        await ExecuteAsync("postgres", $"CREATE DATABASE \"{name}\"");
        if (sql is not null)
        {
            await ExecuteAsync(name, sql);
        }
    }

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var conn = new NpgsqlConnection(Connection(database) + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var conn = new NpgsqlConnection(Connection(database) + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private Task PgCtlAsync(string action, params string[] arguments) =>
        RunAsync("pg_ctl", [action, "-D", _directory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60", .. arguments]);

    /// <summary>Runs a PostgreSQL server binary (as `postgres` when this process is root); throws with its output on failure.</summary>
    private static async Task RunAsync(string tool, params string[] arguments)
    {
        string binary = Path.Combine(BinDirectory.Value, tool);
        bool root = Environment.UserName == "root";
        var info = new ProcessStartInfo(root ? "runuser" : binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] prefix = root ? ["-u", "postgres", "--", binary] : [];
        foreach (string a in prefix.Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    /// <summary>The newest installed server version's binaries, as scripts/setup.sh picks them.</summary>
    private static readonly Lazy<string> BinDirectory = new(() =>
        Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), CultureInfo.InvariantCulture, out int major) ? major : 0)
            .LastOrDefault() ?? throw new InvalidOperationException("no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/setup.sh)"));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgCtlAsync("stop", "-m", "immediate");
        }
        catch (InvalidOperationException)
        {
            // Not running (a failed start): only the directory is left to remove.
        }

        Directory.Delete(_directory, recursive: true);
    }
}
