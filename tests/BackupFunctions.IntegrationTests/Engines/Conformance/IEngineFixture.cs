namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// What the engine conformance suite (<see cref="EngineConformanceTests"/>) needs of one engine: a real
/// server of it, or where none can run here its labelled fake. One fixture per test; disposing it
/// removes every server, database, file and directory it made.
/// </summary>
public interface IEngineFixture : IAsyncDisposable
{
    /// <summary>The configuration name of the engine, e.g. "postgres".</summary>
    string Engine { get; }

    /// <summary>
    /// A credential inside <see cref="Source"/>'s connection (a password, an API key) that must never appear in
    /// output, manifests, run reports or errors; null when the engine's connection has none.
    /// </summary>
    string? Secret { get; }

    /// <summary>
    /// The target to back up, as the CLI's configuration takes it (an anonymous object or a dictionary serialized
    /// to JSON: Engine, Connection and any engine settings), already holding representative data.
    /// </summary>
    object Source { get; }

    /// <summary>A new, empty destination of the same engine (a new database, directory, file or collection prefix), as a target object.</summary>
    Task<object> NewDestinationAsync();

    /// <summary>Puts something into <paramref name="destination"/> so that it is not empty.</summary>
    Task MakeNonEmptyAsync(object destination);

    /// <summary>
    /// A canonical description of everything <paramref name="target"/> holds (every row, key, file with its
    /// bytes' hash...), equal for equal data: the suite compares the source's with a restored copy's.
    /// </summary>
    Task<string> ContentAsync(object target);

    /// <summary>Adds enough data to the source that its dump takes more than about two seconds, for the cancellation case.</summary>
    Task GrowAsync();
}
