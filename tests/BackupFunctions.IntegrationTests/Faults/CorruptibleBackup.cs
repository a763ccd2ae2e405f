using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Hosts.Local.Cli;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Faults;

/// <summary>
/// One small real PostgreSQL backup (and a second one of the same database, for a manifest that
/// points at another backup's data) that tests damage and then put back byte for byte, so many
/// corruption cases share one backup. Targets: "src" (the source), "copy" (an existing database
/// holding only a sentinel table, restored into with replace) and "fresh" (a database that must
/// never be created). <see cref="Cli"/> runs backupfn in-process on the same container.
/// </summary>
public sealed class CorruptibleBackup : IAsyncLifetime
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g;";
    private const string Sentinel = "CREATE TABLE sentinel(v text); INSERT INTO sentinel VALUES ('before');";

    private TestDatabase _source = null!;
    private byte[] _data = [];
    private IDictionary<string, string> _dataMetadata = new Dictionary<string, string>();
    private BinaryData _manifestJson = null!;

    internal TestDatabase Copy { get; private set; } = null!;
    internal TestDatabase Fresh { get; } = TestDatabase.Named("fault_fresh");
    internal TestVault Vault { get; private set; } = null!;
    internal CliRunner Cli { get; private set; } = null!;
    internal BackupManifest Manifest { get; private set; } = null!;
    internal BackupManifest Other { get; private set; } = null!;

    /// <summary>The stored data blob as the backup wrote it.</summary>
    internal ReadOnlyMemory<byte> Data => _data;

    public async Task InitializeAsync()
    {
        _source = await TestDatabase.CreateAsync("fault_src", Table);
        Copy = await TestDatabase.CreateAsync("fault_copy", Sentinel);
        Vault = await TestVault.CreateAsync(new()
        {
            ["src"] = TestVault.Postgres(_source.Connection),
            ["copy"] = TestVault.Postgres(Copy.Connection),
            ["fresh"] = TestVault.Postgres(Fresh.Connection),
        });
        Cli = new CliRunner(new()
        {
            ["src"] = CliRunner.Postgres(_source.Connection),
            ["copy"] = CliRunner.Postgres(Copy.Connection),
            ["fresh"] = CliRunner.Postgres(Fresh.Connection),
        }, container: Vault.Options.Storage.Container);

        var backup = Vault.Runtime.BackupDatabaseActivity();
        Manifest = await ManifestAsync((await backup.RunAsync(new BackupDatabaseInput("src"), null, CancellationToken.None)).BackupId);
        string otherId = BackupId.New("src", DateTimeOffset.UtcNow.AddMinutes(1), new Random(7)).Value;
        Other = await ManifestAsync((await backup.RunAsync(new BackupDatabaseInput("src", otherId), null, CancellationToken.None)).BackupId);

        var blob = Vault.Container.GetBlobClient(Manifest.Blobs.Data);
        _data = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        _dataMetadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        _manifestJson = (await Vault.Container.GetBlobClient(Manifest.Blobs.Manifest).DownloadContentAsync()).Value.Content;
    }

    /// <summary>Overwrites the data blob (keeping its metadata), as bit rot or a bad disk would.</summary>
    internal Task ReplaceDataAsync(ReadOnlyMemory<byte> bytes) =>
        Vault.Container.GetBlobClient(Manifest.Blobs.Data).UploadAsync(new BinaryData(bytes), new BlobUploadOptions { Metadata = _dataMetadata });

    /// <summary>Overwrites the manifest with an edited copy of the original.</summary>
    internal Task EditManifestAsync(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(_manifestJson.ToString())!.AsObject();
        edit(json);
        return Vault.Container.GetBlobClient(Manifest.Blobs.Manifest).UploadAsync(BinaryData.FromString(json.ToJsonString()), overwrite: true);
    }

    /// <summary>Puts the original data blob and manifest back.</summary>
    internal async Task RepairAsync()
    {
        await ReplaceDataAsync(_data);
        await Vault.Container.GetBlobClient(Manifest.Blobs.Manifest).UploadAsync(_manifestJson, overwrite: true);
    }

    /// <summary>The public tables of "copy" and the sentinel's rows: <see cref="UntouchedCopy"/> while no restore replaced it.</summary>
    internal async Task<string> CopyStateAsync()
    {
        string tables = string.Join(",", await TestServers.ColumnAsync(Copy.Name,
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"));
        return tables == "sentinel" ? $"{tables}:{string.Join(",", await TestServers.ColumnAsync(Copy.Name, "SELECT v FROM sentinel"))}" : tables;
    }

    internal const string UntouchedCopy = "sentinel:before";

    private async Task<BackupManifest> ManifestAsync(string backupId)
    {
        Assert.True(BackupId.TryParse(backupId, out var id));
        return (await Vault.Runtime.Vault.ReadManifestAsync(id, CancellationToken.None))!;
    }

    public async Task DisposeAsync()
    {
        await Cli.DisposeAsync();
        await Vault.DisposeAsync();
        await _source.DisposeAsync();
        await Copy.DisposeAsync();
        await Fresh.DisposeAsync();
    }
}
