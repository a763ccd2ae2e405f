using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Local.Cli.Rendering;
using BackupFunctions.Orchestrations;

namespace BackupFunctions.Tests.Hosts.Local.Cli;

/// <summary>Each retry of a failed attempt is announced with its reason, the next attempt and its delay; the last failure is not (the verb prints it once).</summary>
public class RetryNoticesTests
{
    private static ActivityFailure Refused(string activity = TaskNames.Activities.BackupDatabase) =>
        new(activity, "orders backup", new EngineException(FailureKind.Unavailable, "target 'orders': connection refused at 127.0.0.1:1"), Permanent: false);

    [Fact]
    public void TransientFailures_AnnounceEachRetry_WithTheScheduleOfTheirActivity_ThenNothingOnceAttemptsAreSpent()
    {
        var notices = new RetryNotices(retries: true);

        var first = notices.For(Refused());
        var second = notices.For(Refused());
        var last = notices.For(Refused());

        Assert.Equal(("orders backup", "target 'orders': connection refused at 127.0.0.1:1; retry 2/3 in 30 s; Ctrl+C stops"), first);
        Assert.Equal(("orders backup", "target 'orders': connection refused at 127.0.0.1:1; retry 3/3 in 60 s; Ctrl+C stops"), second);
        Assert.Null(last);
        Assert.Equal(3, RetryPolicies.BackupDatabase.MaxAttempts);
    }

    [Fact]
    public void AttemptsAreCountedPerActivityAndLabel()
    {
        var notices = new RetryNotices(retries: true);
        notices.For(Refused());

        var verify = notices.For(Refused(TaskNames.Activities.VerifyBackup));

        Assert.EndsWith("retry 2/3 in 10 s; Ctrl+C stops", verify?.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void NoNotice_ForAPermanentFailure_UnderNoRetry_OrWithoutALabel()
    {
        var permanent = new ActivityFailure(TaskNames.Activities.BackupDatabase, "orders backup",
            new PermanentFailureException(new BackupConfigurationException("bad key")), Permanent: true);

        Assert.Null(new RetryNotices(retries: true).For(permanent));
        Assert.Null(new RetryNotices(retries: false).For(Refused()));
        Assert.Null(new RetryNotices(retries: true).For(Refused() with { Label = null }));
    }
}
