namespace BackupFunctions.Engines;

/// <summary>
/// One database engine: dump, structural check, restore, and the statistics used to prove a
/// restore. Connections are passed per call as strings in the engine's own format; messages and
/// records only ever show <see cref="Describe"/>'s redacted form. Failures a person can fix throw
/// <see cref="EngineException"/> with a one-line message; nothing here retries.
/// </summary>
public interface IDatabaseEngine
{
    /// <summary>The configuration and manifest name, e.g. "postgres".</summary>
    string Name { get; }

    /// <summary>File extension of the raw dump, before any compression suffix, e.g. "pgdump".</summary>
    string DataExtension { get; }

    /// <summary>host:port/database, never credentials. Throws <see cref="EngineException"/> (Configuration) when malformed.</summary>
    string Describe(string connection);

    /// <summary>Rough size of the source, for progress ETA; null when unknown.</summary>
    Task<long?> EstimateSizeAsync(string connection, CancellationToken cancellationToken);

    /// <summary>
    /// Streams a consistent dump into <paramref name="destination"/> (no temporary file, unless the engine's only
    /// consistent copy is a file: SQLite, see its README) and returns statistics taken in the same snapshot.
    /// Does not dispose <paramref name="destination"/>.
    /// </summary>
    Task<DumpResult> DumpAsync(string connection, Stream destination, CancellationToken cancellationToken);

    /// <summary>
    /// Checks that <paramref name="dump"/> is a well-formed dump holding what <paramref name="expected"/>
    /// describes. May stop reading early; the caller drains the rest.
    /// </summary>
    Task<StructureCheck> CheckStructureAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken);

    /// <summary>
    /// Restores <paramref name="dump"/> into the destination. Refuses a non-empty destination unless
    /// <see cref="RestoreOptions.Replace"/>; a failed restore leaves the destination as it was.
    /// </summary>
    Task RestoreAsync(Stream dump, string destinationConnection, RestoreOptions options, CancellationToken cancellationToken);

    /// <summary>The same statistics as a dump records, read from a live database.</summary>
    Task<SourceStats> ReadStatsAsync(string connection, CancellationToken cancellationToken);

    /// <summary>
    /// A new scratch destination for a restore test: on the RestoreTest server when one is configured, else beside
    /// the source (a new database, or spare ones the source does not use); disposing it drops it.
    /// </summary>
    Task<IScratchDatabase> CreateScratchAsync(ScratchRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// The parts of a backup this engine can restore alone (<see cref="RestoreOptions.Selection"/>); none unless
    /// the engine says so, and a restore with any other filter is refused before it starts.
    /// </summary>
    IReadOnlyList<RestoreFilter> RestoreFilters => [];

    /// <summary>
    /// The statistics a restore of <paramref name="selection"/> should produce, from the backup's; null when the
    /// engine cannot tell (the counts are then not compared). The whole backup for an empty selection.
    /// </summary>
    SourceStats? ExpectedAfterRestore(SourceStats backup, RestoreSelection selection) => selection.IsEmpty ? backup : null;

    /// <summary>
    /// Whether the destination exists at all (a safety backup before --replace has nothing to save otherwise).
    /// True unless the engine can tell, e.g. a PostgreSQL database that is not there yet.
    /// </summary>
    Task<bool> DestinationExistsAsync(string connection, CancellationToken cancellationToken) => Task.FromResult(true);
}

/// <summary>Statistics of a database: <see cref="Kind"/> says what <see cref="Counts"/> counts (e.g. "rowsPerTable").</summary>
public sealed record SourceStats(string Kind, IReadOnlyDictionary<string, long> Counts, long? SizeBytes);

/// <summary>What a dump was and what it holds; <paramref name="Warnings"/> are facts a reader of the manifest must know (e.g. the source changed during a non-snapshot export).</summary>
public sealed record DumpResult(string EngineVersion, string Tool, string ToolVersion, string Format, SourceStats Stats, IReadOnlyList<string>? Warnings = null);

/// <summary>Result of a structural check: valid or not, with the reason.</summary>
public sealed record StructureCheck(bool IsValid, string Detail);

/// <summary>
/// Restore switches: replace a non-empty destination; a restore test may relax ownership;
/// <paramref name="VerifyBeforeSwap"/> runs after the engine has read the whole dump and before the
/// restored data replaces the destination, and throws to abandon the restore (checksums);
/// <paramref name="Selection"/> restores only part of the backup (null: all of it).
/// </summary>
public sealed record RestoreOptions(bool Replace, bool ForTest = false, Func<CancellationToken, Task>? VerifyBeforeSwap = null, RestoreSelection? Selection = null)
{
    /// <summary>The selection, or null when the whole backup is restored.</summary>
    public RestoreSelection? Selected => Selection is { IsEmpty: false } ? Selection : null;
}

/// <summary>
/// What a restore test asks of <see cref="IDatabaseEngine.CreateScratchAsync"/>: the source's connection, the RestoreTest
/// connection (null when none is configured) and what the backup holds (its manifest's source stats).
/// </summary>
public sealed record ScratchRequest(string SourceConnection, string? RestoreTestConnection, SourceStats Backup);

/// <summary>A scratch destination that is dropped when disposed, even after a failure or a cancellation.</summary>
public interface IScratchDatabase : IAsyncDisposable
{
    /// <summary>Redacted description for messages: where the restore test restores.</summary>
    string Description { get; }

    /// <summary>Restores into the scratch destination, as <see cref="IDatabaseEngine.RestoreAsync"/> does into a destination.</summary>
    Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken);

    /// <summary>The statistics of what was restored, named as the backup names them (see <see cref="IDatabaseEngine.ReadStatsAsync"/>).</summary>
    Task<SourceStats> ReadStatsAsync(CancellationToken cancellationToken);
}
