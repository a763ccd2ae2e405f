using BackupFunctions.Activities.Configuration;
using Microsoft.Extensions.Configuration;

namespace BackupFunctions.Tests.Activities;

/// <summary>Keys under "Backup" that nothing binds are configuration errors naming the key meant (issue 12 item 4).</summary>
public class UnknownSettingsTests
{
    private const string Conn = "Host=127.0.0.1;Username=app;Password=pw;Database=orders";

    private static readonly (string, string?)[] ValidTarget = [("Backup:Targets:orders:Engine", "postgres"), ("Backup:Targets:orders:Connection", Conn)];

    private static IConfiguration Configuration(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value))).Build();

    private static BackupOptions Bind(params (string Key, string? Value)[] settings) =>
        BackupConfiguration.Bind(Configuration([.. ValidTarget, .. settings]));

    private static string Error(params (string Key, string? Value)[] settings) =>
        Assert.Throws<BackupConfigurationException>(() => Bind(settings)).Message;

    [Theory]
    [InlineData("Backup:Targets:orders:Retension:KeepLast", "Backup:Targets:orders:Retension is not a known setting (did you mean Retention?)")]
    [InlineData("Backup:Targets:orders:Compresion", "Backup:Targets:orders:Compresion is not a known setting (did you mean Compression?)")]
    [InlineData("Backup:Targets:orders:RestorTest:Connection", "Backup:Targets:orders:RestorTest is not a known setting (did you mean RestoreTest?)")]
    public void Bind_MisspeltKeyFromTheIssue_IsAnErrorNamingTheKeyAndTheOneMeant(string key, string expected)
    {
        string message = Error((key, "1"));

        Assert.Equal(expected, message);
    }

    [Fact]
    public void Bind_MisspeltNestedKeys_NameTheirFullPathAndTheNearestSibling()
    {
        string message = Error(("Backup:Storage:Immutability:MinRetentionDay", "7"), ("Backup:Storage:Immutablity:Mode", "Off"));

        Assert.Contains("Backup:Storage:Immutability:MinRetentionDay is not a known setting (did you mean MinRetentionDays?)", message, StringComparison.Ordinal);
        Assert.Contains("Backup:Storage:Immutablity is not a known setting (did you mean Immutability?)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_SwappedNeighbours_CountAsOneEditEach()
    {
        // Two swaps: 2 edits, within reach of an 8-letter key; plain Levenshtein would count 4 and suggest nothing.
        string message = Error(("Backup:Targets:orders:Dtaabsae", "neo4j"));

        Assert.Equal("Backup:Targets:orders:Dtaabsae is not a known setting (did you mean Database?)", message);
    }

    [Fact]
    public void Bind_KeysInAnotherCase_AreAccepted_AsTheBinderAcceptsThem()
    {
        var options = BackupConfiguration.Bind(Configuration(
            ("BACKUP:TARGETS:orders:ENGINE", "postgres"), ("backup:targets:orders:connection", Conn),
            ("Backup:targets:orders:retention:keeplast", "2"), ("backup:storage:IMMUTABILITY:mode", "Off")));

        Assert.Equal(2, options.Targets["orders"].Retention!.KeepLast);
        Assert.Equal(BackupFunctions.Vault.Storage.ImmutabilityMode.Off, options.Storage.Immutability.Mode);
    }

    [Fact]
    public void Bind_DictionaryKeys_AreNamesNotSettings_EvenWhenTheyLookLikeATypo()
    {
        var options = BackupConfiguration.Bind(Configuration(
            ("Backup:Targets:retension:Engine", "postgres"), ("Backup:Targets:retension:Connection", Conn),
            ("Backup:EncryptionKeys:compresion:KeyFile", "/keys/k1")));

        Assert.Contains("retension", options.Targets.Keys);
        Assert.Contains("compresion", options.EncryptionKeys.Keys);
    }

    [Fact]
    public void Bind_UnknownKeyBelowATargetName_IsStillChecked()
    {
        string message = Error(("Backup:Targets:orders:Encryption:KeyID", "k1"), ("Backup:Targets:orders:Encryption:Key", "k1"), ("Backup:EncryptionKeys:k1:KeyFile", "/k"));

        Assert.Equal("Backup:Targets:orders:Encryption:Key is not a known setting (did you mean KeyId?)", message);
    }

    [Fact]
    public void Bind_KeyFarFromEveryValidOne_ListsTheValidKeysInstead()
    {
        string message = Error(("Backup:Targets:orders:Frobnicate", "yes"));

        Assert.Equal("Backup:Targets:orders:Frobnicate is not a known setting (valid here: ApiKey, ApiKeySecret, Collections, CommandTimeout, Compression, Connection, ConnectionSecret, Database, " +
                     "Encryption, Engine, Exclude, Include, Objectives, PostCommand, PreCommand, RestoreTest, Retention, Schedule, Strategy, TempDirectory, ToolsDirectory)", message);
    }

    [Fact]
    public void Bind_SectionWhereAValueBelongs_IsReported()
    {
        string message = Error(("Backup:Targets:orders:Compression:Level", "5"));

        Assert.Contains("Backup:Targets:orders:Compression:Level is not a known setting (Backup:Targets:orders:Compression takes a value, not a section)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_UnknownKeysAndInvalidValues_AreReportedTogether()
    {
        string message = Error(("Backup:Targets:orders:Retension:KeepLast", "1"), ("Backup:Schedulle", "0 0 3 * * *"), ("Backup:Targets:orders:Compression", "lz4"));

        Assert.Contains("Backup:Targets:orders:Retension is not a known setting (did you mean Retention?)", message, StringComparison.Ordinal);
        Assert.Contains("Backup:Schedulle is not a known setting (did you mean Schedule?)", message, StringComparison.Ordinal);
        Assert.Contains("Backup:Targets:orders:Compression 'lz4' is unknown (use zstd, brotli, gzip or none)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_KeysOutsideTheBackupSection_AreTheHostsAndIgnored()
    {
        var options = Bind(("AzureWebJobsStorage", "UseDevelopmentStorage=true"), ("BackupQueue:queueServiceUri", "https://x.queue.core.windows.net"),
            ("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated"), ("Backups:Retension", "1"), ("Logging:LogLevel:Default", "Warning"));

        Assert.Single(options.Targets);
    }

    [Fact]
    public void Bind_EnvironmentVariableForm_IsCheckedLikeAnyOtherSource()
    {
        // A prefix keeps this test's variables out of the unprefixed configuration other tests load.
        string prefix = $"BFTEST{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable($"{prefix}Backup__Targets__orders__Engine", "postgres");
        Environment.SetEnvironmentVariable($"{prefix}Backup__Targets__orders__Connection", Conn);
        Environment.SetEnvironmentVariable($"{prefix}Backup__Targets__orders__Retension__KeepLast", "1");
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();

            var error = Assert.Throws<BackupConfigurationException>(() => BackupConfiguration.Bind(configuration));

            Assert.Equal("Backup:Targets:orders:Retension is not a known setting (did you mean Retention?)", error.Message);
        }
        finally
        {
            foreach (string key in new[] { "Engine", "Connection", "Retension__KeepLast" })
            {
                Environment.SetEnvironmentVariable($"{prefix}Backup__Targets__orders__{key}", null);
            }
        }
    }

    [Fact]
    public void Bind_NoRetentionSection_LeavesRetentionNull_SoTheDefaultCanBeAnnounced()
    {
        Assert.Null(Bind().Targets["orders"].Retention);
        Assert.Equal(7, Bind(("Backup:Targets:orders:Retention:KeepLast", "5")).Targets["orders"].Retention!.KeepDaily);
    }

    [Fact]
    public void Load_TheShippedExampleConfiguration_HasNoUnknownKeys()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

        var options = BackupConfiguration.Load(Path.Combine(root, "scripts", "backupfn.example.json"));

        Assert.Equal(3, options.Targets["orders"].Retention!.KeepYearly);
    }

    [Fact]
    public void Find_ListsAndArrays_TakeNumericKeysAndCheckTheirElements()
    {
        var section = Configuration(("X:Items:0:Name", "a"), ("X:Items:1:Nmae", "b"), ("X:Items:first:Name", "c"), ("X:Tags:0", "t")).GetSection("X");

        var problems = UnknownSettings.Find(section, typeof(ListHolder));

        Assert.Equal(["X:Items:1:Nmae is not a known setting (did you mean Name?)", "X:Items:first is not a known setting (X:Items is a list: its keys are 0, 1, 2, ...)"], problems);
    }

    private sealed class ListHolder
    {
        public List<Item> Items { get; set; } = [];

        public string[] Tags { get; set; } = [];
    }

    private sealed class Item
    {
        public string? Name { get; set; }
    }
}
