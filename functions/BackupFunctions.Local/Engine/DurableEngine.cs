using System.Diagnostics;
using Azure.Identity;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;
using BackupFunctions.Orchestrations;
using BackupFunctions.Orchestrations.Intake;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Engine;

/// <summary>
/// The local host's Durable Task engine: DurableTask.Core's worker over the Azure Storage
/// orchestration service (Durable Functions' default backend) on the task hub of
/// Backup:Local:TaskHub, running the same TaskOrchestrator/TaskActivity classes as the Azure app
/// through Microsoft.DurableTask's shim factory. Durable: instances, history and timers live in the
/// hub, so a run interrupted by a crash resumes when any process on the hub starts again, and
/// several processes on one hub share the work. See this folder's README for the choices.
/// </summary>
public sealed class DurableEngine : IAsyncDisposable
{
    private readonly TaskHubWorker? _worker;

    private DurableEngine(AzureStorageOrchestrationService service, TaskHubWorker? worker, IOrchestrationClient client, TimeSpan startup)
    {
        Service = service;
        _worker = worker;
        Client = client;
        Startup = startup;
    }

    /// <summary>The intake's client on this hub.</summary>
    public IOrchestrationClient Client { get; }

    internal AzureStorageOrchestrationService Service { get; }

    /// <summary>The settings the hub's service was made with.</summary>
    internal AzureStorageOrchestrationServiceSettings Settings { get; private init; } = null!;

    /// <summary>How long creating the hub and starting the worker took.</summary>
    public TimeSpan Startup { get; }

    /// <summary>
    /// Connects to the task hub (creating its tables, queues and lease blobs when missing) and, when
    /// <paramref name="worker"/> is true, starts a worker that runs orchestrations and activities here.
    /// </summary>
    public static Task<DurableEngine> StartAsync(BackupRuntime runtime, ActivityEnvironment activities, ILoggerFactory loggers,
        bool worker = true, string? workerId = null) =>
        StartAsync(runtime.Options, TaskRegistrations.For(runtime, activities), loggers, worker, workerId);

