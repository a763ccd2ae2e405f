using System.Formats.Tar;

namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// The backup: per collection, counts points, creates a server-side snapshot, counts again, streams
/// the snapshot's download into the archive (<see cref="QdrantArchive"/>) and deletes the server-side
/// snapshot, on success, failure and cancellation alike. A count that changed across the snapshot's
/// creation is a warning: the snapshot is consistent, but the recorded count may not be its own.
/// </summary>
internal static class QdrantExporter
{
    public static async Task<DumpResult> ExportAsync(QdrantConnection target, QdrantHttpClient client, IReadOnlyList<string>? configured, Stream destination, CancellationToken cancellationToken)
    {
        string version = await client.VersionAsync(cancellationToken);
        var collections = await QdrantCollections.SelectAsync(client, target, configured, cancellationToken);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var warnings = new List<string>();
        long bytes = 0;
        await using (var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (string collection in collections)
            {
                var info = await client.CollectionInfoAsync(collection, cancellationToken)
                    ?? throw new EngineException(FailureKind.NotFound, $"collection '{collection}' on Qdrant at {target.Description} was deleted during the backup (back it up again)");
                long before = await client.CountAsync(collection, cancellationToken);
                var snapshot = await client.CreateSnapshotAsync(collection, cancellationToken);
                bool deleted = false;
                try
                {
                    long after = await client.CountAsync(collection, cancellationToken);
                    if (after != before)
                    {
                        warnings.Add($"collection '{collection}' changed while its snapshot was taken ({before} points before, {after} after): the manifest records {after}; the restore test compares with that");
                    }

                    using (var download = await client.DownloadSnapshotAsync(collection, snapshot.Name, cancellationToken))
                    {
                        long length = download.Content.Headers.ContentLength ?? snapshot.Size;
                        if (length < 0)
                        {
                            throw new EngineException(FailureKind.Failed, $"Qdrant at {target.Description} gave no size for snapshot '{snapshot.Name}' of '{collection}'");
                        }

                        await using var body = await download.Content.ReadAsStreamAsync(cancellationToken);
                        await QdrantArchive.WriteAsync(writer, collection, body, length,
                            $"the download of snapshot '{snapshot.Name}' of '{collection}' from Qdrant at {target.Description}", cancellationToken);
                        bytes += length;
                    }

                    QdrantCollections.Add(counts, collection, after, info);
                    await client.DeleteSnapshotAsync(collection, snapshot.Name, cancellationToken);
                    deleted = true;
                }
                finally
                {
                    if (!deleted)
                    {
                        await DeleteQuietlyAsync(client, collection, snapshot.Name); // failure or cancellation: the original error is the one reported
                    }
                }
            }
        }

        // The snapshots are made by the server itself: the tool's version is the server's.
        return new DumpResult(version, "qdrant REST snapshots", version, QdrantArchive.Format,
            new SourceStats(QdrantCollections.StatsKind, counts, bytes), warnings);
    }

    private static async Task DeleteQuietlyAsync(QdrantHttpClient client, string collection, string snapshot)
    {
        try
        {
            await client.DeleteSnapshotAsync(collection, snapshot, CancellationToken.None);
        }
        catch (Exception e) when (e is EngineException or HttpRequestException)
        {
            // the server is gone or refuses: the snapshot stays until it is deleted by hand
        }
    }
}
