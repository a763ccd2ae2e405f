using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Vault;

/// <summary>Legal holds: the request we send (Azurite cannot hold), and the clear failure on a store that cannot.</summary>
public class LegalHoldTests
{
    [Theory]
    [InlineData(true, "true")]
    [InlineData(false, "false")]
    public async Task SetLegalHold_SendsTheLegalHoldOperation_AndReportsAStoreThatCannot(bool on, string header)
    {
        await using var store = await CapturingContainer.WithBlobAsync("x/data");
        var vault = new BlobVault(store.Container, new ImmutabilityOptions(), TimeProvider.System, NullLogger.Instance);

        var error = await Assert.ThrowsAsync<VaultException>(() => vault.SetLegalHoldAsync(["x/data"], on, CancellationToken.None));

        var request = store.Capture.Requests.Single(r => r.Uri.Contains("comp=legalhold", StringComparison.Ordinal));
        Assert.Equal(header, request.Headers["x-ms-legal-hold"]);
        Assert.Contains("refused the legal hold on 'x/data' (HTTP 501", error.Message, StringComparison.Ordinal);
        Assert.Contains("version-level immutability", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HoldVerb_OnAzurite_ExitsOneWithTheReason_AndBadUsageExitsTwo()
    {
        await using var db = await TestDatabase.CreateAsync("hold", "CREATE TABLE t(x int);");
        await using var cli = new CliRunner(new() { ["orders"] = CliRunner.Postgres(db.Connection) });
        Assert.Equal(0, (await cli.RunAsync("backup", "--no-retry")).Exit);
        string id = System.Text.Json.JsonDocument.Parse((await cli.RunAsync("list", "--json")).Out).RootElement[0].GetProperty("manifest").GetProperty("id").GetString()!;

        var hold = await cli.RunAsync("hold", id, "--on");
        var both = await cli.RunAsync("hold", id, "--on", "--off");

        Assert.Equal(1, hold.Exit);
        Assert.Contains("refused the legal hold", hold.Err, StringComparison.Ordinal);
        Assert.Equal(2, both.Exit);
        Assert.Contains("exactly one of --on or --off", both.Err, StringComparison.Ordinal);
    }
}
