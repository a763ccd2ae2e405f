namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>Damages a database file as a disk or a bug would, in a way SQLite opens but <c>PRAGMA integrity_check</c> reports.</summary>
internal static class SqliteCorruption
{
    /// <summary>Overwrites the b-tree page header of an index's root page with an invalid page type.</summary>
    public static void BreakIndex(string path, string index)
    {
        long root = SqliteTestFolder.Scalar<long>(path, $"SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND name = '{index}'");
        long pageSize = SqliteTestFolder.Scalar<long>(path, "PRAGMA page_size");
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = (root - 1) * pageSize;
        file.Write([0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]); // 0x07 is no b-tree page type
    }
}
