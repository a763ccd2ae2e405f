using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Orchestrations;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Orchestration;

/// <summary>
/// <see cref="IOrchestrationContext"/> for the local host: live, never replaying. Activity calls
/// retry transient failures per their <see cref="TaskRetry"/>; permanent failures
/// (<see cref="Failures.IsPermanent"/>) fail at once.
/// </summary>
internal sealed class InProcessOrchestrationContext(InProcessOrchestrationHost host, string instanceId, CancellationToken cancellationToken)
    : IOrchestrationContext
{
    private readonly ILogger _log = host.Loggers.CreateLogger<InProcessOrchestrationContext>();

    public string InstanceId => instanceId;

    public DateTime CurrentUtcDateTime => host.Time.GetUtcNow().UtcDateTime;

    public bool IsReplaying => false;

    public async Task<TResult> CallActivityAsync<TResult>(string name, object? input, TaskRetry? retry = null)
    {
        string json = JsonSerializer.Serialize(input, ActivityRegistry.Json);
        int attempts = host.Retries ? retry?.MaxAttempts ?? 1 : 1;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                string output;
                using (_log.BeginScope(new Dictionary<string, object?> { ["RunId"] = instanceId, ["Activity"] = name }))
                {
                    output = await host.InvokeActivity(name, json, cancellationToken);
                }

                return JsonSerializer.Deserialize<TResult>(output, ActivityRegistry.Json)!;
            }
            catch (Exception e) when (attempt < attempts && !Failures.IsPermanent(e) && !cancellationToken.IsCancellationRequested)
            {
                var delay = host.RetryDelay(retry!.DelayBefore(attempt + 1));
                _log.LogWarning("Activity {Activity} failed (attempt {Attempt} of {Attempts}), retrying in {Delay}: {Error}",
                    name, attempt, attempts, delay, e.Message);
                await Task.Delay(delay, host.Time, cancellationToken);
            }
        }
    }

    public async Task<TResult> CallSubOrchestratorAsync<TResult>(string name, string subInstanceId, object? input)
    {
        string output = await host.RunAsync(name, subInstanceId, JsonSerializer.Serialize(input, ActivityRegistry.Json), cancellationToken);
        return JsonSerializer.Deserialize<TResult>(output, ActivityRegistry.Json)!;
    }

    public Task CreateTimer(DateTime fireAt, CancellationToken timerCancellation)
    {
        var wait = fireAt - CurrentUtcDateTime;
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, host.Time, timerCancellation);
    }

    public Guid NewGuid() => Guid.NewGuid();

    public void SetCustomStatus(object? status) => host.SetCustomStatus(instanceId, status);

    public ILogger CreateReplaySafeLogger(string categoryName) => host.Loggers.CreateLogger(categoryName);
}
