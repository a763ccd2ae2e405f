using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Cli;

/// <summary>
/// A full run with a known, unique database password (backup, verify, restore-test, prune,
/// restore, a refused restore and a failing target, all verbose) must not reveal it anywhere: stdout,
/// stderr and logs, and every blob the run stored (manifests, check records, run reports) with
/// its metadata.
/// </summary>
public class SecretLeakTests
{
    [Fact]
    public async Task FullRun_NeverRevealsTheDatabasePassword()
    {
        string role = $"it_secret_{Guid.NewGuid():N}"[..24];
        string secret = $"Pw-{Guid.NewGuid():N}-ünï";
        await TestServers.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{secret}'");
        try
        {
            await using var source = await TestDatabase.CreateAsync("leak", "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 200) g;");
            await using var destination = TestDatabase.Named("leak_dst");
            string Conn(string db, string port) => $"Host=127.0.0.1;Port={port};Username={role};Password={secret};Database={db}";
            await using var cli = new CliRunner(new()
            {
                ["orders"] = CliRunner.Postgres(Conn(source.Name, TestServers.PgPort)),
                ["copy"] = CliRunner.Postgres(Conn(destination.Name, TestServers.PgPort)),
                ["down"] = CliRunner.Postgres(Conn("postgres", "1")),
            });

            var outputs = new List<(int Exit, string Out, string Err)>
            {
                await cli.RunAsync("backup", "--target", "orders", "--target", "down", "--verbose", "--no-retry"), // "down" fails: exit 1
                await cli.RunAsync("list", "--json"),
                await cli.RunAsync("verify", "--target", "orders", "--latest", "--json", "--verbose"),
                await cli.RunAsync("prune", "--dry-run", "--verbose"),
            };
            string id = System.Text.Json.JsonDocument.Parse(outputs[1].Out).RootElement[0].GetProperty("manifest").GetProperty("id").GetString()!;
            outputs.Add(await cli.RunAsync("restore", id, "--to", "copy", "--verbose"));
            outputs.Add(await cli.RunAsync("restore", id, "--to", "copy", "--verbose")); // refused: not empty

            Assert.Equal(1, outputs[0].Exit);
            Assert.Contains("connection refused at 127.0.0.1:1", outputs[0].Err, StringComparison.Ordinal);
            Assert.Equal(2, outputs[^1].Exit);
            foreach (var (_, stdout, stderr) in outputs)
            {
                Assert.DoesNotContain(secret, stdout, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, stderr, StringComparison.Ordinal);
            }

            var container = new BlobContainerClient(TestServers.Storage, cli.Container);
            int scanned = 0;
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.Metadata))
            {
                string content = (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString();
                bool isDump = blob.Name.Contains("/data.", StringComparison.Ordinal);
                if (!isDump)
                {
                    Assert.DoesNotContain(secret, content, StringComparison.Ordinal);
                    scanned++;
                }

                Assert.DoesNotContain(blob.Metadata.Values, v => v.Contains(secret, StringComparison.Ordinal));
            }

            Assert.True(scanned >= 5, $"expected manifests, check records and a run report; scanned {scanned} blobs");
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await TestServers.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {role}");
        }
    }
}
