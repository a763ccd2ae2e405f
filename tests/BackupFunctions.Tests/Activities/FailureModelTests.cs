using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Tests.Activities;

/// <summary>The one failure model: each exception's kind, and the table every host reads.</summary>
public class FailureModelTests
{
    public static TheoryData<Exception, FailureClass> Cases() => new()
    {
        { new BackupConfigurationException("Backup:Targets:x:Engine is unknown"), FailureClass.Configuration },
        { new EngineException(FailureKind.Authentication, "password authentication failed"), FailureClass.Authentication },
        { new EngineException(FailureKind.ToolMissing, "pg_dump not found"), FailureClass.ToolMissing },
        { new EngineException(FailureKind.NotFound, "no database"), FailureClass.NotFound },
        { new EngineException(FailureKind.Refused, "not empty"), FailureClass.Refused },
        { new EngineException(FailureKind.Unavailable, "connection refused"), FailureClass.Unavailable },
        { new EngineException(FailureKind.Failed, "pg_dump exited 1"), FailureClass.ToolFailed },
        { new VaultException("blob exists"), FailureClass.Storage },
        { new HttpRequestException("connection refused"), FailureClass.Storage },
        { new AggregateException(new HttpRequestException("a"), new HttpRequestException("b")), FailureClass.Storage },
        { new OperationCanceledException(), FailureClass.Cancelled },
        { new PermanentFailureException(new EngineException(FailureKind.Authentication, "refused")), FailureClass.Authentication },
        { new InvalidOperationException("wrapped", new BackupConfigurationException("bad")), FailureClass.Configuration },
        { new InvalidOperationException("a bug"), FailureClass.Unexpected },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachFailure_IsClassifiedOnce(Exception e, FailureClass expected) => Assert.Equal(expected, Failures.Classify(e));

    [Fact]
    public void TheTable_HasOneRowPerKind_AndPermanentMeansExitTwo_ButACorruptBackupIsAFailedCheck()
    {
        Assert.Equal(Enum.GetValues<FailureClass>().Order(), Failures.Rules.Select(r => r.Class).Order());
        Assert.All(Failures.Rules.Where(r => !r.Retried && r.Class != FailureClass.Corrupt), r => Assert.Equal(2, r.ExitCode));
        Assert.Equal(3, Failures.Rule(FailureClass.Corrupt).ExitCode); // like verify: the backup, not the input, is bad
        Assert.True(Failures.IsPermanent(new EngineException(FailureKind.Corrupt, "backup failed verification")));
        Assert.True(Failures.IsPermanent(new EngineException(FailureKind.Authentication, "x")));
        Assert.False(Failures.IsPermanent(new EngineException(FailureKind.Unavailable, "x")));
    }

    [Fact]
    public void TheReadmeTable_ShowsEveryRowAsTheCodeHasIt()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        foreach (var r in Failures.Rules)
        {
            Assert.Contains($"| {r.Class} | {(r.Retried ? "yes" : "no")} | {r.ExitCode} | {r.HttpStatus} | {r.Meaning} |", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Describe_IsOneLine_AndGivesTheFixForUnreachableStorage()
    {
        Assert.Equal("storage unreachable: Connection refused (127.0.0.1:10000) (is Azurite running? scripts/setup.sh starts it; check Backup:Storage:Connection)",
            Failures.Describe(new HttpRequestException("Connection refused (127.0.0.1:10000)\nmore")));
        Assert.Equal("target 'orders': refused", Failures.Describe(new PermanentFailureException(new EngineException(FailureKind.Authentication, "target 'orders': refused"))));
    }
}
