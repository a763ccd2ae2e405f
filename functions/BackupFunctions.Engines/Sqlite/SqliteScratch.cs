namespace BackupFunctions.Engines.Sqlite;

/// <summary>The restore test's destination: <c>copy.db</c> in a temporary folder of its own, deleted with the folder when disposed.</summary>
internal sealed class SqliteScratch(SqliteEngine engine, SqliteTempFolder folder) : IScratchDatabase
{
    private string Connection => SqliteFile.ConnectionString(folder.Database);

    public string Description => folder.Database;

    public Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken) =>
        engine.RestoreAsync(dump, Connection, options, cancellationToken);

    public Task<SourceStats> ReadStatsAsync(CancellationToken cancellationToken) => engine.ReadStatsAsync(Connection, cancellationToken);

    public ValueTask DisposeAsync()
    {
        folder.Dispose();
        return ValueTask.CompletedTask;
    }
}
