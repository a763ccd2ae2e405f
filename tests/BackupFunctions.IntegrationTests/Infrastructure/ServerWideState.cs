namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that assert on server-wide state (e.g. that no `backupfn_%` scratch or staging database is
/// left on the shared PostgreSQL) run alone: xunit runs this collection after the parallel ones, so
/// another test's scratch database, created and dropped meanwhile, cannot be counted as a leftover.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerWideState
{
    public const string Name = "server-wide state";
}
