using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace BackupFunctions.Activities.Health;

/// <summary>After a run (with its report: also the dead-man ping) or on a health check (without one).</summary>
public sealed record NotifyInput(RunReport? Run);

/// <summary>One message sent (or that could not be delivered).</summary>
public sealed record Notification(string Target, string Kind, string Text, bool Delivered);

public sealed record NotifyOutput(IReadOnlyList<Notification> Notifications);

/// <summary>
/// Sends a webhook when a target starts failing, becomes late, misses its recovery objectives
/// (warning), or recovers: only on a change, so a
/// target that stays failing is not announced every hour. The last announced state per target is
/// kept as create-only blobs under notifications/ (one per change). A target is failing when its run
/// failed or its newest backup failed verify or restore test, late when the schedule passed without
/// a good backup, ok otherwise. Delivery is retried; a webhook that cannot be reached is logged and
/// never fails the run. Messages carry target names, backup ids and the one-line, secret-free
/// reasons, and never the webhook URL.
/// </summary>
public sealed partial class NotifyActivity(BlobVault vault, HealthCheck health, NotificationOptions notifications, SecretResolver? secrets, TimeProvider time, ILoggerFactory loggers, ActivityEnvironment? environment = null)
    : BackupActivity<NotifyInput, NotifyOutput>(loggers, environment)
{
    protected override Task<NotifyOutput> ExecuteAsync(NotifyInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, cancellationToken);

    public const string Prefix = "notifications/";
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ILogger _logger = loggers.CreateLogger<NotifyActivity>();

    public async Task<NotifyOutput> RunAsync(NotifyInput input, CancellationToken cancellationToken)
    {
        if (input.Run is { } finished)
        {
            // First, so a webhook or storage problem below cannot keep the monitor from hearing of the run.
            await new DeadManPing(notifications.PingUrl, _logger).SendAsync(finished.Succeeded, cancellationToken);
        }

        string? url = await WebhookUrlAsync(cancellationToken);
        if (url is null)
        {
            return new NotifyOutput([]);
        }

        var previous = await LastStateAsync(cancellationToken);
        var next = new Dictionary<string, HealthStatus>(previous, StringComparer.Ordinal);
        var messages = new List<(string Target, string Kind, string Text)>();
        foreach (var health in await health.EvaluateAsync(cancellationToken))
        {
            var run = input.Run?.Targets.FirstOrDefault(t => t.Target == health.Target);
            (HealthStatus state, string reason) = run is { Succeeded: false }
                ? (HealthStatus.Failing, run.Error ?? "the run failed")
                : (health.Status, health.Reason);
            var before = previous.GetValueOrDefault(health.Target, HealthStatus.Ok);
            if (state == HealthStatus.Pending)
            {
                continue; // between backup and verify: neither a failure nor a recovery yet; what was announced stands
            }

            next[health.Target] = state;
            if (state == before)
            {
                continue;
            }

            string? kind = state switch
            {
                HealthStatus.Failing or HealthStatus.Missing => "failure", // no good backup at all is the worst case
                HealthStatus.Late => "late",
                HealthStatus.Warning => "warning", // objectives missed: announced once, like the others
                HealthStatus.Ok when before.IsBad() || before == HealthStatus.Warning => "recovery",
                _ => null,
            };
            if (kind is not null)
            {
                messages.Add((health.Target, kind, Text(kind, state, health, reason, input.Run)));
            }
        }

        var sent = new List<Notification>();
        foreach (var (target, kind, text) in messages)
        {
            bool delivered = await SendAsync(url, Payload(target, kind, text), cancellationToken);
            sent.Add(new Notification(target, kind, text, delivered));
            if (!delivered)
            {
                next[target] = previous.GetValueOrDefault(target, HealthStatus.Ok); // try again next time
            }
        }

        if (!next.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(previous.OrderBy(p => p.Key, StringComparer.Ordinal)))
        {
            var now = time.GetUtcNow();
            string blob = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{now:yyyyMMdd'T'HHmmssfff'Z'}-{Random.Shared.Next(0x10000):x4}.json");
            await vault.EnsureContainerAsync(cancellationToken);
            await vault.WriteOnceAsync(blob, VaultJson.Serialize(new { at = now, targets = next }), null, cancellationToken);
        }

        return new NotifyOutput(sent);
    }

    private async Task<string?> WebhookUrlAsync(CancellationToken cancellationToken)
    {
        var n = notifications;
        return n.WebhookUrl ?? (n.WebhookUrlSecret is null ? null
            : await (secrets?.GetAsync(n.WebhookUrlSecret, "Backup:Notifications:WebhookUrlSecret", cancellationToken)
                ?? throw new Configuration.BackupConfigurationException("Backup:Notifications:WebhookUrlSecret needs Backup:KeyVaultUri")));
    }

    /// <summary>Each target's status as last announced (stored as the contract's words: "ok", "late", ...).</summary>
    private async Task<Dictionary<string, HealthStatus>> LastStateAsync(CancellationToken cancellationToken)
    {
        var blobs = await vault.ListBlobsAsync(Prefix, cancellationToken);
        var latest = blobs.OrderBy(b => b.Name, StringComparer.Ordinal).LastOrDefault();
        if (latest is null)
        {
            return new(StringComparer.Ordinal);
        }

        await using var stream = await vault.OpenReadAsync(latest.Name, cancellationToken);
        var json = stream is null ? null : await JsonNode.ParseAsync(stream, cancellationToken: cancellationToken);
        return json?["targets"]?.AsObject()
                   .Select(p => (p.Key, Status: HealthStatusWords.Parse(p.Value?.GetValue<string>())))
                   .Where(p => p.Status is not null)
                   .ToDictionary(p => p.Key, p => p.Status!.Value, StringComparer.Ordinal)
            ?? new(StringComparer.Ordinal);
    }

    private static string Text(string kind, HealthStatus state, TargetHealth health, string reason, RunReport? run) => kind switch
    {
        "failure" => $"Backup of '{health.Target}' is {state.Word()}: {reason}" + (run is null ? "" : $" (run {run.RunId})")
            + (health.LastGoodBackup is null ? "; there is no good backup" : $"; last good backup {health.LastGoodBackup}, {health.AgeHours:F1} h old"),
        "late" => $"Backup of '{health.Target}' is late: {reason}" + (health.LastGoodBackup is null ? "" : $"; last good backup {health.LastGoodBackup}, {health.AgeHours:F1} h old"),
        "warning" => $"Backup of '{health.Target}' misses its recovery objectives: {string.Join("; ", health.Objectives?.Breaches ?? [reason])}",
        _ => $"Backup of '{health.Target}' has recovered: last good backup {health.LastGoodBackup}" + (health.LastPassedRestoreTest is null ? "" : $", last passed restore test {health.LastPassedRestoreTest}"),
    };

    /// <summary>
    /// One body both services accept: Slack incoming webhooks read "text"; Teams connector webhooks read
    /// the MessageCard fields (summary, title, themeColor, sections.facts, text).
    /// </summary>
    public static JsonObject Payload(string target, string kind, string text) => new()
    {
        ["text"] = text,
        ["@type"] = "MessageCard",
        ["@context"] = "https://schema.org/extensions",
        ["summary"] = $"backupfn: {target} {kind}",
        ["title"] = $"backupfn: {target} — {kind}",
        ["themeColor"] = kind switch { "failure" => "D70000", "late" => "FFA500", "warning" => "E3C000", _ => "2DC72D" },
        ["sections"] = new JsonArray(new JsonObject
        {
            ["facts"] = new JsonArray(
                new JsonObject { ["name"] = "Target", ["value"] = target },
                new JsonObject { ["name"] = "Event", ["value"] = kind }),
        }),
    };

    /// <summary>Posts with up to three attempts (network errors, 429 and 5xx are retried); true when delivered.</summary>
    private async Task<bool> SendAsync(string url, JsonObject payload, CancellationToken cancellationToken)
    {
        // Retried through Polly (the one retry mechanism outside orchestrations): a 5xx, a 429, a
        // network error or a timeout. A 4xx means the request itself is wrong (e.g. a revoked webhook).
        int attempts = 0;
        var retry = new ResiliencePipelineBuilder<string?> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<string?>
            {
                MaxRetryAttempts = Backoff.Length,
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff[args.AttemptNumber]),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } problem && problem.StartsWith(Retryable, StringComparison.Ordinal)),
            })
            .Build();
        string? problem = await retry.ExecuteAsync(async token =>
        {
            attempts++;
            try
            {
                using var response = await Http.PostAsJsonAsync(url, payload, token);
                int status = (int)response.StatusCode;
                return response.IsSuccessStatusCode ? null
                    : status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests ? $"{Retryable}HTTP {status}"
                    : $"HTTP {status}";
            }
            catch (HttpRequestException e)
            {
                return Retryable + e.HttpRequestError; // the message would name the URL, which is a secret
            }
            catch (TaskCanceledException) when (!token.IsCancellationRequested)
            {
                return Retryable + "timed out";
            }
        }, cancellationToken);

        if (problem is null)
        {
            return true;
        }

        Logs.NotifyUndelivered(_logger, problem.StartsWith(Retryable, StringComparison.Ordinal) ? problem[Retryable.Length..] : problem, attempts);
        return false;
    }

    /// <summary>Marks a problem a retry may fix.</summary>
    private const string Retryable = "retryable: ";
}
