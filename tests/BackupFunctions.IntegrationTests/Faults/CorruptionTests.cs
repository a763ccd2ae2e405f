using System.Diagnostics;
using Azure.Storage.Blobs.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines.Redis;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;
using Xunit.Abstractions;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// Corrupt stored backups, on one real PostgreSQL backup in Azurite that each case damages and then
/// puts back: 50 single-bit flips and 10 truncations of the data blob (seeded: each failure names
/// its seed, byte, bit or length), and tampered manifests; a few of them through the CLI; and 10
/// flips and 3 truncations of a Redis backup. Verify must report every case (never Ok; the CLI
/// exits 3), and restore must refuse it, saying why, and leave the destination as it was even with
/// replace (the CLI's destination is not created). Verify runs on all 60 PostgreSQL cases;
/// restore, about 0.6 s each here (a staging database and pg_restore), on a sample: the first 10
/// flips, all truncations and every manifest case.
/// </summary>
public class CorruptionTests(CorruptibleBackup backup, ITestOutputHelper output) : IClassFixture<CorruptibleBackup>
{
    /// <summary>Change it to try other positions; every failure message names it with the case.</summary>
    private const int Seed = 20261212;
    private const int RestoredFlips = 10;
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task DataBlob_50FlipsAnd10Truncations_VerifyReportsEach_AndRestoreRefusesEachItTries()
    {
        byte[] data = backup.Data.ToArray();
        var random = new Random(Seed);
        var cases = new List<(string Name, byte[] Bytes, VerificationStatus Expected, bool Restore)>();
        for (int i = 0; i < 50; i++)
        {
            int at = random.Next(data.Length);
            byte mask = (byte)(1 << random.Next(8));
            byte[] flipped = (byte[])data.Clone();
            flipped[at] ^= mask;
            cases.Add(($"flip {i} (seed {Seed}): byte {at} of {data.Length} ^= 0x{mask:x2}", flipped, VerificationStatus.ChecksumMismatch, i < RestoredFlips));
        }

        int[] lengths = [0, data.Length - 1, .. Enumerable.Range(0, 8).Select(_ => random.Next(1, data.Length - 1))];
        cases.AddRange(lengths.Select(n => ($"truncation (seed {Seed}) to {n} of {data.Length} bytes", data[..n], VerificationStatus.SizeMismatch, true)));

        var failures = new List<string>();
        var verifyTime = new Stopwatch();
        var restoreTime = new Stopwatch();
        try
        {
            foreach (var (name, bytes, expected, restore) in cases)
            {
                await backup.ReplaceDataAsync(bytes);
                verifyTime.Start();
                var verified = await backup.Vault.Runtime.VerifyBackupActivity().RunAsync(backup.Manifest.Id, null, None);
                verifyTime.Stop();
                if (verified.Status != expected)
                {
                    failures.Add($"{name}: verify said {verified.Status} ({verified.Detail}), expected {expected}");
                }

                if (restore)
                {
                    restoreTime.Start();
                    failures.AddRange(await RestoreRefusedAsync(name, [expected]));
                    restoreTime.Stop();
                }
            }
        }
        finally
        {
            await backup.RepairAsync();
        }

        output.WriteLine($"{cases.Count} verifies in {verifyTime.Elapsed.TotalSeconds:F1} s; {cases.Count(c => c.Restore)} restores in {restoreTime.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        // The same checks pass on the repaired blob: the cases above failed for their damage alone.
        Assert.Equal(VerificationStatus.Ok, (await backup.Vault.Runtime.VerifyBackupActivity().RunAsync(backup.Manifest.Id, null, None)).Status);
    }

    [Fact]
    public async Task TamperedManifest_VerifyReportsEach_AndRestoreRefusesEach()
    {
        var data = backup.Vault.Container.GetBlobClient(backup.Manifest.Blobs.Data);
        var manifest = backup.Vault.Container.GetBlobClient(backup.Manifest.Blobs.Manifest);
        var cases = new (string Name, Func<Task> Tamper, VerificationStatus[] Expected)[]
        {
            ("sha256Stored changed", () => backup.EditManifestAsync(m => m["sha256Stored"] = Flip(backup.Manifest.Sha256Stored)), [VerificationStatus.ChecksumMismatch]),
            ("sha256Raw changed", () => backup.EditManifestAsync(m => m["sha256Raw"] = Flip(backup.Manifest.Sha256Raw)), [VerificationStatus.ChecksumMismatch]),
            ("storedBytes + 1", () => backup.EditManifestAsync(m => m["storedBytes"] = backup.Manifest.StoredBytes + 1), [VerificationStatus.SizeMismatch]),
            ("rawBytes - 1", () => backup.EditManifestAsync(m => m["rawBytes"] = backup.Manifest.RawBytes - 1), [VerificationStatus.SizeMismatch]),
            ("data blob deleted", () => data.DeleteAsync(), [VerificationStatus.Missing]),
            ("data names a blob that does not exist", () => backup.EditManifestAsync(m => m["blobs"]!["data"] = backup.Manifest.Blobs.Data + ".gone"), [VerificationStatus.Missing]),
            ("data names another backup's data blob", () => backup.EditManifestAsync(m => m["blobs"]!["data"] = backup.Other.Blobs.Data), [VerificationStatus.StructureInvalid]),
            ("replaced by another backup's manifest", () => manifest.UploadAsync(VaultJson.Serialize(backup.Other), overwrite: true), [VerificationStatus.StructureInvalid]),
            ("compression changed to gzip", () => backup.EditManifestAsync(m => m["compression"] = "gzip"), [VerificationStatus.StructureInvalid]),
            ("manifest deleted", () => manifest.DeleteAsync(), [VerificationStatus.Missing]),
        };

        var failures = new List<string>();
        foreach (var (name, tamper, expected) in cases)
        {
            try
            {
                await tamper();
                var verified = await backup.Vault.Runtime.VerifyBackupActivity().RunAsync(backup.Manifest.Id, null, None);
                output.WriteLine($"{name}: verify {verified.Status}: {verified.Detail}");
                if (!expected.Contains(verified.Status))
                {
                    failures.Add($"{name}: verify said {verified.Status} ({verified.Detail}), expected {string.Join(" or ", expected)}");
                }

                failures.AddRange(await RestoreRefusedAsync(name, expected));
            }
            finally
            {
                await backup.RepairAsync();
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(VerificationStatus.Ok, (await backup.Vault.Runtime.VerifyBackupActivity().RunAsync(backup.Manifest.Id, null, None)).Status);
    }

    [Fact]
    public async Task Cli_CorruptBackup_VerifyExits3_AndRestoreExits3InOneLineWithoutCreatingTheDestination()
    {
        byte[] flipped = backup.Data.ToArray();
        flipped[flipped.Length / 2] ^= 0x10;
        var cases = new (string Name, Func<Task> Tamper)[]
        {
            ($"byte {flipped.Length / 2} ^= 0x10", () => backup.ReplaceDataAsync(flipped)),
            ("truncated to 0 bytes", () => backup.ReplaceDataAsync(ReadOnlyMemory<byte>.Empty)),
            ("sha256Stored changed", () => backup.EditManifestAsync(m => m["sha256Stored"] = Flip(backup.Manifest.Sha256Stored))),
            ("data blob deleted", () => backup.Vault.Container.GetBlobClient(backup.Manifest.Blobs.Data).DeleteAsync()),
        };

        var failures = new List<string>();
        foreach (var (name, tamper) in cases)
        {
            try
            {
                await tamper();
                var verify = await backup.Cli.RunAsync("verify", backup.Manifest.Id);
                if (verify.Exit != 3)
                {
                    failures.Add($"{name}: verify exited {verify.Exit}, expected 3: {verify.Out}{verify.Err}");
                }

                var restore = await backup.Cli.RunAsync("restore", backup.Manifest.Id, "--to", "fresh");
                output.WriteLine($"{name}: verify exit {verify.Exit}: {verify.Out.Trim()}; restore exit {restore.Exit}: {restore.Err.Trim()}");
                int expected = name == "data blob deleted" ? 2 : 3; // a missing blob is not found; a damaged one fails its check
                if (restore.Exit != expected || restore.Err.Trim().Split('\n').Length != 1)
                {
                    failures.Add($"{name}: restore exited {restore.Exit}, expected {expected} and one line on stderr: {restore.Out}{restore.Err}");
                }

                if (await backup.Fresh.ExistsAsync())
                {
                    failures.Add($"{name}: the refused restore created database {backup.Fresh.Name}");
                }
            }
            finally
            {
                await backup.RepairAsync();
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(0, (await backup.Cli.RunAsync("verify", backup.Manifest.Id)).Exit);
    }

    [Fact]
    public async Task RedisDataBlob_FlipsAndTruncations_VerifyReportsEach_AndRestoreRefusesEachLeavingTheDestination()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using (var client = await RedisClient.ConnectAsync(RedisEndpoint.Parse(redis.Connection()), None))
        {
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i => client.Database(0).ExecuteAsync("SET", $"key:{i}", $"value {i}")));
            await client.Database(5).ExecuteAsync("SET", "sentinel", "before");
        }

        await using var vault = await TestVault.CreateAsync(new()
        {
            ["cache"] = new TargetOptions { Engine = "redis", Connection = redis.Connection() },
            ["cache-copy"] = new TargetOptions { Engine = "redis", Connection = redis.Connection(database: 5) },
        });
        string id = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("cache"), null, None)).BackupId;
        Assert.True(BackupId.TryParse(id, out var parsed));
        var blob = vault.Container.GetBlobClient((await vault.Runtime.Vault.ReadManifestAsync(parsed, None))!.Blobs.Data);
        byte[] data = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        var metadata = (await blob.GetPropertiesAsync()).Value.Metadata;

        var random = new Random(Seed);
        var cases = new List<(string Name, byte[] Bytes, VerificationStatus Expected)>();
        for (int i = 0; i < 10; i++)
        {
            int at = random.Next(data.Length);
            byte mask = (byte)(1 << random.Next(8));
            byte[] flipped = (byte[])data.Clone();
            flipped[at] ^= mask;
            cases.Add(($"redis flip {i} (seed {Seed}): byte {at} of {data.Length} ^= 0x{mask:x2}", flipped, VerificationStatus.ChecksumMismatch));
        }

        foreach (int n in new[] { 0, data.Length - 1, random.Next(1, data.Length - 1) })
        {
            cases.Add(($"redis truncation (seed {Seed}) to {n} of {data.Length} bytes", data[..n], VerificationStatus.SizeMismatch));
        }

        var failures = new List<string>();
        await using var check = await RedisClient.ConnectAsync(RedisEndpoint.Parse(redis.Connection(database: 5)), None);
        foreach (var (name, bytes, expected) in cases)
        {
            await blob.UploadAsync(new BinaryData(bytes), new BlobUploadOptions { Metadata = metadata });
            var verified = await vault.Runtime.VerifyBackupActivity().RunAsync(id, null, None);
            if (verified.Status != expected)
            {
                failures.Add($"{name}: verify said {verified.Status} ({verified.Detail}), expected {expected}");
            }

            try
            {
                var restored = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, "cache-copy", Replace: true), null, None);
                failures.Add($"{name}: restore was not refused: {restored.Detail}");
            }
            catch (Exception e) when (!SaysWhy(e.Message, expected))
            {
                failures.Add($"{name}: restore refused, but the reason does not say {expected}: {e.Message}");
            }
            catch (Exception e)
            {
                output.WriteLine($"{name}: restore refused: {e.Message}");
            }

