using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines.Sqlite;
using Microsoft.Data.Sqlite;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>
/// A unique folder for one test's SQLite files, with its own <c>tmp/</c> as the targets' TempDirectory (so a
/// test can see that the engine's temporary copies are gone); deleted with everything in it on dispose.
/// </summary>
internal sealed class SqliteTestFolder : IDisposable
{
    public SqliteTestFolder()
    {
        Root = Directory.CreateTempSubdirectory("backupfn-it-sqlite-").FullName;
        Temp = Directory.CreateDirectory(Path.Combine(Root, "tmp")).FullName;
    }

    public string Root { get; }

    /// <summary>The TempDirectory of the targets this folder makes.</summary>
    public string Temp { get; }

    public string PathOf(string file) => Path.Combine(Root, file);

    public static string Connection(string path) => SqliteFile.ConnectionString(path);

    /// <summary>A sqlite target on <paramref name="file"/> in this folder.</summary>
    public TargetOptions Target(string file, string compression = "brotli") =>
        new() { Engine = "sqlite", Connection = Connection(PathOf(file)), TempDirectory = Temp, Compression = compression };

    /// <summary>What is left in the TempDirectory: nothing, once every operation has ended.</summary>
    public IReadOnlyList<string> TempLeftovers() => Directory.EnumerateFileSystemEntries(Temp).Select(Path.GetFileName).ToList()!;

    /// <summary>A connection of the test's own (not pooled, so no file stays open after it).</summary>
    public static SqliteConnection Open(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = new SqliteCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    public static T Scalar<T>(string path, string sql)
    {
        using var connection = Open(path, SqliteOpenMode.ReadOnly);
        using var command = new SqliteCommand(sql, connection);
        return (T)command.ExecuteScalar()!;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
