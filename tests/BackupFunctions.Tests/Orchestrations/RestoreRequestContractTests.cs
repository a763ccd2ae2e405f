using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Orchestrations.Intake;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BackupFunctions.Tests.Orchestrations;

/// <summary>The queue contract's destinations (a target or a Key Vault secret name, never a connection string), and following a request to its outcome.</summary>
public class RestoreRequestContractTests
{
    private static RestoreIntake Intake(string? keyVaultUri)
    {
        var options = new BackupOptions
        {
            KeyVaultUri = keyVaultUri,
            Targets = { ["orders"] = new TargetOptions { Engine = "postgres", Connection = "Host=x;Database=orders" } },
        };
        return new RestoreIntake(BackupRuntime.Create(options, TimeProvider.System, NullLoggerFactory.Instance), client: null!); // Parse never starts anything
    }

    [Theory]
    [InlineData("""{"backupId":"orders-20261122T020000Z-3f9a","destinationSecret":"orders-restore-conn"}""", null)]
    [InlineData("""{"backupId":"orders-20261122T020000Z-3f9a","destination":"orders","destinationSecret":"x"}""", "give either 'destination' or 'destinationSecret', not both")]
    [InlineData("""{"backupId":"orders-20261122T020000Z-3f9a","destinationSecret":"Host=db;Password=hunter2"}""", "'destinationSecret' must name a Key Vault secret (1-127 letters, digits and hyphens); a connection string is never accepted in a message")]
    [InlineData("""{"backupId":"orders-20261122T020000Z-3f9a","destinationConnection":"Host=db;Password=hunter2"}""", "'destinationConnection' is refused: a connection string is never accepted in a message")]
    [InlineData("""{"backupId":"orders-20261122T020000Z-3f9a"}""", "missing 'destination' (the configured target to restore into), or 'destinationSecret'")]
    public void Destination_IsATargetOrASecretName_NeverAConnectionString(string json, string? problem)
    {
        string? found = Intake("https://vault.example.net/").Parse(json, out var request);

        if (problem is null)
        {
            Assert.Null(found);
            Assert.Equal("secret:orders-restore-conn", request!.DestinationName);
        }
        else
        {
            Assert.StartsWith(problem, found, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", found, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ASecretDestination_NeedsKeyVaultOnTheHostThatRestores()
    {
        string? problem = Intake(null).Parse("""{"backupId":"orders-20261122T020000Z-3f9a","destinationSecret":"orders-restore-conn"}""", out _);

        Assert.Equal("'destinationSecret' 'orders-restore-conn' needs Backup:KeyVaultUri on the host that restores (set it, or name a configured target in 'destination')", problem);
    }

    [Fact]
    public async Task Watch_ReturnsTheOutcomeOnceRecorded_ReadingOncePerInterval()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var record = new RestoreRecord("req-1", BackupFunctions.Orchestrations.RestoreStatus.Restored, "restored", "orders-20261122T020000Z-3f9a", 1, clock.GetUtcNow());
        int reads = 0;
        var wait = RestoreOutcomeWatch.WaitAsync(_ => Task.FromResult(++reads >= 4 ? record : null), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), clock, CancellationToken.None);

        while (!wait.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1); // lets the watcher's continuation run; what is asserted does not depend on how often this loops
        }

        Assert.Same(record, await wait);
        Assert.Equal(4, reads);
        Assert.True(clock.GetUtcNow() - record.At >= TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Watch_GivesUpAfterTheTimeout_WithNull()
    {
        var clock = new FakeTimeProvider();
        int reads = 0;
        var wait = RestoreOutcomeWatch.WaitAsync(_ => { reads++; return Task.FromResult<RestoreRecord?>(null); }, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), clock, CancellationToken.None);

        while (!wait.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(1);
        }

        Assert.Null(await wait);
        Assert.InRange(reads, 2, 4); // at most one read per 10 s interval (at 0, 10, 20, 30 s), and one after the deadline
        Assert.True(clock.GetUtcNow() >= clock.Start + TimeSpan.FromSeconds(30));
    }
}
