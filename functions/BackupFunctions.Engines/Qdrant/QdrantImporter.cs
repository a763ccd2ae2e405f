using System.Formats.Tar;
using System.Security.Cryptography;

namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// Restore: each <c>{collection}.snapshot</c> of the archive is uploaded as it is read
/// (<c>snapshots/upload?priority=snapshot</c>, streamed). A collection that does not exist is
/// recovered straight into its name. An existing one is refused unless Replace; with Replace it is
/// recovered into a staging collection first, and only after the whole archive was read and
/// <see cref="RestoreOptions.VerifyBeforeSwap"/> passed is the staging copy snapshotted and recovered over it
/// (Qdrant cannot rename a collection). A failure before that point deletes every collection this restore
/// created, staging ones included, so the destination is as it was.
/// </summary>
internal sealed class QdrantImporter(QdrantConnection target, QdrantHttpClient client, string prefix)
{
    private readonly List<string> _created = [];
    private readonly List<(string Staging, string Destination)> _staged = [];
    private readonly string _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public async Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await using (var reader = new TarReader(dump, leaveOpen: true))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
                {
                    await UploadAsync(entry, options.Replace, cancellationToken);
                }
            }

            if (options.VerifyBeforeSwap is not null)
            {
                await options.VerifyBeforeSwap(cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            await RemoveCreatedAsync();
            throw new EngineException(FailureKind.Failed, $"restore into Qdrant at {target.Description} stopped, nothing kept: {e.Message}", e);
        }
        catch
        {
            await RemoveCreatedAsync(); // refused, failed checksums, a server error, cancellation: take out what this restore made
            throw;
        }

        try
        {
            foreach (var (staging, destination) in _staged)
            {
                await SwapAsync(staging, destination, cancellationToken);
            }
        }
        finally
        {
            await DeleteQuietlyAsync(_staged.Select(s => s.Staging));
        }
    }

    private async Task UploadAsync(TarEntry entry, bool replace, CancellationToken cancellationToken)
    {
        string destination = prefix + QdrantArchive.CollectionOf(entry);
        bool exists = await client.CollectionInfoAsync(destination, cancellationToken) is not null;
        if (exists && !replace)
        {
            throw new EngineException(FailureKind.Refused,
                $"collection '{destination}' already exists on Qdrant at {target.Description}: restore into a server without it, or pass --replace (which replaces it after the whole backup has been read and verified)");
        }

        string into = destination;
        if (exists)
        {
            into = $"{QdrantCollections.ReservedPrefix}staging-{_token}-{destination}";
            _staged.Add((into, destination));
        }
        else
        {
            _created.Add(destination);
        }

        await client.UploadSnapshotAsync(into, entry.DataStream ?? Stream.Null, entry.Length, cancellationToken);
    }

    /// <summary>Replaces <paramref name="destination"/> with the staged copy: a snapshot of it, downloaded and uploaded over the destination (the caller deletes the staging collection).</summary>
    private async Task SwapAsync(string staging, string destination, CancellationToken cancellationToken)
    {
        var snapshot = await client.CreateSnapshotAsync(staging, cancellationToken);
        try
        {
            using var download = await client.DownloadSnapshotAsync(staging, snapshot.Name, cancellationToken);
            await using var body = await download.Content.ReadAsStreamAsync(cancellationToken);
            await client.UploadSnapshotAsync(destination, body, download.Content.Headers.ContentLength ?? snapshot.Size, cancellationToken);
        }
        finally
        {
            try
            {
                await client.DeleteSnapshotAsync(staging, snapshot.Name, CancellationToken.None);
            }
            catch (Exception e) when (e is EngineException or HttpRequestException)
            {
                // the staging collection is deleted next, whatever happens here
            }
        }
    }

    private Task RemoveCreatedAsync() => DeleteQuietlyAsync(_created.Concat(_staged.Select(s => s.Staging)));

    private async Task DeleteQuietlyAsync(IEnumerable<string> collections)
    {
        foreach (string collection in collections)
        {
            try
            {
                await client.DeleteCollectionAsync(collection, CancellationToken.None);
            }
            catch (Exception e) when (e is EngineException or HttpRequestException)
            {
                // the server is gone or refuses: the original failure is the one reported
            }
        }
    }
}
