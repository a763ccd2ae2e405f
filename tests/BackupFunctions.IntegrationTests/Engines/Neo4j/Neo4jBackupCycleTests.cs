using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Engines.Neo4j;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.IntegrationTests.Engines.Neo4j;

/// <summary>A Neo4j target through the same activities as every target: the labelled fake Neo4j server and a real Azurite.</summary>
public class Neo4jBackupCycleTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Backup_Verify_RestoreTest_Restore()
    {
        await using var fake = await FakeNeo4jServer.StartAsync();
        fake.Databases["copy"] = new FakeNeo4jServer.Graph();
        await new Neo4jEngine().RestoreAsync(new MemoryStream(Neo4jTestGraph.Export(300)), fake.Connection(), new RestoreOptions(false), None);
        var target = new TargetOptions
        {
            Engine = "neo4j",
            Connection = $"http://{fake.User}:{fake.Password}@{fake.Uri.Host}:{fake.Uri.Port}", // the URL form, with the database set apart as DESIGN shows
            Database = "neo4j",
            RestoreTest = new RestoreTestOptions { Connection = fake.Connection("scratch") },
        };
        await using var vault = await TestVault.CreateAsync(new() { ["graph"] = target, ["graph-copy"] = new TargetOptions { Engine = "neo4j", Connection = fake.Connection("copy") } });

        var backup = await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("graph"), null, None);
        var verify = await vault.Runtime.VerifyBackupActivity().RunAsync(backup.BackupId, null, None);
        var test = await vault.Runtime.RestoreTestActivity().RunAsync(backup.BackupId, null, None);
        var restore = await vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(backup.BackupId, "graph-copy", Replace: false), null, None);

        Assert.True(BackupId.TryParse(backup.BackupId, out var id));
        var manifest = (await vault.Runtime.Vault.ReadManifestAsync(id, None))!;
        Assert.Equal("neo4j", manifest.Engine);
        Assert.Equal("5.26.0 community", manifest.EngineVersion);
        Assert.EndsWith(".neo4j.jsonl.zst", manifest.Blobs.Data, StringComparison.Ordinal);
        Assert.Equal($"{fake.Uri.Host}:{fake.Uri.Port}/neo4j", manifest.Source);
        Assert.Equal(300, manifest.SourceStats.Counts["nodes"]);
        Assert.Null(manifest.Warnings);
        Assert.DoesNotContain(fake.Password, VaultJson.Serialize(manifest).ToString(), StringComparison.Ordinal);
        Assert.Equal(VerificationStatus.Ok, verify.Status);
        Assert.Contains("300 nodes and 341 relationships as the manifest says", verify.Detail, StringComparison.Ordinal);
        Assert.True(test.Passed, test.Detail);
        Assert.Contains("counts match (641 in total)", test.Detail, StringComparison.Ordinal);
        Assert.Empty(fake.Databases["scratch"].Nodes); // the scratch database was emptied again
        Assert.True(restore.CountsMatch, restore.Detail);
        Assert.Equal(300, fake.Databases["copy"].Nodes.Count);
        Assert.Contains(fake.Statements, s => s == Neo4jStatements.Sample); // the restore test read a sample back
    }
}
