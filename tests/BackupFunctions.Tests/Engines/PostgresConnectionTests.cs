using BackupFunctions.Engines;
using BackupFunctions.Engines.Postgres;

namespace BackupFunctions.Tests.Engines;

public class PostgresConnectionTests
{
    private const string Secret = "s3cr3t-P4ss";

    [Fact]
    public void Describe_ShowsHostPortDatabase_NeverCredentials()
    {
        string description = new PostgresEngine().Describe($"Host=db.example;Port=6543;Username=app;Password={Secret};Database=orders");

        Assert.Equal("db.example:6543/orders", description);
        Assert.DoesNotContain(Secret, description, StringComparison.Ordinal);
        Assert.DoesNotContain("app", description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=x;Bogus Keyword=1")]
    [InlineData("Username=app;Password=s3cr3t-P4ss")]
    [InlineData("")]
    public void Parse_Malformed_IsAConfigurationErrorWithoutTheSecret(string connection)
    {
        var error = Assert.Throws<EngineException>(() => PostgresConnection.Parse(connection));

        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ToolEnvironment_CarriesThePasswordOnlyAsPGPASSWORD()
    {
        var env = PostgresConnection.Parse($"Host=h;Username=u;Password={Secret};Database=d;SSL Mode=Require").ToolEnvironment();

        Assert.Equal(Secret, env["PGPASSWORD"]);
        Assert.Equal("require", env["PGSSLMODE"]);
        Assert.Equal("d", env["PGDATABASE"]);
        Assert.Single(env.Values, v => v == Secret);
    }

    [Fact]
    public void Redact_RemovesThePasswordFromToolOutput()
    {
        var pg = PostgresConnection.Parse($"Host=h;Username=u;Password={Secret};Database=d");

        Assert.Equal("pg_dump: error: password \"***\" rejected", pg.Redact($"pg_dump: error: password \"{Secret}\" rejected"));
    }
}
