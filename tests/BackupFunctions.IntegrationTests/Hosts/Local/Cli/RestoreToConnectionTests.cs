using System.Text.Json;
using Azure.Storage.Blobs;
using BackupFunctions.Activities.Restores;
using BackupFunctions.Engines.Postgres;
using BackupFunctions.IntegrationTests.Faults;
using BackupFunctions.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

/// <summary>
/// <c>backupfn restore ID --to-connection CONN</c> against the real PostgreSQL and Azurite: a new database is
/// created, the connection's password (a canary) appears in no output, blob or task hub record, and a replace
/// takes a safety backup that <c>list</c> shows and <c>prune</c> leaves alone; <c>--no-safety-backup</c> says so;
/// a safety backup that fails stops the restore with the destination unchanged.
/// </summary>
public class RestoreToConnectionTests(ITestOutputHelper output)
{
    private const string Source = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 700) g;";

    private static string FirstId(string listJson, string target) =>
        JsonDocument.Parse(listJson).RootElement.EnumerateArray().Select(e => e.GetProperty("manifest"))
            .First(m => m.GetProperty("target").GetString() == target).GetProperty("id").GetString()!;

    [Fact]
    public async Task ToConnection_CreatesTheDatabase_TakesAListedSafetyBackupOnReplace_AndNeverRevealsThePassword()
    {
        string canary = $"canary{Guid.NewGuid():N}";
        string role = $"it_rdest_{Guid.NewGuid():N}"[..24];
        await TestServers.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{canary}'");
        try
        {
            await using var source = await TestDatabase.CreateAsync("rdest_src", Source);
            await using var destination = TestDatabase.Named("rdest_new");
            string connection = $"Host=127.0.0.1;Port={TestServers.PgPort};Username={role};Password={canary};Database={destination.Name}";
            string name = RestoreDestinations.NameFor(new PostgresEngine().Describe(connection));
            await using var cli = new CliRunner(new() { ["src"] = CliRunner.Postgres(source.Connection) });
            var outputs = new List<(string Command, int Exit, string Out, string Err)>();
            async Task<(int Exit, string Out, string Err)> Run(params string[] args)
            {
                var result = await cli.RunAsync([.. args, "--verbose"]);
                outputs.Add((string.Join(' ', args).Replace(canary, "CANARY", StringComparison.Ordinal), result.Exit, result.Out, result.Err));
                output.WriteLine($"$ backupfn {outputs[^1].Command}: exit {result.Exit}\n{result.Out}{result.Err}");
                return result;
            }

            Assert.Equal(0, (await Run("backup", "--target", "src")).Exit);
            string id = FirstId((await Run("list", "--json")).Out, "src");

            var created = await Run("restore", id, "--to-connection", connection);
            Assert.Equal(0, created.Exit);
            Assert.Contains($"restored into '{name}'", created.Out, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{TestServers.PgPort}/{destination.Name}", created.Out, StringComparison.Ordinal);
            Assert.Equal(700, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t"));

            var refused = await Run("restore", id, "--to-connection", connection);
            Assert.Equal(2, refused.Exit);
            Assert.Contains("--replace", refused.Err, StringComparison.Ordinal);

            await TestServers.ExecuteAsync(destination.Name, "CREATE TABLE precious(x text); INSERT INTO precious VALUES ('saved first')");
            var replaced = await Run("restore", id, "--to-connection", connection, "--replace");
            Assert.Equal(0, replaced.Exit);
            Assert.Contains($"backupfn restore: safety backup of '{name}'", replaced.Err, StringComparison.Ordinal);
            Assert.Equal(0, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM pg_class WHERE relname = 'precious'"));

            // The safety backup is a normal backup in the destination's own catalog entry: listed, restorable, and kept by prune.
            string safetyId = FirstId((await Run("list", "--json")).Out, name);
            Assert.Contains(safetyId, replaced.Err, StringComparison.Ordinal);
            var byName = await Run("list", "--target", name, "--json"); // no configuration names the destination
            Assert.Equal(0, byName.Exit);
            Assert.Equal(safetyId, FirstId(byName.Out, name));
            Assert.Equal(2, (await Run("list", "--target", "nosuch")).Exit); // while an unknown target stays an error
            Assert.Equal(0, (await Run("verify", "--target", name, "--latest")).Exit);
            Assert.Contains(safetyId, replaced.Out, StringComparison.Ordinal);
            Assert.Equal(0, (await Run("prune")).Exit);
            Assert.Equal(safetyId, FirstId((await Run("list", "--json")).Out, name));
            await using var saved = TestDatabase.Named("rdest_saved");
            Assert.Equal(0, (await Run("restore", safetyId, "--to-connection", TestServers.Pg(saved.Name))).Exit);
            Assert.Equal("saved first", await TestServers.ScalarAsync<string>(saved.Name, "SELECT x FROM precious"));

            var unsafeReplace = await Run("restore", id, "--to-connection", connection, "--replace", "--no-safety-backup");
            Assert.Equal(0, unsafeReplace.Exit);
            Assert.Contains($"--no-safety-backup: '{name}' is replaced without a backup", unsafeReplace.Err, StringComparison.Ordinal);
            Assert.Equal(1, JsonDocument.Parse((await Run("list", "--json")).Out).RootElement.EnumerateArray()
                .Count(e => e.GetProperty("manifest").GetProperty("target").GetString() == name));

            // Neither --to nor --to-connection, or both: a usage error.
            Assert.Equal(2, (await Run("restore", id)).Exit);
            Assert.Equal(2, (await Run("restore", id, "--to", "src", "--to-connection", connection)).Exit);

            var leaks = new List<string>();
            foreach (var (command, _, stdout, stderr) in outputs)
            {
                SecretCanaryTests.Check(leaks, canary, $"stdout of {command}", stdout);
                SecretCanaryTests.Check(leaks, canary, $"stderr of {command}", stderr);
            }

            int blobs = await SecretCanaryTests.CheckContainerAsync(leaks, canary, new BlobContainerClient(TestServers.Storage, cli.Container));
            int hub = await SecretCanaryTests.CheckTaskHubAsync(leaks, canary, cli.TaskHub);
            output.WriteLine($"searched {outputs.Count} commands' output, {blobs} blobs (run reports, manifests, checks), {hub} task hub records");
            Assert.True(leaks.Count == 0, "the canary was found in: " + string.Join("; ", leaks));
            Assert.True(blobs >= 8, $"expected manifests, data, checks and run reports; searched {blobs} blobs");
            Assert.True(hub >= 5, $"expected the task hub's history of the backup run; searched {hub} records");
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await TestServers.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task FailedSafetyBackup_StopsTheRestore_AndLeavesTheDestinationAsItWas()
    {
        // A real failure: the destination role owns its database (so it can replace it) and may own objects as the
        // test role does (a member of it), but cannot read a table in it that a third role owns, so pg_dump of the
        // safety backup fails with "permission denied".
        string suffix = $"{Guid.NewGuid():N}"[..12];
        string role = $"it_rsafe_{suffix}", owner = $"it_rlock_{suffix}";
        await TestServers.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN CREATEDB PASSWORD 'rsafe-pw'; GRANT {TestServers.PgUser} TO {role}; CREATE ROLE {owner}");
        try
        {
            await using var source = await TestDatabase.CreateAsync("rsafe_src", Source);
            await using var destination = TestDatabase.Named("rsafe_dst");
            await TestServers.ExecuteAsync("postgres", $"CREATE DATABASE \"{destination.Name}\" OWNER {role}");
            await TestServers.ExecuteAsync(destination.Name, $"CREATE TABLE locked(x text); INSERT INTO locked VALUES ('untouched'); ALTER TABLE locked OWNER TO {owner}");
            string connection = $"Host=127.0.0.1;Port={TestServers.PgPort};Username={role};Password=rsafe-pw;Database={destination.Name}";
            await using var cli = new CliRunner(new() { ["src"] = CliRunner.Postgres(source.Connection), ["dst"] = CliRunner.Postgres(connection) });
            Assert.Equal(0, (await cli.RunAsync("backup", "--target", "src")).Exit);
            string id = FirstId((await cli.RunAsync("list", "--json")).Out, "src");

            var failed = await cli.RunAsync("restore", id, "--to", "dst", "--replace");
            output.WriteLine($"exit {failed.Exit}\n{failed.Out}{failed.Err}");

            Assert.NotEqual(0, failed.Exit);
            Assert.Contains("safety backup of 'dst' failed, so nothing was restored and the destination is unchanged", failed.Err, StringComparison.Ordinal);
            // Counting rows in the dump's snapshot or pg_dump itself meets the unreadable table first, whichever is quicker.
            Assert.Matches("target 'dst': (pg_dump failed|.*permission denied)", failed.Err);
            Assert.DoesNotContain("rsafe-pw", failed.Err, StringComparison.Ordinal);
            Assert.Equal("untouched", await TestServers.ScalarAsync<string>(destination.Name, "SELECT x FROM locked"));
            Assert.Equal(0, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM pg_class WHERE relname = 't'"));
            Assert.DoesNotContain("\"dst\"", (await cli.RunAsync("list", "--json")).Out, StringComparison.Ordinal);

            // The same restore without the safety backup works: the failure was the safety backup's alone.
            var forced = await cli.RunAsync("restore", id, "--to", "dst", "--replace", "--no-safety-backup");
            Assert.Equal(0, forced.Exit);
            Assert.Equal(700, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t"));
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await TestServers.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {role}; DROP ROLE IF EXISTS {owner}");
        }
    }
}
