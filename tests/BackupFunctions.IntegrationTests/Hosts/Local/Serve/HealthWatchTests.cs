using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Local.Serve;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>`serve` notices a target going bad between runs and says so on the webhook, without any run.</summary>
public class HealthWatchTests
{
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
            string id = (await serve.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None)).BackupId;
            Assert.True(BackupId.TryParse(id, out var parsed));
            var manifest = (await serve.Runtime.Vault.ReadManifestAsync(parsed, CancellationToken.None))!;
            var blob = serve.Vault.Container.GetBlobClient(manifest.Blobs.Data);
            byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
            bytes[bytes.Length / 2] ^= 1;
            await blob.UploadAsync(new BinaryData(bytes), overwrite: true);
            await serve.Runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);

            for (int i = 0; i < 100 && receiver.Bodies.IsEmpty; i++)
            {
                await Task.Delay(100);
            }

            var body = Assert.Single(receiver.Bodies);
            Assert.StartsWith($"Backup of 'orders' is failing: newest backup {id} failed verification (ChecksumMismatch)", body["text"]!.GetValue<string>(), StringComparison.Ordinal);
            await Task.Delay(1200); // more ticks: the same state is not announced again
            Assert.Single(receiver.Bodies);
        }
        finally
        {
            HealthWatch.Interval = interval;
        }
    }
}
