using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Orchestrations;
using Microsoft.DurableTask;

namespace BackupFunctions.Tests.Orchestrations;

/// <summary>How the one retry helper reads a failure and spaces its attempts.</summary>
public class RetryPoliciesTests
{
    [Fact]
    public void Backoff_DoublesFromTheFirstInterval_UpToTheMaximum()
    {
        var schedule = new RetrySchedule(5, TimeSpan.FromSeconds(30), 2.0, TimeSpan.FromMinutes(1.5));
        Assert.Equal(TimeSpan.FromSeconds(30), schedule.DelayBefore(2));
        Assert.Equal(TimeSpan.FromSeconds(60), schedule.DelayBefore(3));
        Assert.Equal(TimeSpan.FromSeconds(90), schedule.DelayBefore(4)); // 120 s capped
    }

    [Fact]
    public void APermanentFailure_IsRecognisedByItsType()
    {
        var details = TaskFailureDetails.FromException(new PermanentFailureException(new BackupConfigurationException("bad key")));
        Assert.True(RetryPolicies.IsPermanent(details));
    }

    [Fact]
    public void APermanentFailure_IsRecognisedByItsMessage_WhenTheTypeDidNotSurvive()
    {
        // What the isolated Functions model may hand the orchestrator for an async activity's exception.
        var details = new TaskFailureDetails("System.Exception", Failures.PermanentMarker + "target 'orders': password authentication failed", null, null, null);
        Assert.True(RetryPolicies.IsPermanent(details));
        Assert.Equal("target 'orders': password authentication failed", Failures.UserMessage(details.ErrorMessage));
    }

    [Fact]
    public void APermanentInnerFailure_OfAFailedSubOrchestration_IsPermanent()
    {
        var inner = new TaskFailureDetails(typeof(PermanentFailureException).FullName!, Failures.PermanentMarker + "no such database", null, null, null);
        var outer = new TaskFailureDetails(typeof(TaskFailedException).FullName!, "Task 'TargetBackup' failed", null, inner, null);
        Assert.True(RetryPolicies.IsPermanent(outer));
    }

    [Theory]
    [InlineData("System.IO.IOException", "connection reset by peer")]
    [InlineData("System.Net.Sockets.SocketException", "Connection refused")] // a name two loaded assemblies define: IsCausedBy would throw
    [InlineData("BackupFunctions.Engines.EngineException", "pg_dump exited with code 1: server closed the connection")]
    public void OtherFailures_AreTransient(string type, string message) =>
        Assert.False(RetryPolicies.IsPermanent(new TaskFailureDetails(type, message, null, null, null)));

    [Fact]
    public void AFailureWhoseTypeNameSeveralAssembliesAnswer_IsTransient_AndReadingItDoesNotThrow()
    {
        // SocketException is defined in System.Net.Primitives and type-forwarded by System.Net.Sockets
        // and netstandard; once all are loaded (as in backupfn), a lookup by name finds it three times.
        _ = typeof(System.Net.Sockets.Socket);
        _ = System.Reflection.Assembly.Load("netstandard");
        var refused = TaskFailureDetails.FromException(new System.Net.Sockets.SocketException(111));

        Assert.False(RetryPolicies.IsPermanent(refused));
    }

    [Fact]
    public void ActivityBase_MarksPermanentFailures_AndLeavesTransientOnesAlone()
    {
        var permanent = Assert.Throws<PermanentFailureException>(() => new Failing(new BackupConfigurationException("Backup:Targets:x:Engine is unknown"))
            .InvokeAsync(0, CancellationToken.None).GetAwaiter().GetResult());
        Assert.StartsWith(Failures.PermanentMarker, permanent.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => new Failing(new IOException("reset")).InvokeAsync(0, CancellationToken.None).GetAwaiter().GetResult());
    }

    private sealed class Failing(Exception e) : BackupActivity<int, int>(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, null)
    {
        protected override Task<int> ExecuteAsync(int input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) => throw e;
    }
}