    /// <summary>Starts an engine that runs <paramref name="tasks"/> (tests swap single activities or add orchestrators).</summary>
    public static async Task<DurableEngine> StartAsync(BackupOptions options, TaskRegistrations tasks, ILoggerFactory loggers,
        bool worker = true, string? workerId = null)
    {
        var clock = Stopwatch.StartNew();
        var hub = options.Local.TaskHub;
        string connection = hub.Connection ?? options.Storage.Connection;
        if (ConnectionProblem(connection) is { } problem)
        {
            throw new BackupConfigurationException($"Backup:{(hub.Connection is null ? "Storage:Connection" : "Local:TaskHub:Connection")} {problem}");
        }

        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = hub.Name,
            StorageAccountClientProvider = ClientProvider(connection),
            PartitionCount = hub.Partitions,
            WorkerId = workerId ?? $"{Environment.MachineName}-{Environment.ProcessId}",
            MaxQueuePollingInterval = TimeSpan.FromSeconds(1),
            WorkItemQueueVisibilityTimeout = hub.WorkItemTimeout,
            // The orchestrator messages a process had dequeued when it died come back after this too, not after Core's 5
            // minutes: a kill between an episode's sending its activity messages and its history checkpoint otherwise
            // left the run waiting 5 minutes, its activity's result refused as out of order (seen in ServeKillTests).
            // Core renews these locks while an episode runs, so a short timeout does not run an episode twice.
            ControlQueueVisibilityTimeout = hub.WorkItemTimeout,
            MaxConcurrentTaskActivityWorkItems = hub.MaxActivities,
            // A duplicate start with a fixed id must throw, never be dropped while returning a made-up execution id.
            ThrowExceptionOnInvalidDedupeStatus = true,
            LoggerFactory = loggers,
        };
        var service = new AzureStorageOrchestrationService(settings);
        await service.CreateIfNotExistsAsync();
        var client = new CoreOrchestrationClient(new TaskHubClient(service, TaskJsonDataConverter.Instance, loggers), service);
        if (!worker)
        {
            return new DurableEngine(service, null, client, clock.Elapsed) { Settings = settings };
        }

        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(TaskJson.Options) }, loggers);
        var taskHubWorker = new TaskHubWorker(service, loggers) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        taskHubWorker.AddTaskOrchestrations([.. tasks.Orchestrators.Select(t =>
            new Creator<TaskOrchestration>(t.Key, () => shims.CreateOrchestration(t.Key, t.Value())))]);
        taskHubWorker.AddTaskActivities([.. tasks.Activities.Select(t =>
            new Creator<DurableTask.Core.TaskActivity>(t.Key, () => shims.CreateActivity(t.Key, t.Value())))]);
        await taskHubWorker.StartAsync();
        return new DurableEngine(service, taskHubWorker, client, clock.Elapsed) { Settings = settings };
    }

    /// <summary>
    /// How long <see cref="WaitAsync"/> keeps following a run while the hub's storage cannot be
    /// reached: as long as the orchestrators' longest retry back-off, since the run itself waits the
    /// outage out in the hub.
    /// </summary>
    public static TimeSpan HubOutageTolerance { get; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Follows an instance until it finishes, polling (the client's own wait polls every 2 s, too
    /// slow for a CLI). Returns the finished status. A poll that fails because the hub's storage is
    /// unreachable is not the run failing (it is durable and goes on when storage returns), so
    /// polling goes on; only an outage longer than <see cref="HubOutageTolerance"/> is passed on.
    /// </summary>
    public async Task<InstanceStatus> WaitAsync(string instanceId, CancellationToken cancellationToken, TimeSpan? poll = null)
    {
        Stopwatch? unreachable = null;
        while (true)
        {
            try
            {
                var status = await Client.GetAsync(instanceId, cancellationToken);
                unreachable = null;
                if (status is { IsActive: false })
                {
                    return status;
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && Failures.Classify(e) == FailureClass.Storage &&
                                      (unreachable ??= Stopwatch.StartNew()).Elapsed < HubOutageTolerance)
            {
                // Storage is away; the SDK has retried this poll already. Ask again.
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>Stops the worker: work items in flight are abandoned to the hub, where another process (or the next start) picks them up.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync(isForced: true);
            _worker.Dispose();
        }

        Service.Dispose();
    }

    /// <summary>
    /// The hub keeps instances and history in the Table service: a connection string that names a
    /// blob endpoint but no table endpoint would send it to the public cloud's default table host.
    /// </summary>
    private static string? ConnectionProblem(string connection) =>
        !Uri.TryCreate(connection, UriKind.Absolute, out _) &&
        connection.Contains("BlobEndpoint=", StringComparison.OrdinalIgnoreCase) &&
        !connection.Contains("TableEndpoint=", StringComparison.OrdinalIgnoreCase)
            ? "names a BlobEndpoint but no TableEndpoint, which the Durable task hub needs (add TableEndpoint=..., e.g. http://127.0.0.1:10002/devstoreaccount1 for Azurite, or set Backup:Local:TaskHub:Connection)"
            : null;

    private static StorageAccountClientProvider ClientProvider(string connection) =>
        Uri.TryCreate(connection, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? new StorageAccountClientProvider(uri.Host.Split('.')[0], new DefaultAzureCredential())
            : new StorageAccountClientProvider(connection);

    /// <summary>
    /// Core's registration of one task. <c>Create</c> runs per execution and must return a new shim:
    /// the orchestration shim keeps per-execution state.
    /// </summary>
    private sealed class Creator<T> : ObjectCreator<T>
    {
        private readonly Func<T> _create;

        public Creator(string name, Func<T> create)
        {
            _create = create;
            Name = name;
            Version = "";
        }

        public override T Create() => _create();
    }
}
