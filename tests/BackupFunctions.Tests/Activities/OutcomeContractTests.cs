using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Tests.Activities;

/// <summary>Outcomes are enums in code and the same strings as before in every blob and HTTP body.</summary>
public class OutcomeContractTests
{
    [Theory]
    [InlineData(HealthStatus.Ok, "ok")]
    [InlineData(HealthStatus.Pending, "pending")]
    [InlineData(HealthStatus.Late, "late")]
    [InlineData(HealthStatus.Failing, "failing")]
    [InlineData(HealthStatus.Missing, "missing")]
    [InlineData(HealthStatus.Warning, "warning")]
    public void HealthStatus_IsTheLowerCaseWord_InJsonAndOnScreen(HealthStatus status, string word)
    {
        var summary = HealthSummary.Of([new TargetHealth("orders", status, null, null, null, null, null, "r")]);
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(summary, VaultJson.Options));
        Assert.Equal(word, doc.RootElement.GetProperty("targets")[0].GetProperty("status").GetString());
        Assert.Equal(word, status.Word());
        Assert.Equal(status, HealthStatusWords.Parse(word));
    }

    [Fact]
    public void OverallHealth_IsFailingBeforeMissingBeforeLateBeforePendingBeforeOk_AndOnlyOkAndPendingAreNotAlerts()
    {
        TargetHealth T(HealthStatus s) => new("t", s, null, null, null, null, null, "r");
        Assert.Equal(HealthStatus.Failing, HealthSummary.Of([T(HealthStatus.Late), T(HealthStatus.Failing), T(HealthStatus.Ok)]).Status);
        Assert.Equal(HealthStatus.Missing, HealthSummary.Of([T(HealthStatus.Ok), T(HealthStatus.Late), T(HealthStatus.Missing)]).Status);
        Assert.Equal(HealthStatus.Late, HealthSummary.Of([T(HealthStatus.Ok), T(HealthStatus.Late)]).Status);
        Assert.Equal(HealthStatus.Late, HealthSummary.Of([T(HealthStatus.Pending), T(HealthStatus.Late)]).Status);
        Assert.Equal(HealthStatus.Late, HealthSummary.Of([T(HealthStatus.Warning), T(HealthStatus.Late)]).Status);
        Assert.Equal(HealthStatus.Warning, HealthSummary.Of([T(HealthStatus.Pending), T(HealthStatus.Warning), T(HealthStatus.Ok)]).Status);
        Assert.Equal(HealthStatus.Pending, HealthSummary.Of([T(HealthStatus.Ok), T(HealthStatus.Pending)]).Status);
        Assert.Equal(HealthStatus.Ok, HealthSummary.Of([T(HealthStatus.Ok), T(HealthStatus.Ok)]).Status);
        Assert.Equal([HealthStatus.Late, HealthStatus.Failing, HealthStatus.Missing], Enum.GetValues<HealthStatus>().Where(s => s.IsBad()));
        Assert.Equal(HealthStatus.Missing, HealthStatusWords.Parse("none")); // the word notification state blobs written before "missing" hold
    }

    [Fact]
    public void RunReport_ReadsAndWritesTheSameWordsAsBefore()
    {
        const string written = """
            {"runId":"run-20261122T020000Z-1a2b","trigger":"timer","startedAt":"2026-11-22T02:00:00Z","completedAt":"2026-11-22T02:01:00Z",
             "status":"Failed","targets":[{"target":"orders","outcome":"Succeeded"},{"target":"cache","outcome":"Failed","error":"x"}]}
            """;
        var report = JsonSerializer.Deserialize<RunReport>(written, VaultJson.Options)!;
        Assert.Equal(RunState.Failed, report.Status);
        Assert.Equal([TargetOutcome.Succeeded, TargetOutcome.Failed], report.Targets.Select(t => t.Outcome));
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(report, TaskJson.Options));
        Assert.Equal("Failed", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal("Succeeded", doc.RootElement.GetProperty("targets")[0].GetProperty("outcome").GetString());
    }

    [Fact]
    public void ManifestImmutability_KeepsItsWords()
    {
        var record = new ImmutabilityRecord(ImmutabilityMode.BestEffort, ImmutabilityStatus.UnsupportedByStore, null, "HTTP 501");
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(record, VaultJson.Options));
        Assert.Equal("BestEffort", doc.RootElement.GetProperty("mode").GetString());
        Assert.Equal("UnsupportedByStore", doc.RootElement.GetProperty("status").GetString());
    }
}
