using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// One canary string in every credential at once: the password of a PostgreSQL role (a source, a
/// restore destination, an unreachable target, and a wrong password that starts with it), a Redis
/// requirepass, and the webhook URL's path. A CLI session (backup with failing targets, list,
/// verify, restore-test, status, restore and a refused restore, all verbose) must not reveal it in
/// stdout or stderr, in any blob of the container (content, data blobs decompressed, and metadata:
/// manifests, checks, runs/, notifications/), in the webhook bodies, or in anything the Durable task
/// hub kept (history and instance tables, queues, large-message blobs). Hosts/Local/Cli/SecretLeakTests
/// covers each engine's password alone (and Neo4j's); this test adds the webhook, restore-test,
/// status and the task hub. The restore queue carries only what its producer wrote: poisoned bodies
/// are forwarded unchanged (MalformedRestoreMessageTests).
/// </summary>
public class SecretCanaryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryCredential_CarriesTheCanary_AndNothingTheRunsProducedRevealsIt()
    {
        string canary = $"canary{Guid.NewGuid():N}";
        string role = $"it_canary_{Guid.NewGuid():N}"[..24];
        await TestServers.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{canary}'");
        try
        {
            await using var source = await TestDatabase.CreateAsync("canary", "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 200) g;");
            await using var destination = TestDatabase.Named("canary_dst");
            await using var redis = await RedisServerProcess.StartAsync(requirePass: canary);
            await using (var r = await RedisClient.ConnectAsync(RedisEndpoint.Parse(redis.Connection(canary)), CancellationToken.None))
            {
                await r.Database(0).ExecuteAsync("SET", "session:1", "v");
            }

            await using var receiver = await HttpReceiver.StartAsync();
            string Pg(string db, string port, string password) => $"Host=127.0.0.1;Port={port};Username={role};Password={password};Database={db}";
            await using var cli = new CliRunner(new()
            {
                ["orders"] = CliRunner.Postgres(Pg(source.Name, TestServers.PgPort, canary)),
                ["copy"] = CliRunner.Postgres(Pg(destination.Name, TestServers.PgPort, canary)),
                ["down"] = CliRunner.Postgres(Pg("postgres", "1", canary)),
                ["wrong"] = CliRunner.Postgres(Pg(source.Name, TestServers.PgPort, canary + "-wrong")),
                ["cache"] = new { Engine = "redis", Connection = redis.Connection(canary), RestoreTest = new { Connection = redis.Connection(canary, database: 9) } },
            }, webhookUrl: $"{receiver.BaseUrl}/hooks/{canary}");

            var outputs = new List<(string Command, int Exit, string Out, string Err)>();
            async Task<(int Exit, string Out, string Err)> Run(params string[] args)
            {
                var result = await cli.RunAsync([.. args, "--verbose"]);
                outputs.Add((string.Join(' ', args), result.Exit, result.Out, result.Err));
                return result;
            }

            var backup = await Run("backup", "--target", "orders", "--target", "cache", "--target", "down", "--target", "wrong", "--no-retry"); // "down" and "wrong" fail
            var listed = await Run("list", "--json");
            string ordersId = System.Text.Json.JsonDocument.Parse(listed.Out).RootElement.EnumerateArray()
                .Select(e => e.GetProperty("manifest")).Single(m => m.GetProperty("target").GetString() == "orders").GetProperty("id").GetString()!;
            var verify = await Run("verify", "--target", "orders", "--latest");
            var restoreTest = await Run("restore-test", "--target", "cache", "--latest");
            var status = await Run("status");
            var restore = await Run("restore", ordersId, "--to", "copy");
            var refused = await Run("restore", ordersId, "--to", "copy");

            foreach (var (command, exit, stdout, stderr) in outputs)
            {
                output.WriteLine($"$ backupfn {command}: exit {exit}\n{stdout}{stderr}");
            }

            // The canary really was each credential: the good ones worked, the bad ones failed for their own reason.
            Assert.NotEqual(0, backup.Exit);
            Assert.Contains("backupfn backup: target 'down': connection refused at 127.0.0.1:1", backup.Err, StringComparison.Ordinal);
            Assert.Contains("backupfn backup: target 'wrong': authentication failed", backup.Err, StringComparison.Ordinal);
            Assert.Equal((0, 0, 0, 2), (verify.Exit, restoreTest.Exit, restore.Exit, refused.Exit));
            Assert.Equal(3, status.Exit); // "down" and "wrong" are failing
            Assert.Equal(200, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM t"));
            Assert.NotEmpty(receiver.Received);
            Assert.All(receiver.Received, r => Assert.Contains(canary, r.Path, StringComparison.Ordinal));

            var leaks = new List<string>();
            foreach (var (command, _, stdout, stderr) in outputs)
            {
                Check(leaks, canary, $"stdout of {command}", stdout);
                Check(leaks, canary, $"stderr of {command}", stderr);
            }

            foreach (var (path, _, body) in receiver.Received)
            {
                Check(leaks, canary, $"webhook body sent to {path.Replace(canary, "CANARY", StringComparison.Ordinal)}", Encoding.UTF8.GetString(body));
            }

            int blobs = await CheckContainerAsync(leaks, canary, new BlobContainerClient(TestServers.Storage, cli.Container));
            int hub = await CheckTaskHubAsync(leaks, canary, cli.TaskHub);
            output.WriteLine($"searched {outputs.Count} commands' output, {receiver.Received.Count} webhook bodies, {blobs} blobs, {hub} task hub records");

            Assert.True(leaks.Count == 0, "the canary was found in: " + string.Join("; ", leaks));
            Assert.True(blobs >= 10, $"expected manifests, data, checks, run reports and notifications; searched {blobs} blobs");
            Assert.True(hub >= 10, $"expected the task hub's history; searched {hub} records");
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await TestServers.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {role}");
        }
    }

    internal static void Check(List<string> leaks, string canary, string where, string text)
    {
        if (text.Contains(canary, StringComparison.Ordinal))
        {
            leaks.Add(where);
        }
    }

    /// <summary>Every blob's metadata and content (decompressed when its name says .zst, .br or .gz); returns how many were searched.</summary>
    internal static async Task<int> CheckContainerAsync(List<string> leaks, string canary, BlobContainerClient container)
    {
        int count = 0;
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, null, CancellationToken.None))
        {
            count++;
            Check(leaks, canary, $"metadata of {container.Name}/{blob.Name}", string.Join('\n', blob.Metadata.Select(m => $"{m.Key}={m.Value}")));
            await using var content = await container.GetBlobClient(blob.Name).OpenReadAsync();
            await using Stream plain = blob.Name.EndsWith(".zst", StringComparison.Ordinal) ? BackupFunctions.Vault.Pipeline.Compression.Decompressor(BackupFunctions.Vault.Pipeline.CompressionKind.Zstd, content)
                : blob.Name.EndsWith(".br", StringComparison.Ordinal) ? new BrotliStream(content, CompressionMode.Decompress)
                : blob.Name.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(content, CompressionMode.Decompress)
                : content;
            using var reader = new StreamReader(plain, Encoding.Latin1); // bytes as chars: an ASCII canary matches in binary dumps too
            Check(leaks, canary, $"content of {container.Name}/{blob.Name}", await reader.ReadToEndAsync());
        }

        return count;
    }

    /// <summary>The task hub's tables (every property), queues (peeked) and blob containers; returns how many records were searched.</summary>
    internal static async Task<int> CheckTaskHubAsync(List<string> leaks, string canary, string hub)
    {
        int count = 0;
        var tables = new TableServiceClient(TestServers.Storage);
        await foreach (var table in tables.QueryAsync())
        {
            if (!table.Name.StartsWith(hub, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                count++;
                Check(leaks, canary, $"table {table.Name}, row {entity.PartitionKey}/{entity.RowKey}",
                    string.Join('\n', entity.Select(p => p.Value is byte[] bytes ? Encoding.Latin1.GetString(bytes) : $"{p.Value}")));
            }
        }

        var queues = new QueueServiceClient(TestServers.Storage);
        await foreach (var queue in queues.GetQueuesAsync(prefix: hub.ToLowerInvariant()))
        {
            foreach (var message in (await queues.GetQueueClient(queue.Name).PeekMessagesAsync(32)).Value)
            {
                count++;
                string body = message.Body.ToString();
                Check(leaks, canary, $"queue {queue.Name}", body + TryBase64(body));
            }
        }

        var containers = new BlobServiceClient(TestServers.Storage);
        await foreach (var container in containers.GetBlobContainersAsync(prefix: hub.ToLowerInvariant()))
        {
            count += await CheckContainerAsync(leaks, canary, containers.GetBlobContainerClient(container.Name));
        }

        return count;
    }

    private static string TryBase64(string text)
    {
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out int n) ? Encoding.Latin1.GetString(bytes, 0, n) : "";
    }
}
