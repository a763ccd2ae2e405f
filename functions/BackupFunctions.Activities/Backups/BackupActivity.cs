using BackupFunctions.Vault.Catalog;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>
/// What a host gives the activities it runs: a progress sink per label (the CLI's terminal display,
/// "orders backup") and the token that stops them when the host shuts down.
/// </summary>
public sealed record ActivityEnvironment(Func<string, IProgress<TransferProgress>?>? Progress = null, CancellationToken Stopping = default)
{
    /// <summary>Called with the task name as each activity starts on the engine (the CLI times its first one).</summary>
    public Action<string>? Started { get; init; }

    /// <summary>Called when an attempt of an activity fails on the engine, before the orchestrator decides on a retry (the CLI shows it).</summary>
    public Action<ActivityFailure>? Failed { get; init; }

    public static ActivityEnvironment None { get; } = new();

    internal IProgress<TransferProgress>? ProgressFor(string? label) => label is null ? null : Progress?.Invoke(label);
}

/// <summary>One failed attempt: the task name, its progress label (null when it reports none), the error and whether a retry can help.</summary>
public sealed record ActivityFailure(string Activity, string? Label, Exception Error, bool Permanent);

/// <summary>
/// The one shape of every activity: a Durable Task <see cref="TaskActivity{TInput,TOutput}"/> that both
/// hosts run (the local engine through the shim factory, Azure through a one-line [Function]).
/// Activities run at least once, so each is idempotent. A permanent failure (bad configuration,
/// refused credentials, a refused operation) leaves as <see cref="PermanentFailureException"/>,
/// whose message carries <see cref="Failures.PermanentMarker"/>, so an orchestrator stops at once
/// even where the exception type does not reach it.
/// </summary>
public abstract class BackupActivity<TInput, TOutput>(ILoggerFactory loggers, ActivityEnvironment? environment) : TaskActivity<TInput, TOutput>
{
    private readonly ActivityEnvironment _environment = environment ?? ActivityEnvironment.None;

    /// <summary>The engine's entry point: logs of the activity carry its orchestration instance (RunId) and name.</summary>
    public sealed override async Task<TOutput> RunAsync(TaskActivityContext context, TInput input)
    {
        var log = loggers.CreateLogger(GetType());
        using var scope = log.BeginScope(new Dictionary<string, object?>
        {
            ["RunId"] = context.InstanceId,
            ["Activity"] = context.Name.Name,
        });
        Logs.ActivityStarted(log, context.Name.Name, context.InstanceId, Environment.ProcessId);
        _environment.Started?.Invoke(context.Name.Name);
        try
        {
            return await InvokeAsync(input, _environment.Stopping);
        }
        catch (Exception e) when (_environment.Failed is { } failed)
        {
            failed(new ActivityFailure(context.Name.Name, ProgressLabel(input), e, e is PermanentFailureException));
            throw;
        }
    }

    /// <summary>Runs the activity as the engine does (progress from the environment, permanent failures marked).</summary>
    public async Task<TOutput> InvokeAsync(TInput input, CancellationToken cancellationToken)
    {
        try
        {
            return await ExecuteAsync(input, _environment.ProgressFor(ProgressLabel(input)), cancellationToken);
        }
        catch (Exception e) when (Failures.IsPermanent(e) && e is not PermanentFailureException)
        {
            throw new PermanentFailureException(e);
        }
    }

    /// <summary>The activity's work.</summary>
    protected abstract Task<TOutput> ExecuteAsync(TInput input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>The progress label for this input ("orders backup"), or null when the activity reports none.</summary>
    protected virtual string? ProgressLabel(TInput input) => null;

    /// <summary>The target a backup id names (for progress labels); the text itself when it is no backup id.</summary>
    protected static string TargetOf(string backupId) => BackupId.TryParse(backupId, out var id) ? id.Target : backupId;
}
