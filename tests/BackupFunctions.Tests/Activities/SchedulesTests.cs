using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;

namespace BackupFunctions.Tests.Activities;

public class SchedulesTests
{
    [Theory]
    [InlineData("0 0 2 * * *")]
    [InlineData("0 */15 * * * *")]
    [InlineData("30 0 3 * * 1-5")]
    public void Problem_SixFieldExpression_IsNone(string expression) => Assert.Null(Schedules.Problem(expression));

    [Theory]
    [InlineData("0 2 * * *", "not a six-field NCRONTAB expression")]
    [InlineData("", "is empty")]
    [InlineData("every day", "not a six-field NCRONTAB expression")]
    public void Problem_BadExpression_SaysWhatIsExpected(string expression, string expected) =>
        Assert.Contains(expected, Schedules.Problem(expression), StringComparison.Ordinal);

    [Fact]
    public void Next_And_Previous_FollowTheSchedule()
    {
        var at = new DateTime(2026, 11, 22, 5, 0, 0, DateTimeKind.Utc);

        Assert.Equal([new DateTime(2026, 11, 23, 2, 0, 0), new DateTime(2026, 11, 24, 2, 0, 0)], Schedules.Next("0 0 2 * * *", at, 2));
        Assert.Equal(new DateTime(2026, 11, 22, 2, 0, 0), Schedules.Previous("0 0 2 * * *", at));
        Assert.Equal(new DateTime(2026, 11, 1, 0, 0, 0), Schedules.Previous("0 0 0 1 * *", at));
    }
}
