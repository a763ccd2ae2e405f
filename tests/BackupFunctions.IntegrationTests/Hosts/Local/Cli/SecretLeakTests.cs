using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Cli;

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
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, null, CancellationToken.None))
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

    [Fact]
    public async Task RedisAndNeo4jRuns_NeverRevealTheirPasswords()
    {
        string redisSecret = $"redis-{Guid.NewGuid():N}";
        string neoSecret = $"neo-{Guid.NewGuid():N}";
        await using var redis = await RedisServerProcess.StartAsync(requirePass: redisSecret);
        await using var copy = await RedisServerProcess.StartAsync(requirePass: redisSecret);
        await using var neo4j = await Engines.Neo4j.FakeNeo4jServer.StartAsync();
        neo4j.Password = neoSecret;
        await new BackupFunctions.Engines.Neo4j.Neo4jEngine().RestoreAsync(new MemoryStream(Engines.Neo4j.Neo4jTestGraph.Export(20)), neo4j.Connection(),
            new BackupFunctions.Engines.RestoreOptions(false), CancellationToken.None);
        await using (var r = await BackupFunctions.Engines.Redis.Resp.RespConnection.ConnectAsync(BackupFunctions.Engines.Redis.RedisEndpoint.Parse(redis.Connection(redisSecret)), CancellationToken.None))
        {
            await r.CallAsync(CancellationToken.None, "SET", "k", "v");
        }

        await using var cli = new CliRunner(new()
        {
            ["cache"] = new { Engine = "redis", Connection = redis.Connection(redisSecret), RestoreTest = new { Connection = redis.Connection(redisSecret, database: 9) } },
            ["cache-copy"] = new { Engine = "redis", Connection = copy.Connection(redisSecret) },
            ["cache-wrong"] = new { Engine = "redis", Connection = redis.Connection(redisSecret + "-wrong") },
            ["graph"] = new { Engine = "neo4j", Connection = neo4j.Connection(), RestoreTest = new { Connection = neo4j.Connection("scratch") } },
            ["graph-wrong"] = new { Engine = "neo4j", Connection = neo4j.Connection(password: neoSecret + "-wrong") },
        });

        var outputs = new List<(int Exit, string Out, string Err)>
        {
            await cli.RunAsync("backup", "--verbose", "--no-retry"), // the two "-wrong" targets fail
            await cli.RunAsync("list", "--json"),
            await cli.RunAsync("status", "--json"),
        };
        var listed = System.Text.Json.JsonDocument.Parse(outputs[1].Out).RootElement.EnumerateArray().Select(e => e.GetProperty("manifest")).ToList();
        string cacheId = listed.Single(m => m.GetProperty("target").GetString() == "cache").GetProperty("id").GetString()!;
        outputs.Add(await cli.RunAsync("restore", cacheId, "--to", "cache-copy", "--verbose"));
        outputs.Add(await cli.RunAsync("restore", cacheId, "--to", "cache-copy", "--verbose")); // refused: not empty

        Assert.Equal(2, outputs[0].Exit); // bad credentials need a configuration fix
        Assert.Contains("refused the credentials", outputs[0].Err, StringComparison.Ordinal);
        Assert.Equal(["cache", "cache-copy", "graph"], listed.Select(m => m.GetProperty("target").GetString()).Order());
        Assert.Equal(0, outputs[3].Exit);
        Assert.Equal(2, outputs[4].Exit);
        foreach (var (_, stdout, stderr) in outputs)
        {
            foreach (string secret in new[] { redisSecret, neoSecret })
            {
                Assert.DoesNotContain(secret, stdout, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, stderr, StringComparison.Ordinal);
            }
        }

        var container = new BlobContainerClient(TestServers.Storage, cli.Container);
        int scanned = 0;
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, null, CancellationToken.None))
        {
            string content = (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString();
            if (!blob.Name.Contains("/data.", StringComparison.Ordinal))
            {
                Assert.DoesNotContain(redisSecret, content, StringComparison.Ordinal);
                Assert.DoesNotContain(neoSecret, content, StringComparison.Ordinal);
                scanned++;
            }

            Assert.DoesNotContain(blob.Metadata.Values, v => v.Contains(redisSecret, StringComparison.Ordinal) || v.Contains(neoSecret, StringComparison.Ordinal));
        }

        Assert.True(scanned >= 6, $"expected manifests, check records, run reports; scanned {scanned} blobs");
    }
}