            var keys = await check.Database(5).ExecuteAsync("KEYS", "*");
            if (string.Join(",", (string[])keys!) != "sentinel" || (string?)await check.Database(5).ExecuteAsync("GET", "sentinel") != "before")
            {
                failures.Add($"{name}: the destination db 5 changed: keys {string.Join(",", (string[])keys!)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        await blob.UploadAsync(new BinaryData(data), new BlobUploadOptions { Metadata = metadata });
        Assert.Equal(VerificationStatus.Ok, (await vault.Runtime.VerifyBackupActivity().RunAsync(id, null, None)).Status);
    }

    /// <summary>
    /// Restores the damaged backup into "copy" with replace; returns what went wrong (nothing when it
    /// was refused, in one line that says <paramref name="expected"/>, and "copy" is unchanged).
    /// </summary>
    private async Task<List<string>> RestoreRefusedAsync(string name, VerificationStatus[] expected)
    {
        var problems = new List<string>();
        try
        {
            var restored = await backup.Vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.Manifest.Id, "copy", Replace: true), null, None);
            problems.Add($"{name}: restore was not refused: {restored.Detail}");
        }
        catch (Exception e) when (e.Message.Contains('\n', StringComparison.Ordinal))
        {
            problems.Add($"{name}: restore refused, but not in one line: {e.Message}");
        }
        catch (Exception e) when (!expected.Any(status => SaysWhy(e.Message, status)))
        {
            problems.Add($"{name}: restore refused, but the reason does not say {string.Join(" or ", expected)}: {e.Message}");
        }
        catch (Exception e)
        {
            output.WriteLine($"{name}: restore refused: {e.Message}");
        }

        if (await backup.CopyStateAsync() is var state && state != CorruptibleBackup.UntouchedCopy)
        {
            problems.Add($"{name}: the destination changed: {state}");
        }

        return problems;
    }

    /// <summary>Whether a restore's refusal names the problem verify found (<paramref name="status"/>), not a symptom of it.</summary>
    private static bool SaysWhy(string refusal, VerificationStatus status) => status == VerificationStatus.Missing
        ? refusal.Contains("is missing", StringComparison.Ordinal) || refusal.Contains("not found", StringComparison.Ordinal)
        : refusal.Contains($"backup failed verification ({status}:", StringComparison.Ordinal);

    private static string Flip(string hex) => (hex[0] == '0' ? '1' : '0') + hex[1..];
}
