using BackupFunctions.Engines.Files;

namespace BackupFunctions.Tests.Engines.Files;

public class OutputRedactorTests
{
    [Theory]
    [InlineData("connecting to redis://app:hunter2@cache:6379/0", "connecting to redis://app:***@cache:6379/0")]
    [InlineData("password=hunter2 user=app", "password=*** user=app")]
    [InlineData("DB_PASSWORD: hunter2", "DB_PASSWORD: ***")]
    [InlineData("api_key='hunter2' ok", "api_key=*** ok")]
    [InlineData("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***")]
    [InlineData("https://acct.blob.core.windows.net/c?sv=2024&sig=abc%2Bdef", "https://acct.blob.core.windows.net/c?sv=2024&sig=***")]
    [InlineData("paused the writer in 2 s", "paused the writer in 2 s")]
    public void Redact_HidesSecrets_KeepsTheRest(string line, string expected)
    {
        Assert.Equal(expected, OutputRedactor.Redact(line, []));
    }

    [Fact]
    public void Redact_GivenSecret_IsHiddenWherever()
    {
        Assert.Equal("x *** y", OutputRedactor.Redact("x s3cr3t y", ["s3cr3t", null, ""]));
    }
}
