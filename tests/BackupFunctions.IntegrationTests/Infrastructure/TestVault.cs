using Azure.Storage.Blobs;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>A fresh Azurite container with a runtime over it; the container is deleted on dispose.</summary>
internal sealed class TestVault : IAsyncDisposable
{
    private TestVault(BackupOptions options, BackupRuntime runtime, BlobContainerClient container)
    {
        Options = options;
        Runtime = runtime;
        Container = container;
    }

    public BackupOptions Options { get; }
    public BackupRuntime Runtime { get; }

    /// <summary>Direct storage access, for tests that tamper with blobs as an attacker or a fault would.</summary>
    public BlobContainerClient Container { get; }

    public static Task<TestVault> CreateAsync(Dictionary<string, TargetOptions> targets, ImmutabilityMode mode = ImmutabilityMode.BestEffort,
        ILoggerFactory? loggers = null, int minRetentionDays = 7, TimeSpan? runningLease = null, TimeProvider? time = null)
    {
        var options = new BackupOptions
        {
            Storage = new StorageOptions
            {
                Connection = TestServers.Storage,
                Container = $"it-{Guid.NewGuid():N}",
                Immutability = new ImmutabilityOptions { Mode = mode, MinRetentionDays = minRetentionDays },
                RunningLease = runningLease ?? RunningMarker.MaxLease,
            },
            Targets = targets,
        };
        options.Local.TaskHub.Name = TaskHubs.NewName(); // each test its own hub: no worker runs another test's work
        Assert.Empty(BackupConfiguration.Validate(options));
        var runtime = BackupRuntime.Create(options, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);
        return Task.FromResult(new TestVault(options, runtime, BackupRuntime.CreateContainerClient(options.Storage)));
    }

    public static TargetOptions Postgres(string connection, string compression = "brotli") =>
        new() { Engine = "postgres", Connection = connection, Compression = compression };

    public async ValueTask DisposeAsync()
    {
        await Container.DeleteIfExistsAsync();
        await TaskHubs.DeleteAsync(Options.Local.TaskHub.Name);
    }
}
