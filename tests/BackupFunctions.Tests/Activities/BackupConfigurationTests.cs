using BackupFunctions.Activities.Configuration;
using Microsoft.Extensions.Configuration;

namespace BackupFunctions.Tests.Activities;

public class BackupConfigurationTests
{
    private static BackupOptions Bind(params (string Key, string? Value)[] settings)
    {
        // Later settings win, as a later configuration source would.
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        return BackupConfiguration.Bind(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    private static string Error(params (string Key, string? Value)[] settings) =>
        Assert.Throws<BackupConfigurationException>(() => Bind(settings)).Message;

    private const string Conn = "Host=127.0.0.1;Username=app;Password=pw;Database=orders";

    [Fact]
    public void Bind_ValidTarget_UsesDefaults()
    {
        var options = Bind(("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:Connection", Conn));

        Assert.Equal("backups", options.Storage.Container);
        Assert.Equal("UseDevelopmentStorage=true", options.Storage.Connection);
        Assert.Equal(4, options.MaxParallelTargets);
        Assert.Equal("zstd", options.Targets["orders"].Compression);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Storage.RunningLease);
        var anomaly = options.Targets["orders"].Anomaly;
        Assert.Equal((true, 50.0, 300.0, 5), (anomaly.Enabled, anomaly.MaxShrinkPercent, anomaly.MaxGrowPercent, anomaly.Window));
    }

    [Fact]
    public void Bind_AnomalyEnabledFalse_TurnsTheGuardOff()
    {
        var options = Bind(("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:Connection", Conn), ("Backup:Targets:orders:Anomaly:Enabled", "false"));

        Assert.False(options.Targets["orders"].Anomaly.Enabled);
    }

    [Fact]
    public void Bind_SqliteTarget_TakesTempDirectory()
    {
        var options = Bind(("Backup:Targets:app:Engine", "sqlite"), ("Backup:Targets:app:Connection", "Data Source=/data/app.db"),
            ("Backup:Targets:app:TempDirectory", Path.GetTempPath()));

        Assert.Equal(Path.GetTempPath(), options.Targets["app"].TempDirectory);
    }

    [Theory]
    [InlineData("Backup:Targets:app:Connection", "Data Source=/data/app.db;Password=s3cret-pw", "Backup:Targets:app:Connection: the SQLite connection for /data/app.db has Password=")]
    [InlineData("Backup:Targets:app:Connection", "Data Source=:memory:", "Backup:Targets:app:Connection: the SQLite connection names no database file")]
    [InlineData("Backup:Targets:app:TempDirectory", "/no/such/folder", "Backup:Targets:app:TempDirectory '/no/such/folder' does not exist")]
    [InlineData("Backup:Targets:app:RestoreTest:Connection", "Data Source=/data/scratch.db", "Backup:Targets:app:RestoreTest is not used by sqlite targets")]
    public void Bind_InvalidSqliteTarget_NamesTheKeyToFix(string key, string value, string expected)
    {
        string message = Error(("Backup:Targets:app:Engine", "sqlite"), ("Backup:Targets:app:Connection", "Data Source=/data/app.db"), (key, value));

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_TempDirectoryOnAnotherEngine_IsAnError()
    {
        string message = Error(("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:Connection", Conn), ("Backup:Targets:orders:TempDirectory", "/tmp"));

        Assert.Contains("Backup:Targets:orders:TempDirectory is a SQLite setting (remove it, or set Engine to sqlite)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_QdrantTarget_TakesApiKeyAndCollections()
    {
        var options = Bind(("Backup:Targets:vectors:Engine", "qdrant"), ("Backup:Targets:vectors:Connection", "http://127.0.0.1:6333"),
            ("Backup:Targets:vectors:ApiKey", "k"), ("Backup:Targets:vectors:Collections:0", "docs"), ("Backup:Targets:vectors:Collections:1", "images"));

        Assert.Equal(["docs", "images"], options.Targets["vectors"].Collections!);
        Assert.Equal("k", options.Targets["vectors"].ApiKey);
    }

    [Theory]
    [InlineData("Backup:Targets:vectors:Connection", "127.0.0.1:6333", "Backup:Targets:vectors:Connection: the Qdrant connection needs an http(s) URL")]
    [InlineData("Backup:Targets:vectors:Connection", "http://user:pw@127.0.0.1:6333", "put the API key in ApiKey or ApiKeySecret, not in the URL")]
    [InlineData("Backup:Targets:vectors:RestoreTest:Connection", "tcp://127.0.0.1:6334", "Backup:Targets:vectors:RestoreTest:Connection: the Qdrant connection needs an http(s) URL")]
    [InlineData("Backup:Targets:vectors:ApiKeySecret", "qdrant-key", "Backup:Targets:vectors: set ApiKey or ApiKeySecret, not both")]
    [InlineData("Backup:Targets:vectors:Collections:0", "a/b", "Backup:Targets:vectors:Collections has an empty name or one with '/'")]
    public void Bind_InvalidQdrantTarget_NamesTheKeyToFix(string key, string value, string expected)
    {
        string message = Error(("Backup:Targets:vectors:Engine", "qdrant"), ("Backup:Targets:vectors:Connection", "http://127.0.0.1:6333"),
            ("Backup:Targets:vectors:ApiKey", "k"), (key, value));

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ApiKey")]
    [InlineData("ApiKeySecret")]
    [InlineData("Collections:0")]
    public void Bind_QdrantSettingOnAnotherEngine_IsRefused(string setting)
    {
        string message = Error(("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:Connection", Conn), ($"Backup:Targets:orders:{setting}", "x"));

        Assert.Contains($"Backup:Targets:orders:{setting.Split(':')[0]} is a Qdrant setting (remove it, or set Engine to qdrant)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_QdrantApiKeySecretWithoutKeyVault_SaysWhatItNeeds()
    {
        string message = Error(("Backup:Targets:vectors:Engine", "qdrant"), ("Backup:Targets:vectors:Connection", "http://127.0.0.1:6333"), ("Backup:Targets:vectors:ApiKeySecret", "qdrant-key"));

        Assert.Contains("Backup:Targets:vectors:ApiKeySecret needs Backup:KeyVaultUri", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_NoTargets_NamesTheKeyAndTheEnvironmentForm()
    {
        string message = Error();

        Assert.Contains("Backup:Targets is empty", message, StringComparison.Ordinal);
        Assert.Contains("Backup__Targets__orders__Engine", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Backup:Targets:orders:Engine", "mysql", "Backup:Targets:orders:Engine 'mysql' is not supported")]
    [InlineData("Backup:Targets:orders:Compression", "lz4", "Backup:Targets:orders:Compression 'lz4' is unknown (use zstd, brotli, gzip or none)")]
    [InlineData("Backup:Storage:Container", "Bad_Name", "Backup:Storage:Container 'Bad_Name' is not a valid container name")]
    [InlineData("Backup:MaxParallelTargets", "0", "Backup:MaxParallelTargets must be at least 1")]
    [InlineData("Backup:Storage:RunningLease", "00:00:10", "Backup:Storage:RunningLease must be between 00:00:15 and 00:01:00")]
    [InlineData("Backup:Storage:RunningLease", "00:02:00", "Backup:Storage:RunningLease must be between 00:00:15 and 00:01:00")]
    [InlineData("Backup:Targets:orders:ConnectionSecret", "orders-conn", "set Connection or ConnectionSecret, not both")]
    [InlineData("Backup:Targets:orders:Anomaly:MaxShrinkPercent", "0", "Backup:Targets:orders:Anomaly:MaxShrinkPercent must be above 0 and below 100")]
    [InlineData("Backup:Targets:orders:Anomaly:MaxShrinkPercent", "100", "Backup:Targets:orders:Anomaly:MaxShrinkPercent must be above 0 and below 100")]
    [InlineData("Backup:Targets:orders:Anomaly:MaxGrowPercent", "-5", "Backup:Targets:orders:Anomaly:MaxGrowPercent must be above 0")]
    [InlineData("Backup:Targets:orders:Anomaly:Window", "0", "Backup:Targets:orders:Anomaly:Window must be 1 to 50 backups")]
    [InlineData("Backup:Targets:orders:Anomaly:Window", "51", "Backup:Targets:orders:Anomaly:Window must be 1 to 50 backups")]
    [InlineData("Backup:Targets:orders:Anomaly:Windows", "5", "Backup:Targets:orders:Anomaly:Windows is not a known setting")]
    [InlineData("Backup:Targets:orders:Objectives:Rpo", "-01:00:00", "Backup:Targets:orders:Objectives:Rpo must be a positive duration")]
    [InlineData("Backup:Targets:orders:Objectives:Rto", "00:00:00", "Backup:Targets:orders:Objectives:Rto must be a positive duration")]
    [InlineData("Backup:Notifications:PingUrl", "hc-ping.com/abc", "Backup:Notifications:PingUrl is not an http(s) URL")]
    public void Bind_InvalidValue_NamesTheKeyToFix(string key, string value, string expected)
    {
        string message = Error(("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:Connection", Conn), (key, value));

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_SecretWithoutKeyVault_SaysToSetKeyVaultUri()
    {
        string message = Error(("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:ConnectionSecret", "orders-conn"));

        Assert.Contains("Backup:Targets:orders:ConnectionSecret needs Backup:KeyVaultUri", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_BadTargetName_IsRejected()
    {
        string message = Error(("Backup:Targets:Orders_1:Engine", "postgres"), ("Backup:Targets:Orders_1:Connection", Conn));

        Assert.Contains("target name 'Orders_1' is invalid", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_NonNumberWhereANumberBelongs_NamesTheKey()
    {
        string message = Error(("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:Connection", Conn), ("Backup:MaxParallelTargets", "many"));

        Assert.Contains("MaxParallelTargets", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedJson_GivesFileAndLine()
    {
        string file = Path.Combine(Path.GetTempPath(), $"backupfn-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, "{\n  \"Backup\": {\n    \"Targets\": { ,\n  }\n}");
        try
        {
            var error = Assert.Throws<BackupConfigurationException>(() => BackupConfiguration.Load(file));

            Assert.Contains("is not valid JSON", error.Message, StringComparison.Ordinal);
            Assert.Contains(file, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Load_EnvironmentOverridesTheFile()
    {
        string file = Path.Combine(Path.GetTempPath(), $"backupfn-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, $$"""{ "Backup": { "Targets": { "orders": { "Engine": "postgres", "Connection": "{{Conn}}", "Compression": "gzip" } } } }""");
        Environment.SetEnvironmentVariable("Backup__Targets__orders__Compression", "none");
        try
        {
            var options = BackupConfiguration.Load(file);

            Assert.Equal("none", options.Targets["orders"].Compression);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Backup__Targets__orders__Compression", null);
            File.Delete(file);
        }
    }
}

public class BackupConfigurationSecretTests
{
    [Fact]
    public void Validate_SecretWithKeyVault_IsValid_AndAnHttpVaultIsNot()
    {
        var options = new BackupOptions { KeyVaultUri = "https://my-vault.vault.azure.net/" };
        options.Targets["orders"] = new TargetOptions { Engine = "postgres", ConnectionSecret = "orders-conn" };

        Assert.Empty(BackupConfiguration.Validate(options));
        options.KeyVaultUri = "http://my-vault";
        Assert.Contains(BackupConfiguration.Validate(options), p => p.Contains("Backup:KeyVaultUri 'http://my-vault' is not an https URL", StringComparison.Ordinal));
    }
}
