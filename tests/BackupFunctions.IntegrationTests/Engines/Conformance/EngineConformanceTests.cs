using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.IntegrationTests.Faults;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// What every engine must do, the same way, through the real CLI, the real Durable Task engine and a
/// real Azurite: a round trip that restores equal content; a flipped stored byte caught (exit 3); a
/// non-empty destination refused without --replace and replaced with it; a dump cancelled in the
/// middle leaving nothing listed; and the source's credential in no output, manifest, run report or
/// error. An engine joins by implementing <see cref="IEngineFixture"/> and a one-line subclass.
/// </summary>
public abstract class EngineConformanceTests
{
    /// <summary>A new fixture: its own server (or labelled fake), source data and credential.</summary>
    protected abstract Task<IEngineFixture> CreateFixtureAsync();

    [Fact]
    public async Task RoundTrip_Backup_Verify_RestoreTest_Restore_RestoresEqualContent()
    {
        await using var fixture = await CreateFixtureAsync();
        object destination = await fixture.NewDestinationAsync();
        await using var cli = Cli(fixture, destination);
        var outputs = new Outputs(cli);

        string id = await outputs.BackupAsync();
        await outputs.ExpectAsync(0, "verify", id);
        await outputs.ExpectAsync(0, "restore-test", id);
        await outputs.ExpectAsync(0, "restore", id, "--to", "dst");

        Assert.Equal(await fixture.ContentAsync(fixture.Source), await fixture.ContentAsync(destination));
        await AssertNoSecretAsync(fixture, cli, outputs);
    }

    [Fact]
    public async Task FlippedStoredByte_IsDetected_VerifyAndRestoreTestExit3()
    {
        await using var fixture = await CreateFixtureAsync();
        await using var cli = Cli(fixture, await fixture.NewDestinationAsync());
        var outputs = new Outputs(cli);
        string id = await outputs.BackupAsync();
        await AssertNoSecretAsync(fixture, cli, outputs); // before the damage: the search decompresses the data blobs

        var container = Container(cli);
        var manifest = await ManifestAsync(cli, id);
        var data = container.GetBlobClient(manifest.GetProperty("blobs").GetProperty("data").GetString());
        byte[] bytes = (await data.DownloadContentAsync()).Value.Content.ToArray();
        var metadata = (await data.GetPropertiesAsync()).Value.Metadata;
        bytes[bytes.Length / 2] ^= 0x01; // one bit in the middle of the stored data, as bit rot would flip it
        await data.UploadAsync(new BinaryData(bytes), new BlobUploadOptions { Metadata = metadata });

        var verify = await outputs.ExpectAsync(3, "verify", id);
        Assert.Contains("ChecksumMismatch", verify.Out + verify.Err, StringComparison.Ordinal);
        var test = await outputs.ExpectAsync(3, "restore-test", id);
        Assert.False(fixture.Secret is { Length: > 0 } secret && (verify.Out + verify.Err + test.Out + test.Err).Contains(secret, StringComparison.Ordinal),
            "the source's credential is in the errors of the damaged backup");
    }

    [Fact]
    public async Task NonEmptyDestination_IsRefusedWithoutReplace_AndReplacedWithIt()
    {
        await using var fixture = await CreateFixtureAsync();
        object destination = await fixture.NewDestinationAsync();
        await using var cli = Cli(fixture, destination);
        var outputs = new Outputs(cli);
        string id = await outputs.BackupAsync();
        await fixture.MakeNonEmptyAsync(destination);
        string before = await fixture.ContentAsync(destination);

        var refused = await outputs.ExpectAsync(2, "restore", id, "--to", "dst");
        Assert.Contains("--replace", refused.Err, StringComparison.Ordinal);
        Assert.Equal(before, await fixture.ContentAsync(destination));

        await outputs.ExpectAsync(0, "restore", id, "--to", "dst", "--replace");
        Assert.Equal(await fixture.ContentAsync(fixture.Source), await fixture.ContentAsync(destination));
        await AssertNoSecretAsync(fixture, cli, outputs);
    }

