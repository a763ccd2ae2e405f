using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Serve;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>`serve` notices a target going bad between runs and says so on the webhook, without any run.</summary>
public class HealthWatchTests
{
    private static async Task WaitForBodiesAsync(HttpReceiver receiver, int count)
    {
        for (int i = 0; i < 100 && receiver.Bodies.Count < count; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(count, receiver.Bodies.Count);
    }

    private static int Ticks(ServeFixture serve) => serve.Logs.Messages.Count(m => m.StartsWith("Health watch checked the targets", StringComparison.Ordinal));

    [Fact]
    public async Task Serve_AnnouncesATargetThatStartedFailing_BetweenRuns()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var db = await TestDatabase.CreateAsync("watch", "CREATE TABLE t(x int); INSERT INTO t VALUES (1);");
        var interval = HealthWatch.Interval;
        HealthWatch.Interval = TimeSpan.FromMilliseconds(500);
        try
        {
            await using var serve = await ServeFixture.StartAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) },
                schedule: "0 0 0 1 1 *", webhookUrl: receiver.Url); // the timer is on (yearly), so the watch runs
            // A new target is missing, announced as a failure at the first tick; then a backup that is
            // pending (no alert) until its verify finds it corrupt: announced once more, as failing.
            await WaitForBodiesAsync(receiver, 1);
            Assert.StartsWith("Backup of 'orders' is missing: never backed up; there is no good backup", receiver.Bodies.Single()["text"]!.GetValue<string>(), StringComparison.Ordinal);
            string id = (await serve.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None)).BackupId;
            Assert.True(BackupId.TryParse(id, out var parsed));
            var manifest = (await serve.Runtime.Vault.ReadManifestAsync(parsed, CancellationToken.None))!;
            var blob = serve.Vault.Container.GetBlobClient(manifest.Blobs.Data);
            byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
            bytes[bytes.Length / 2] ^= 1;
            await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
            await serve.Runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);

            await WaitForBodiesAsync(receiver, 2);
            var body = receiver.Bodies.Last();
            Assert.StartsWith($"Backup of 'orders' is failing: newest backup {id} failed verification (ChecksumMismatch)", body["text"]!.GetValue<string>(), StringComparison.Ordinal);
            // Two more complete ticks of the watch: the same state is not announced again.
            int ticks = Ticks(serve);
            for (int i = 0; i < 100 && Ticks(serve) < ticks + 2; i++)
            {
                await Task.Delay(100);
            }

            Assert.True(Ticks(serve) >= ticks + 2, "the health watch stopped ticking");
            Assert.Equal(2, receiver.Bodies.Count);
        }
        finally
        {
            HealthWatch.Interval = interval;
        }
    }
}
