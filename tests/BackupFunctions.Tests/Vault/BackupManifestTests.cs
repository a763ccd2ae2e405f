using BackupFunctions.Activities.Health;
using BackupFunctions.Vault.Storage;
using System.Text.Json;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Tests.Vault;

public class BackupManifestTests
{
    internal static BackupManifest Sample() => new()
    {
        Id = "orders-20261122T020000Z-3f9a",
        Target = "orders",
        Engine = "postgres",
        EngineVersion = "15.18",
        Tool = "pg_dump",
        ToolVersion = "15.18",
        Format = "pg_dump custom archive (-Fc -Z0)",
        Source = "127.0.0.1:5432/orders",
        StartedAt = new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero),
        CompletedAt = new DateTimeOffset(2026, 11, 22, 2, 0, 5, TimeSpan.Zero),
        Compression = "brotli",
        Encryption = null,
        RawBytes = 1000,
        StoredBytes = 400,
        Sha256Raw = new string('a', 64),
        Sha256Stored = new string('b', 64),
        Blobs = new ManifestBlobs("orders/2026/11/22/orders-20261122T020000Z-3f9a/data.pgdump.br", "orders/2026/11/22/orders-20261122T020000Z-3f9a/manifest.json"),
        SourceStats = new SourceStatsRecord("rowsPerTable", new Dictionary<string, long> { ["public.orders"] = 10 }, 8192),
        Immutability = new ImmutabilityRecord(ImmutabilityMode.BestEffort, ImmutabilityStatus.UnsupportedByStore, null, "HTTP 501"),
    };

    [Fact]
    public void Serialize_UsesTheContractFieldNames()
    {
        using var doc = JsonDocument.Parse(VaultJson.Serialize(Sample()).ToString());
        var root = doc.RootElement;

        foreach (string field in new[] { "schemaVersion", "id", "target", "engine", "engineVersion", "tool", "toolVersion", "format",
                     "startedAt", "completedAt", "compression", "encryption", "rawBytes", "storedBytes", "sha256Raw", "sha256Stored",
                     "blobs", "sourceStats", "immutability" })
        {
            Assert.True(root.TryGetProperty(field, out _), $"manifest has no '{field}'");
        }

        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("encryption").ValueKind);
        Assert.Equal(10, root.GetProperty("sourceStats").GetProperty("counts").GetProperty("public.orders").GetInt64());
    }

    [Fact]
    public void Deserialize_RoundTripsEveryField()
    {
        var original = Sample();

        var copy = VaultJson.Deserialize<BackupManifest>(VaultJson.Serialize(original));

        Assert.Equal(original with { SourceStats = copy.SourceStats }, copy);
        Assert.Equal(original.SourceStats.Counts, copy.SourceStats.Counts);
    }
}

public class BackupManifestVersionTests
{
    [Fact]
    public void CheckRecord_WritesByAndFindingsOnlyWhenItHasThem_AndReadsBothShapes()
    {
        var at = DateTimeOffset.Parse("2026-11-29T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var verify = new CheckRecord("orders-20261129T100000Z-ab12", "verify", "Ok", "SHA-256 and size match", at, at);
        var ack = verify with { Kind = "ack", Outcome = "Acknowledged", By = "alice",
            Findings = [new BackupFunctions.Vault.Anomalies.AnomalyFinding("public.orders", 2000, 200, -90)] };

        string verifyJson = VaultJson.Serialize(verify).ToString();
        string ackJson = VaultJson.Serialize(ack).ToString();

        Assert.DoesNotContain("\"by\"", verifyJson, StringComparison.Ordinal);
        Assert.DoesNotContain("\"findings\"", verifyJson, StringComparison.Ordinal);
        Assert.Contains("\"by\": \"alice\"", ackJson, StringComparison.Ordinal);
        Assert.Equal(verify, VaultJson.Deserialize<CheckRecord>(BinaryData.FromString(verifyJson)));
        var readBack = VaultJson.Deserialize<CheckRecord>(BinaryData.FromString(ackJson));
        Assert.Equal(("alice", "public.orders"), (readBack.By, readBack.Findings![0].Name));
        // A record written before this change (explicit nulls) still reads.
        Assert.Null(VaultJson.Deserialize<CheckRecord>(BinaryData.FromString(verifyJson.Replace("\"outcome\"", "\"by\": null, \"findings\": null, \"outcome\"", StringComparison.Ordinal))).By);
    }

    [Fact]
    public void Parse_NewerSchemaVersion_IsRefusedWithAnUpgradeHint()
    {
        var future = BackupManifestTests.Sample() with { SchemaVersion = BackupManifest.CurrentSchemaVersion + 1 };

        var error = Assert.Throws<BackupFunctions.Vault.Storage.VaultException>(() => BackupManifest.Parse(VaultJson.Serialize(future), "m.json"));

        Assert.Contains("upgrade backupfn", error.Message, StringComparison.Ordinal);
    }
}
