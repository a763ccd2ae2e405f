using BackupFunctions.Activities.Configuration;
using Microsoft.Extensions.Configuration;

namespace BackupFunctions.Tests.Activities;

/// <summary>The files target's settings: each problem is one line naming the key and the fix.</summary>
public sealed class FileTargetRulesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("backupfn-rules-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<string> Problems(TargetOptions target) => [.. FileTargetRules.Problems("Backup:Targets:cfg", target)];

    [Fact]
    public void ExistingAbsoluteDirectory_WithGlobsAndCommands_IsValid()
    {
        var target = new TargetOptions
        {
            Engine = "files", Connection = _directory, Include = ["**/*.json"], Exclude = ["cache"],
            PreCommand = "true", PostCommand = "true", CommandTimeout = TimeSpan.FromSeconds(30),
        };

        Assert.Empty(Problems(target));
    }

    [Fact]
    public void RelativeOrMissingDirectory_BadGlob_AndTimeout_AreEachNamed()
    {
        Assert.Equal(["Backup:Targets:cfg:Connection 'srv/config' is not an absolute path (a files target's Connection is its directory, e.g. /srv/app/config)"],
            Problems(new TargetOptions { Engine = "files", Connection = "srv/config" }));
        Assert.Contains("no such directory", Assert.Single(Problems(new TargetOptions { Engine = "files", Connection = Path.Combine(_directory, "missing") })), StringComparison.Ordinal);
        Assert.StartsWith("Backup:Targets:cfg:Exclude:1 '/abs/*' is absolute",
            Assert.Single(Problems(new TargetOptions { Engine = "files", Connection = _directory, Exclude = ["ok/*", "/abs/*"] })), StringComparison.Ordinal);
        Assert.StartsWith("Backup:Targets:cfg:CommandTimeout 00:00:00 is out of range",
            Assert.Single(Problems(new TargetOptions { Engine = "files", Connection = _directory, CommandTimeout = TimeSpan.Zero })), StringComparison.Ordinal);
        Assert.StartsWith("Backup:Targets:cfg:RestoreTest:Connection",
            Assert.Single(Problems(new TargetOptions { Engine = "files", Connection = _directory, RestoreTest = new() { Connection = "scratch" } })), StringComparison.Ordinal);
    }

    [Fact]
    public void FilesOnlyKeys_OnAnotherEngine_AreErrors()
    {
        var problems = Problems(new TargetOptions { Engine = "postgres", Connection = "Host=x", Include = ["*"], PreCommand = "true" });

        Assert.Equal(["Backup:Targets:cfg:Include applies to files targets only (remove it, or set Engine to files)",
            "Backup:Targets:cfg:PreCommand applies to files targets only (remove it, or set Engine to files)"], problems);
    }

    [Fact]
    public void Bind_FilesTarget_FromEnvironmentStyleKeys_IsKnownAndBound()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Backup:Targets:cfg:Engine"] = "files",
            ["Backup:Targets:cfg:Connection"] = _directory,
            ["Backup:Targets:cfg:Include:0"] = "**/*.json",
            ["Backup:Targets:cfg:Exclude:0"] = "cache",
            ["Backup:Targets:cfg:CommandTimeout"] = "00:00:30",
        }).Build();

        var target = BackupConfiguration.Bind(configuration).Targets["cfg"];

        Assert.Equal(["**/*.json"], target.Include);
        Assert.Equal(TimeSpan.FromSeconds(30), target.CommandTimeout);
    }
}
