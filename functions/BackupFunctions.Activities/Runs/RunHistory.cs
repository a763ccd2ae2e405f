using System.Globalization;
using System.Text.Json;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Runs;

/// <summary>A target's part in the newest run report that names it.</summary>
public sealed record LastRun(string RunId, DateTime CompletedAt, TargetReport Target);

/// <summary>
/// Reads run reports (<c>runs/{yyyy}/{MM}/{dd}/{runId}.json</c>) newest first, a day's prefix at a
/// time, to find each target's last run: how health knows that a target's newest run failed even
/// when that run left no backup behind. Bounded: at most <see cref="LookBackDays"/> days and
/// <see cref="MaxReports"/> reports per evaluation.
/// </summary>
public sealed class RunHistory(BlobVault vault)
{
    public const int LookBackDays = 35;
    public const int MaxReports = 400;

    /// <summary>
    /// The newest run of each target that completed at or after its <c>since</c> instant; a target
    /// without one is absent from the result.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, LastRun>> LatestAsync(IReadOnlyDictionary<string, DateTimeOffset> since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, LastRun>(StringComparer.Ordinal);
        if (since.Count == 0)
        {
            return found;
        }

        var floor = since.Values.Min(); // a report sits under its start day: a run may end the day after
        var oldest = now.UtcDateTime.Date.AddDays(1 - LookBackDays);
        int read = 0;
        for (var day = now.UtcDateTime.Date; day >= oldest && day >= floor.UtcDateTime.Date.AddDays(-1) && read < MaxReports; day = day.AddDays(-1))
        {
            string prefix = string.Create(CultureInfo.InvariantCulture, $"{BlobLayout.RunsPrefix}{day:yyyy}/{day:MM}/{day:dd}/");
            var reports = (await vault.ListBlobsAsync(prefix, cancellationToken))
                .Where(b => b.Name.EndsWith(".json", StringComparison.Ordinal))
                .OrderByDescending(b => b.Name, StringComparer.Ordinal); // run-yyyyMMddTHHmmssZ-…: newest first
            foreach (string name in reports.Select(b => b.Name))
            {
                if (read++ >= MaxReports)
                {
                    break;
                }

                var report = await ReadAsync(name, cancellationToken);
                foreach (var t in report?.Targets ?? [])
                {
                    if (since.TryGetValue(t.Target, out var from) && !found.ContainsKey(t.Target) && report!.CompletedAt >= from.UtcDateTime)
                    {
                        found[t.Target] = new LastRun(report.RunId, report.CompletedAt, t);
                    }
                }

                if (found.Count == since.Count)
                {
                    return found;
                }
            }
        }

        return found;
    }

    /// <summary>A run report; null when it is gone or unreadable (a report is evidence, never a reason to fail health).</summary>
    private async Task<RunReport?> ReadAsync(string blobName, CancellationToken cancellationToken)
    {
        await using var stream = await vault.OpenReadAsync(blobName, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<RunReport>(stream, VaultJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