    [Fact]
    public async Task DumpCancelledInTheMiddle_LeavesNothingListed()
    {
        await using var fixture = await CreateFixtureAsync();
        await fixture.GrowAsync();
        var target = JsonSerializer.Deserialize<TargetOptions>(JsonSerializer.Serialize(fixture.Source))!;
        await using var vault = await TestVault.CreateAsync(new() { ["src"] = target });
        await using var cli = new CliRunner(new() { ["src"] = fixture.Source }, container: vault.Options.Storage.Container);
        using var cancel = new CancellationTokenSource();
        long bytesAtCancel = 0;
        // Cancelled from inside the pipeline's first progress report: the dump has begun writing and cannot have ended.
        var progress = new Callback(p =>
        {
            if (p.Bytes > 0 && Interlocked.CompareExchange(ref bytesAtCancel, p.Bytes, 0) == 0)
            {
                cancel.Cancel();
            }
        });

        var backup = vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), progress, cancel.Token);
        var thrown = await Record.ExceptionAsync(() => backup);

        Assert.True(bytesAtCancel > 0, "the dump reported no progress before it ended");
        Assert.True(thrown is OperationCanceledException, $"a cancelled dump must end as a cancellation, not {thrown?.GetType().Name ?? "success"}: {thrown?.Message}");
        var list = await cli.RunAsync("list", "--json");
        Assert.True(list.Exit == 0, list.Err);
        Assert.Equal(0, JsonDocument.Parse(list.Out).RootElement.GetArrayLength());
        Assert.DoesNotContain(await VaultAudit.FoldersAsync(vault.Container), f => f.HasManifest);
    }

    private static CliRunner Cli(IEngineFixture fixture, object destination) =>
        new(new() { ["src"] = fixture.Source, ["dst"] = destination });

    private static Azure.Storage.Blobs.BlobContainerClient Container(CliRunner cli) => new(TestServers.Storage, cli.Container);

    private static async Task<JsonElement> ManifestAsync(CliRunner cli, string id)
    {
        var list = await cli.RunAsync("list", "--json");
        Assert.True(list.Exit == 0, list.Err);
        return JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Select(e => e.GetProperty("manifest"))
            .Single(m => m.GetProperty("id").GetString() == id);
    }

    /// <summary>
    /// The credential is in no CLI output or error of the test, no blob of the vault or its metadata (data blobs
    /// decompressed) and no record of the task hub: the secrets-canary search of the fault suite, reused.
    /// </summary>
    private static async Task AssertNoSecretAsync(IEngineFixture fixture, CliRunner cli, Outputs outputs)
    {
        if (fixture.Secret is not { Length: > 0 } secret)
        {
            return;
        }

        var leaks = new List<string>();
        SecretCanaryTests.Check(leaks, secret, "the CLI's output", outputs.All);
        int blobs = await SecretCanaryTests.CheckContainerAsync(leaks, secret, Container(cli));
        int hub = await SecretCanaryTests.CheckTaskHubAsync(leaks, secret, cli.TaskHub);
        Assert.True(leaks.Count == 0, "the source's credential was found in: " + string.Join("; ", leaks));
        Assert.True(blobs >= 3, $"expected at least data, a manifest and a run report; searched {blobs} blobs");
        Assert.True(hub >= 1, $"expected the task hub's records of the run; searched {hub}");
    }

    /// <summary>Runs verbs and keeps every line they printed, for the secret check.</summary>
    private sealed class Outputs(CliRunner cli)
    {
        private readonly StringBuilder _all = new();

        public string All => _all.ToString();

        public async Task<(int Exit, string Out, string Err)> ExpectAsync(int exit, params string[] args)
        {
            var r = await cli.RunAsync(args);
            _all.AppendLine(r.Out).AppendLine(r.Err);
            Assert.True(r.Exit == exit, $"backupfn {string.Join(' ', args)}: exit {r.Exit}, expected {exit}: {r.Out}{r.Err}");
            return r;
        }

        /// <summary>Backs up "src" through the full orchestration (backup, verify, restore test) and returns the new backup's id.</summary>
        public async Task<string> BackupAsync()
        {
            var r = await ExpectAsync(0, "backup", "--target", "src");
            var id = System.Text.RegularExpressions.Regex.Match(r.Out, "backed up as (src-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4})").Groups[1].Value;
            Assert.False(string.IsNullOrEmpty(id), r.Out);
            return id;
        }
    }

    private sealed class Callback(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
