using BackupFunctions.Activities.Configuration;
using Microsoft.Extensions.Configuration;

namespace BackupFunctions.Tests.Activities;

/// <summary>Backup:Copies binds the same shape as Backup:Storage (plus Retention), and each mistake names its key.</summary>
public class CopyVaultsConfigurationTests
{
    private const string Conn = "Host=127.0.0.1;Username=app;Password=pw;Database=orders";

    private static BackupOptions Bind(params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Backup:Targets:orders:Engine"] = "postgres",
            ["Backup:Targets:orders:Connection"] = Conn,
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        return BackupConfiguration.Bind(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    [Fact]
    public void Bind_Copy_TakesConnectionContainerImmutabilityAndRetention()
    {
        var options = Bind(("Backup:Copies:offsite:Connection", "https://backupcopy.blob.core.windows.net"), ("Backup:Copies:offsite:Container", "backups"),
            ("Backup:Copies:offsite:Immutability:Mode", "Required"), ("Backup:Copies:offsite:Immutability:MinRetentionDays", "30"),
            ("Backup:Copies:offsite:Retention:KeepLast", "10"));

        var copy = options.Copies["offsite"];
        Assert.Equal("https://backupcopy.blob.core.windows.net", copy.Connection);
        Assert.Equal(BackupFunctions.Vault.Storage.ImmutabilityMode.Required, copy.Immutability.Mode);
        Assert.Equal(30, copy.Immutability.MinRetentionDays);
        Assert.Equal(10, copy.Retention!.KeepLast);
    }

    [Fact]
    public void Bind_CopyWithoutRetention_LeavesItNull() =>
        Assert.Null(Bind(("Backup:Copies:offsite:Connection", "UseDevelopmentStorage=true"), ("Backup:Copies:offsite:Container", "copies")).Copies["offsite"].Retention);

    [Theory]
    [InlineData("Backup:Copies:offsite:Container", "backups", "Backup:Copies:offsite is the primary vault itself")]
    [InlineData("Backup:Copies:offsite:Container", "Bad_Name", "Backup:Copies:offsite:Container 'Bad_Name' is not a valid container name")]
    [InlineData("Backup:Copies:offsite:Connection", "", "Backup:Copies:offsite:Connection is empty")]
    [InlineData("Backup:Copies:offsite:Immutability:MinRetentionDays", "-1", "Backup:Copies:offsite:Immutability:MinRetentionDays must be 0 or more")]
    [InlineData("Backup:Copies:offsite:Retention:KeepLast", "-2", "Backup:Copies:offsite:Retention: Keep* values must be 0 or more")]
    [InlineData("Backup:Copies:offsite:Retension:KeepLast", "5", "Backup:Copies:offsite:Retension is not a known setting")]
    public void Bind_InvalidCopy_NamesTheKeyToFix(string key, string value, string expected)
    {
        var message = Assert.Throws<BackupConfigurationException>(() => Bind(("Backup:Copies:offsite:Connection", "UseDevelopmentStorage=true"), (key, value))).Message;

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("primary")]
    [InlineData("Off-Site")]
    public void Bind_InvalidCopyName_IsRefused(string name)
    {
        var message = Assert.Throws<BackupConfigurationException>(() => Bind(($"Backup:Copies:{name}:Connection", "UseDevelopmentStorage=true"),
            ($"Backup:Copies:{name}:Container", "copies"))).Message;

        Assert.Contains($"copy name '{name}' is invalid", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_ListsTheConfiguredCopies() =>
        Assert.Equal("vault 'x' is not configured (configured copies: a, b; 'primary' is Backup:Storage)", CopyVaults.Unknown("x", ["a", "b"]).Message);
}
