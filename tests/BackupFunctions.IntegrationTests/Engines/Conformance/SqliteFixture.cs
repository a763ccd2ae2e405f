using BackupFunctions.IntegrationTests.Engines.Sqlite;

namespace BackupFunctions.IntegrationTests.Engines.Conformance;

/// <summary>
/// Real SQLite files in a folder of the test's own: the rich database of <see cref="SqliteRichDatabase"/> (WAL mode)
/// as the source, a new file name per destination. A SQLite connection holds no credential (Password= is refused),
/// so <see cref="Secret"/> is null.
/// </summary>
internal sealed class SqliteFixture : IEngineFixture
{
    private readonly SqliteTestFolder _folder = new();
    private int _destinations;

    private SqliteFixture() => SqliteRichDatabase.Create(_folder.PathOf("source.db"), "wal");

    public string Engine => "sqlite";

    public string? Secret => null;

    public object Source => Target("source.db");

    public static Task<IEngineFixture> CreateAsync() => Task.FromResult<IEngineFixture>(new SqliteFixture());

    public Task<object> NewDestinationAsync() => Task.FromResult(Target($"dst{++_destinations}.db"));

    public Task MakeNonEmptyAsync(object destination)
    {
        using var db = SqliteTestFolder.Open(PathOf(destination));
        SqliteTestFolder.Execute(db, "CREATE TABLE precious(x TEXT); INSERT INTO precious VALUES ('before the restore');");
        return Task.CompletedTask;
    }

    public Task<string> ContentAsync(object target) => Task.FromResult(SqliteRichDatabase.Content(PathOf(target)));

    /// <summary>About 200 MB more: 600,000 rows of a 300-byte random BLOB, inserted by one statement.</summary>
    public Task GrowAsync()
    {
        using var db = SqliteTestFolder.Open(_folder.PathOf("source.db"));
        SqliteTestFolder.Execute(db, """
            CREATE TABLE grow(id INTEGER PRIMARY KEY, body BLOB NOT NULL);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000)
            INSERT INTO grow SELECT i, randomblob(300) FROM n;
            """);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _folder.Dispose();
        return ValueTask.CompletedTask;
    }

    private object Target(string file) => new { Engine = "sqlite", Connection = SqliteTestFolder.Connection(_folder.PathOf(file)), TempDirectory = _folder.Temp };

    private static string PathOf(object target) =>
        new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder((string)target.GetType().GetProperty("Connection")!.GetValue(target)!).DataSource;
}

public class SqliteConformanceTests : EngineConformanceTests
{
    protected override Task<IEngineFixture> CreateFixtureAsync() => SqliteFixture.CreateAsync();
}
