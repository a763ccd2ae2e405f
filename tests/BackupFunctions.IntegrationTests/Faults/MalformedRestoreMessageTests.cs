using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Restores;
using BackupFunctions.IntegrationTests.Hosts.Local.Serve;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Serve;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// 36 kinds of malformed restore requests on a real queue in Azurite, through serve's queue
/// listener (on a queue of its own, so no other test's listener takes them), with 3 valid requests
/// among them: each malformed one lands in the poison queue with its body unchanged and a one-line
/// recorded reason that names its problem; the valid ones restore (rows in the destination); the
/// listener keeps running. Fields the contract does not name are ignored (the second valid request
/// carries some); a field given twice is refused. A new message with the body of a request already
/// restored is refused (its destination is no longer empty); a redelivery of the same message id
/// is not malformed and restores nothing twice (RestoreQueueTests.RedeliveredMessage_DoesNotRestoreTwice).
/// </summary>
public class MalformedRestoreMessageTests(ITestOutputHelper output)
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 300) g;";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task MalformedRequests_AreEachPoisonedWithTheirReason_WhileValidOnesAmongThemRestore()
    {
        await using var source = await TestDatabase.CreateAsync("mq_src", Table);
        await using var copy1 = TestDatabase.Named("mq_copy1");
        await using var copy2 = TestDatabase.Named("mq_copy2");
        await using var copy3 = TestDatabase.Named("mq_copy3");
        await using var other = TestDatabase.Named("mq_other");
        await using var serve = await ServeFixture.StartAsync(new()
        {
            ["src"] = TestVault.Postgres(source.Connection),
            ["other"] = TestVault.Postgres(other.Connection), // configured, never backed up, never written
            ["cache"] = new TargetOptions { Engine = "redis", Connection = "127.0.0.1:1" }, // another engine, never contacted
            ["copy1"] = TestVault.Postgres(copy1.Connection),
            ["copy2"] = TestVault.Postgres(copy2.Connection),
            ["copy3"] = TestVault.Postgres(copy3.Connection),
        });
        string id = (await serve.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), null, None)).BackupId;

        string queueName = $"it-restore-{Guid.NewGuid():N}"[..32];
        var queue = new QueueClient(TestServers.Storage, queueName); // bodies exactly as given: each case encodes its own
        var poison = new QueueClient(TestServers.Storage, RestoreQueues.PoisonOf(queueName));
        await queue.CreateAsync();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(serve.Logs));
        var listener = new RestoreQueueListener(RestoreQueues.For(serve.Runtime.Options.Storage, queueName), HostSettings.Defaults,
            new RestoreIntake(serve.Runtime, serve.Server.Engine.Client), serve.Server.Engine, serve.Runtime, loggers.CreateLogger<RestoreQueueListener>())
        {
            PollInterval = TimeSpan.FromMilliseconds(200),
        };
        await listener.StartAsync(None);
        try
        {
            // A 1 MiB message never reaches a listener: the queue service refuses anything over 64 KiB.
            var tooBig = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => queue.SendMessageAsync(B64(new string('x', 1 << 20))));
            output.WriteLine($"1 MiB message: HTTP {tooBig.Status} {tooBig.ErrorCode}");
            string valid1 = Json(new { backupId = id, destination = "copy1", requestedBy = "ops@example.com" });
            var first = await SendAsync(queue, B64(valid1));
            await WaitForRecordsAsync(serve, [first], listener);

            var malformed = Malformed(id, valid1);
            var valid2 = B64(Json(new { backupId = id, destination = "copy2", replace = false, ticket = "OPS-1", extra = new { nested = "[1, 2]" } }));
            var valid3 = B64(Json(new { target = "src", latest = true, destination = "copy3", requestedBy = "ops@example.com" }));
            var sent = new List<(string Kind, string Body, string[] Says, SendReceipt Receipt)>();
            for (int i = 0; i < malformed.Count; i++)
            {
                var (kind, body, says) = malformed[i];
                sent.Add((kind, body, says, await SendAsync(queue, body)));
                if (i == malformed.Count / 2)
                {
                    sent.Add(("valid 2 (with fields the contract does not name)", valid2, [], await SendAsync(queue, valid2)));
                }
            }

            sent.Add(("valid 3 (latest)", valid3, [], await SendAsync(queue, valid3)));
            var records = await WaitForRecordsAsync(serve, sent.Select(s => s.Receipt).ToList(), listener);

            var failures = new List<string>();
            foreach (var (kind, body, says, receipt) in sent)
            {
                var (status, detail) = records[receipt.MessageId];
                output.WriteLine($"{kind}: {status}: {detail}");
                bool valid = says.Length == 0;
                if (status != (valid ? "Restored" : "Poisoned"))
                {
                    failures.Add($"{kind}: {status}, expected {(valid ? "Restored" : "Poisoned")}: {detail}");
                }
                else if (!valid && !says.Any(s => detail.Contains(s, StringComparison.Ordinal)))
                {
                    failures.Add($"{kind}: the reason does not say '{string.Join("' or '", says)}': {detail}");
                }

                if (detail.Contains('\n', StringComparison.Ordinal) || detail.Contains('\r', StringComparison.Ordinal))
                {
                    failures.Add($"{kind}: the reason is not one line: {detail}");
                }
            }

            Assert.True(failures.Count == 0, string.Join('\n', failures));
            var poisoned = await DrainAsync(poison);
            Assert.Equal(sent.Where(s => s.Says.Length > 0).Select(s => s.Body).Order(StringComparer.Ordinal), poisoned.Order(StringComparer.Ordinal));
            foreach (var db in new[] { copy1, copy2, copy3 })
            {
                Assert.Equal(300, await TestServers.ScalarAsync<long>(db.Name, "SELECT count(*) FROM t"));
            }

            Assert.False(await other.ExistsAsync(), "a malformed request wrote into 'other'");
            Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
            Assert.False(listener.ExecuteTask!.IsCompleted, $"the listener stopped: {listener.ExecuteTask.Exception?.GetBaseException().Message}");
        }
        finally
        {
            await listener.StopAsync(None);
            await queue.DeleteIfExistsAsync();
            await poison.DeleteIfExistsAsync();
        }
    }

    /// <summary>Each kind: its queue body (base64 unless the case is about the encoding), and what its reason must say (any of).</summary>
    private static List<(string Kind, string Body, string[] Says)> Malformed(string id, string valid1)
    {
        string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        byte[] badUtf8 = [.. Encoding.UTF8.GetBytes("{\"backupId\":\"" + id + "\",\"destination\":\"copy1\",\"requestedBy\":\"ops"), 0xC3, 0x28, .. "\"}"u8];
        return
        [
            ("empty", "", ["empty"]),
            ("whitespace", B64(" \t\r\n "), ["empty"]),
            ("at the queue's size limit (64 KiB)", B64(Json(new { backupId = id, destination = "copy1", requestedBy = new string('x', 48_000) })), ["at most 8192 bytes"]),
            ("invalid UTF-8", Convert.ToBase64String(badUtf8), ["UTF-8"]),
            ("not base64", "{\"backupId\": \"" + id + "\", \"destination\": \"copy1\"}", ["not base64"]),
            ("JSON array", B64($"[{valid1}]"), ["JSON array"]),
            ("JSON string", B64("\"restore please\""), ["JSON string"]),
            ("JSON null", B64("null"), ["JSON null"]),
            ("XML", B64($"<restore backupId=\"{id}\" destination=\"copy1\"/>"), ["invalid start of a value"]),
            ("trailing text after the object", B64(valid1 + " thanks"), ["after a single JSON value"]),
            ("backupId a number", B64("{\"backupId\": 20261129, \"destination\": \"copy1\"}"), ["'backupId'"]),
            ("replace a string", B64("{\"backupId\": \"" + id + "\", \"destination\": \"copy1\", \"replace\": \"true\"}"), ["'replace'"]),
            ("replace a number", B64("{\"backupId\": \"" + id + "\", \"destination\": \"copy1\", \"replace\": 1}"), ["'replace'"]),
            ("latest a string", B64("{\"target\": \"src\", \"latest\": \"yes\", \"destination\": \"copy1\"}"), ["'latest'"]),
            ("null fields", B64("{\"backupId\": null, \"target\": null, \"destination\": null}"), ["missing 'destination'"]),
            ("an object in place of a string", B64("{\"backupId\": " + Nested(3) + ", \"destination\": \"copy1\"}"), ["'backupId' must be a string"]),
            ("nested 100 deep (in a field the contract does not name)", B64("{\"backupId\": \"" + id + "\", \"destination\": \"copy1\", \"note\": " + Nested(100) + "}"), ["depth"]),
            ("a lone UTF-16 surrogate", B64("{\"backupId\": \"" + id + "\", \"destination\": \"\\ud800\"}"), ["'destination' must be a string", "UTF-16"]),
            ("a field given twice", B64("{\"backupId\": \"" + id + "\", \"destination\": \"nowhere\", \"destination\": \"copy1\"}"), ["'destination'", "duplicate"]),
            ("no backupId and no target", B64(Json(new { destination = "copy1" })), ["missing 'backupId'"]),
            ("backupId and target with latest", B64(Json(new { backupId = id, target = "src", latest = true, destination = "copy1" })), ["not both"]),
            ("backupId and latest", B64(Json(new { backupId = id, latest = true, destination = "copy1" })), ["not both"]),
            ("destination of another engine", B64(Json(new { backupId = id, destination = "cache" })), ["is a postgres backup but target 'cache' is redis"]),
            ("path-like destination", B64(Json(new { backupId = id, destination = "../x" })), ["unknown target '../x'"]),
            ("path-like backupId", B64(Json(new { backupId = "/etc/passwd", destination = "copy1" })), ["'/etc/passwd' is not a backup id"]),
            ("path-like target", B64(Json(new { target = "../../etc", latest = true, destination = "copy1" })), ["unknown target '../../etc'"]),
            ("quote-laden destination", B64(Json(new { backupId = id, destination = "a'b\"c;DROP TABLE t;--" })), ["unknown target 'a'b\"c;DROP TABLE t;--'"]),
            ("backupId of another target", B64(Json(new { backupId = id, target = "other", destination = "copy1" })), ["of target 'src', not 'other'"]),
            ("backupId that does not exist", B64(Json(new { backupId = "src-20200101T000000Z-0000", destination = "copy1" })), ["'src-20200101T000000Z-0000' not found"]),
            ("backupId of an unconfigured target", B64(Json(new { backupId = "ghost-20200101T000000Z-0000", destination = "copy1" })), ["'ghost-20200101T000000Z-0000' not found"]),
            ("latest of a target never backed up", B64(Json(new { target = "other", latest = true, destination = "copy1" })), ["target 'other' has no backups"]),
            ("unknown destination", B64(Json(new { backupId = id, destination = "nowhere" })), ["unknown target 'nowhere'"]),
            ("a line break in a name", B64(Json(new { backupId = id, destination = "copy1\nINFO restore succeeded" })), ["unknown target 'copy1\\u000aINFO restore succeeded'"]),
            ("a NUL in a name", B64(Json(new { backupId = id, destination = "copy1\0" })), ["unknown target 'copy1\\u0000'"]),
            ("a very long target name", B64(Json(new { target = new string('a', 4000), latest = true, destination = "copy1" })), ["unknown target 'aaaa"]),
            ("a copy of a request already restored (the destination is no longer empty)", B64(valid1), ["is not empty"]),
        ];
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static async Task<SendReceipt> SendAsync(QueueClient queue, string body) => (await queue.SendMessageAsync(body)).Value;

    /// <summary>Waits (bounded) until each message's outcome is recorded in the vault; returns status and reason per message id.</summary>
    private static async Task<Dictionary<string, (string Status, string Detail)>> WaitForRecordsAsync(ServeFixture serve, List<SendReceipt> receipts, RestoreQueueListener listener)
    {
        var found = new Dictionary<string, (string, string)>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (found.Count < receipts.Count && DateTime.UtcNow < deadline && !listener.ExecuteTask!.IsCompleted)
        {
            foreach (var receipt in receipts.Where(r => !found.ContainsKey(r.MessageId)))
            {
                var blob = serve.Vault.Container.GetBlobClient(BlobLayout.RunReport(RestoreIntake.InstanceId(receipt.MessageId), receipt.InsertionTime));
                if (await blob.ExistsAsync())
                {
                    var record = JsonNode.Parse((await blob.DownloadContentAsync()).Value.Content.ToString())!;
                    found[receipt.MessageId] = (record["status"]!.GetValue<string>(), record["detail"]!.GetValue<string>());
                }
            }

            await Task.Delay(250);
        }

        Assert.True(found.Count == receipts.Count,
            $"{receipts.Count - found.Count} of {receipts.Count} messages have no recorded outcome (retried, lost, or the listener stopped: " +
            $"{listener.ExecuteTask!.Exception?.GetBaseException().Message}); log: {string.Join(" | ", serve.Logs.Messages.TakeLast(20))}");
        return found;
    }

    /// <summary>Every message body in a queue (received and deleted).</summary>
    private static async Task<List<string>> DrainAsync(QueueClient queue)
    {
        var bodies = new List<string>();
        while ((await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value is { Length: > 0 } batch)
        {
            foreach (var m in batch)
            {
                bodies.Add(m.Body.ToString());
                await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }
        }

        return bodies;
    }
}
