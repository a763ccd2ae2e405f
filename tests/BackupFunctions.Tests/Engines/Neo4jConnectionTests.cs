using BackupFunctions.Engines;
using BackupFunctions.Engines.Neo4j;

namespace BackupFunctions.Tests.Engines;

public class Neo4jConnectionTests
{
    [Fact]
    public void UrlForm_TakesCredentialsFromTheUrl_AndTheDatabaseFromTheTarget()
    {
        var c = Neo4jConnection.Parse("https://neo4j:p%40ss@db.example.com:7473", defaultDatabase: "graph");

        Assert.Equal(new Uri("https://db.example.com:7473/"), c.BaseUri);
        Assert.Equal(("neo4j", "p@ss", "graph"), (c.User, c.Password, c.Database));
        Assert.Equal("db.example.com:7473/graph", c.Description);
        Assert.DoesNotContain("p@ss", c.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void KeywordForm_WinsOverTheTargetsDatabase_AndDefaultsToNeo4j()
    {
        var c = Neo4jConnection.Parse("Url=http://127.0.0.1:7474;User=u;Password=a=b;Database=scratch", defaultDatabase: "graph");
        var plain = Neo4jConnection.Parse("http://127.0.0.1:7474");

        Assert.Equal(("u", "a=b", "scratch"), (c.User, c.Password, c.Database));
        Assert.Equal("neo4j", plain.Database);
        Assert.Null(plain.User);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("Url=bolt://x:7687", "needs an http(s) URL")]
    [InlineData("Url=http://x:7474;Pwd=1", "unknown keyword 'Pwd'")]
    [InlineData("Url=http://x:7474;Database=a b", "not a valid Neo4j database name")]
    public void BadConnections_AreConfigurationErrors(string connection, string expected)
    {
        var e = Assert.Throws<EngineException>(() => Neo4jConnection.Parse(connection));

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
