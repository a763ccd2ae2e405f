using System.Text.Json;
using Azure.Storage.Blobs;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>One backup's folder as storage holds it, blob by blob: whole when its manifest is there.</summary>
internal sealed record BackupFolder(string Prefix, IReadOnlyDictionary<string, long> Blobs)
{
    public bool HasManifest => Blobs.Keys.Any(b => b.EndsWith("/" + BlobLayout.ManifestFileName, StringComparison.Ordinal));
}

/// <summary>
/// What a fault left in a vault, read past the catalog (raw blob listings), checked against what
/// the catalog shows: a listed backup must be whole and verify; anything else must stay unlisted.
/// </summary>
internal static class VaultAudit
{
    /// <summary>Every backup folder ({target}/{yyyy}/{MM}/{dd}/{backupId}/) in the container, with or without a manifest.</summary>
    public static async Task<IReadOnlyList<BackupFolder>> FoldersAsync(BlobContainerClient container)
    {
        var folders = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        if (!await container.ExistsAsync())
        {
            return [];
        }

        await foreach (var blob in container.GetBlobsAsync())
        {
            string[] parts = blob.Name.Split('/');
            if (parts.Length > 5 && !blob.Name.StartsWith(BlobLayout.RunsPrefix, StringComparison.Ordinal))
            {
                string prefix = string.Join('/', parts[..5]) + "/";
                (folders.TryGetValue(prefix, out var blobs) ? blobs : folders[prefix] = new(StringComparer.Ordinal))[blob.Name] = blob.Properties.ContentLength ?? -1;
            }
        }

        return [.. folders.Select(f => new BackupFolder(f.Key, f.Value))];
    }

    /// <summary>
    /// `backupfn list --json` shows exactly the backups whose manifest exists, each with its data
    /// blob at the stored size, and `backupfn verify ID` passes (exit 0) for each one not in
    /// <paramref name="verified"/> yet (a backup is write-once: verified once is enough). Returns the listed ids.
    /// </summary>
    public static async Task<IReadOnlyList<string>> AssertListedAreWholeAsync(CliRunner cli, BlobContainerClient container, HashSet<string> verified)
    {
        var list = await cli.RunAsync("list", "--json");
        Assert.True(list.Exit == 0, list.Err);
        var listed = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Select(e => e.GetProperty("manifest")).ToList();
        var folders = await FoldersAsync(container);
        var withManifest = folders.Where(f => f.HasManifest).Select(f => f.Prefix).Order(StringComparer.Ordinal).ToList();
        var ids = listed.Select(m => m.GetProperty("id").GetString()!).ToList();
        Assert.Equal(withManifest, ids.Select(id => PrefixOf(id)).Order(StringComparer.Ordinal).ToList());
        foreach (var manifest in listed)
        {
            string id = manifest.GetProperty("id").GetString()!;
            string data = manifest.GetProperty("blobs").GetProperty("data").GetString()!;
            var folder = folders.Single(f => f.Prefix == PrefixOf(id));
            Assert.True(folder.Blobs.TryGetValue(data, out long size), $"{id} is listed but its data blob {data} is missing");
            Assert.Equal(manifest.GetProperty("storedBytes").GetInt64(), size);
            if (verified.Add(id))
            {
                var verify = await cli.RunAsync("verify", id);
                Assert.True(verify.Exit == 0, $"backupfn verify {id}: exit {verify.Exit}: {verify.Out}{verify.Err}");
            }
        }

        return ids;
    }

    /// <summary>The folder a backup id names.</summary>
    public static string PrefixOf(string backupId) =>
        BackupId.TryParse(backupId, out var id) ? BlobLayout.BackupPrefix(id) : throw new FormatException($"'{backupId}' is not a backup id");
}
