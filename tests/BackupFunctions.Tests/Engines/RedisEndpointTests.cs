using BackupFunctions.Engines;
using BackupFunctions.Engines.Redis;

namespace BackupFunctions.Tests.Engines;

public class RedisEndpointTests
{
    [Fact]
    public void Parse_StackExchangeFormat_ReadsEveryOption()
    {
        var e = RedisEndpoint.Parse("cache.example:6380,password=p@ss=word,user=backup,ssl=True,sslHost=cache.example,defaultDatabase=3,connectTimeout=2500,abortConnect=false");

        Assert.Equal(("cache.example", 6380, "backup", "p@ss=word", true, "cache.example", 3), (e.Host, e.Port, e.User, e.Password, e.Ssl, e.SslHost, e.Database));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), e.ConnectTimeout);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", 6379)]
    [InlineData("localhost:6390", "localhost", 6390)]
    [InlineData("[::1]:7000", "::1", 7000)]
    [InlineData("a:1,b:2", "a", 1)]
    public void Parse_Endpoints(string text, string host, int port)
    {
        var e = RedisEndpoint.Parse(text);

        Assert.Equal((host, port), (e.Host, e.Port));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("password=x", "names no host")]
    [InlineData("h:notaport", "no valid port")]
    [InlineData("h:6379,bogus=1", "unknown keyword 'bogus'")]
    [InlineData("h:6379,ssl=maybe", "not true or false")]
    [InlineData("h:6379,defaultDatabase=-1", "defaultDatabase=-1 is not a number")]
    public void Parse_Malformed_IsAConfigurationErrorThatNamesTheProblem(string text, string expected)
    {
        var error = Assert.Throws<EngineException>(() => RedisEndpoint.Parse(text));

        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Description_NeverShowsCredentials()
    {
        var e = RedisEndpoint.Parse("h:1,password=s3cret,user=u,defaultDatabase=2");

        Assert.Equal("h:1/2", e.Description);
        Assert.DoesNotContain("s3cret", e.ToString(), StringComparison.Ordinal);
    }
}
