using System.Formats.Tar;

namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// Verify: the archive reads to its end; every entry is a non-empty <c>{collection}.snapshot</c> that
/// is itself a tar read to its end (a Qdrant snapshot is one); and the collections are exactly those the
/// manifest counts. Point counts live inside Qdrant's segment files, which only Qdrant reads: they
/// are proved by the restore test, not here.
/// </summary>
internal static class QdrantVerifier
{
    public static async Task<StructureCheck> CheckAsync(Stream dump, SourceStats expected, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        long files = 0;
        try
        {
            await using var reader = new TarReader(dump, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                string collection = QdrantArchive.CollectionOf(entry);
                if (entry.Length == 0 || entry.DataStream is null)
                {
                    return Invalid($"the snapshot of '{collection}' is empty");
                }

                long inner = await CountFilesAsync(entry.DataStream, cancellationToken);
                if (inner == 0)
                {
                    return Invalid($"the snapshot of '{collection}' is a tar with no files in it");
                }

                files += inner;
                found.Add(collection);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            return Invalid(e.Message);
        }

        var manifest = expected.Counts.Keys.Where(k => !k.Contains('/', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var missing = manifest.Where(c => !found.Contains(c, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var unexpected = found.Where(c => !manifest.Contains(c)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            return Invalid(string.Join("; ", new[]
            {
                missing.Count > 0 ? $"no snapshot of {string.Join(", ", missing.Select(c => $"'{c}'"))} the manifest lists" : null,
                unexpected.Count > 0 ? $"snapshots of {string.Join(", ", unexpected.Select(c => $"'{c}'"))} the manifest does not list" : null,
            }.OfType<string>()));
        }

        return new StructureCheck(true, $"{QdrantArchive.Format}: {found.Count} collection snapshots as the manifest lists, each a tar read to its end ({files} files)");
    }

    /// <summary>Reads a snapshot as a tar to its end and counts its entries; a snapshot that is not a tar throws InvalidDataException.</summary>
    private static async Task<long> CountFilesAsync(Stream snapshot, CancellationToken cancellationToken)
    {
        long count = 0;
        await using var reader = new TarReader(snapshot, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is not null)
        {
            count++;
        }

        return count;
    }

    private static StructureCheck Invalid(string detail) => new(false, $"{QdrantArchive.Format}: {detail}");
}
