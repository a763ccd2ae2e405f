using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// Writes a run report as runs/{yyyy}/{MM}/{dd}/{runId}.json and, beside it, {runId}.html (the same
/// report as a page, with each target's stored size over time from the catalog), both create-only.
/// Runs at least once: a retry that finds its own report already written succeeds. With
/// <paramref name="targets"/>, the report also carries each target's recovery objectives achieved.
/// </summary>
public sealed class WriteRunReportActivity(BlobVault vault, ILoggerFactory loggers, ActivityEnvironment? environment = null,
    Configuration.Targets? targets = null, TimeProvider? time = null)
    : BackupActivity<RunReport, string>(loggers, environment)
{
    protected override Task<string> ExecuteAsync(RunReport input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, cancellationToken);

    /// <summary>Writes the report and returns its blob name.</summary>
    public async Task<string> RunAsync(RunReport report, CancellationToken cancellationToken)
    {
        report = await WithObjectivesAsync(report, cancellationToken);
        string runId = report.RunId;
        string blob = BlobLayout.RunReport(runId, new DateTimeOffset(DateTime.SpecifyKind(report.StartedAt, DateTimeKind.Utc)));
        await vault.EnsureContainerAsync(cancellationToken);
        await WriteAsync(blob, runId, VaultJson.Serialize(report), "application/json", cancellationToken);
        var history = new Dictionary<string, IReadOnlyList<SizePoint>>(StringComparer.Ordinal);
        foreach (string target in report.Targets.Select(t => t.Target).Distinct(StringComparer.Ordinal))
        {
            // Manifests alone: the chart needs sizes, not the check records the catalog also lists per backup.
            var points = new List<SizePoint>();
            await foreach (var m in vault.ListManifestsAsync(target, cancellationToken))
            {
                points.Add(new SizePoint(m.CompletedAt, m.RawBytes, m.StoredBytes));
            }

            history[target] = points.OrderByDescending(p => p.CompletedAt).Take(60).ToList();
        }

        await WriteAsync(Path.ChangeExtension(blob, ".html"), runId, BinaryData.FromString(RunReportHtml.Render(report, history)), "text/html; charset=utf-8", cancellationToken);
        return blob;
    }

    private async Task<RunReport> WithObjectivesAsync(RunReport report, CancellationToken cancellationToken)
    {
        if (targets is null)
        {
            return report;
        }

        var objectives = new Dictionary<string, Health.ObjectivesReport>(StringComparer.Ordinal);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        foreach (string target in report.Targets.Select(t => t.Target).Distinct(StringComparer.Ordinal).Where(t => targets.Names.Contains(t)))
        {
            if (targets.ObjectivesOf(target) is { } wanted)
            {
                objectives[target] = Health.ObjectivesReport.Evaluate(wanted, await new BackupCatalog(vault, targets).ListAsync(target, cancellationToken), now);
            }
        }

        return objectives.Count == 0 ? report : report with { Objectives = objectives };
    }

    private async Task WriteAsync(string blob, string runId, BinaryData content, string contentType, CancellationToken cancellationToken)
    {
        try
        {
            await vault.WriteOnceAsync(blob, content, new Dictionary<string, string> { ["runid"] = runId }, cancellationToken, contentType);
        }
        catch (VaultException)
        {
            // Written by an earlier attempt of this same activity? Then this attempt is done too.
            var existing = await vault.StatAsync(blob, cancellationToken);
            if (existing is null || !existing.Metadata.TryGetValue("runid", out string? id) || id != runId)
            {
                throw;
            }
        }
    }
}
