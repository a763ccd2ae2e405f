using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace BackupFunctions.IntegrationTests.Engines.Sqlite;

/// <summary>
/// A SQLite database with what a restore must bring back: tables (rowid, WITHOUT ROWID, AUTOINCREMENT, a
/// foreign key), a view, a trigger, indexes (unique, partial, on an expression), an FTS5 table, a BLOB of
/// about 20 MB, non-ASCII text, NULLs, REALs, 64-bit integers, user_version and application_id.
/// <see cref="Content"/> describes all of it canonically.
/// </summary>
internal static class SqliteRichDatabase
{
    public const int BlobBytes = 20 * 1024 * 1024;

    /// <summary>Creates the database at <paramref name="path"/> in <paramref name="journalMode"/> (wal or delete).</summary>
    public static void Create(string path, string journalMode, int customers = 300)
    {
        using var db = SqliteTestFolder.Open(path);
        SqliteTestFolder.Execute(db, $"PRAGMA journal_mode = {journalMode}");
        SqliteTestFolder.Execute(db, """
            PRAGMA user_version = 42;
            PRAGMA application_id = 1234567;
            CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT, balance REAL, big INTEGER);
            CREATE TABLE orders(id INTEGER PRIMARY KEY AUTOINCREMENT, customer INTEGER NOT NULL REFERENCES customers(id), note TEXT, placed TEXT NOT NULL);
            CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
            CREATE TABLE audit(id INTEGER PRIMARY KEY, what TEXT NOT NULL);
            CREATE TABLE files(name TEXT PRIMARY KEY, body BLOB NOT NULL);
            CREATE UNIQUE INDEX customers_name ON customers(name);
            CREATE INDEX orders_open ON orders(customer) WHERE note IS NOT NULL;
            CREATE INDEX customers_city_lower ON customers(lower(city));
            CREATE VIEW customer_orders AS SELECT c.name, count(o.id) AS n FROM customers c LEFT JOIN orders o ON o.customer = c.id GROUP BY c.id;
            CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN INSERT INTO audit(what) VALUES ('order ' || NEW.id || ' for ' || NEW.customer); END;
            CREATE VIRTUAL TABLE notes USING fts5(body);
            """);
        SqliteTestFolder.Execute(db, "BEGIN");
        string[] cities = ["Zürich", "Kraków", "東京", "São Paulo", "Москва", "القاهرة", null!];
        for (int i = 1; i <= customers; i++)
        {
            SqliteTestFolder.Execute(db, "INSERT INTO customers VALUES ($id, $name, $city, $balance, $big)",
                ("$id", i), ("$name", $"Kunde {i} — Ünïcødé ✓ 🐘"), ("$city", cities[i % cities.Length]),
                ("$balance", i % 5 == 0 ? null : i * 1.25), ("$big", long.MaxValue - i));
            SqliteTestFolder.Execute(db, "INSERT INTO orders(customer, note, placed) VALUES ($c, $note, '2026-11-29')",
                ("$c", i), ("$note", i % 3 == 0 ? null : $"Bestellung №{i}"));
        }

        SqliteTestFolder.Execute(db, "INSERT INTO settings VALUES ('theme', 'dunkel'), ('语言', '中文'), ('empty', '')");
        SqliteTestFolder.Execute(db, "INSERT INTO notes(body) VALUES ('the quick brown fox'), ('größer als Straße'), ('日本語のテキスト')");
        byte[] blob = new byte[BlobBytes];
        new Random(20261129).NextBytes(blob);
        SqliteTestFolder.Execute(db, "INSERT INTO files VALUES ('big.bin', $b), ('empty.bin', x'')", ("$b", blob));
        SqliteTestFolder.Execute(db, "COMMIT");
    }

    /// <summary>
    /// Everything the database holds, canonically: its user_version and application_id, every schema row of
    /// sqlite_schema (type, name, table, SQL), and every row of every table (BLOBs as length and SHA-256).
    /// </summary>
    public static string Content(string path)
    {
        using var db = SqliteTestFolder.Open(path, SqliteOpenMode.ReadOnly);
        var text = new StringBuilder();
        text.Append("user_version=").Append(Query(db, "PRAGMA user_version").Single()).Append('\n');
        text.Append("application_id=").Append(Query(db, "PRAGMA application_id").Single()).Append('\n');
        foreach (string row in Query(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name"))
        {
            text.Append("schema ").Append(row).Append('\n');
        }

        foreach (string table in Query(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"))
        {
            string name = table.Trim('\'');
            var rows = Query(db, $"SELECT * FROM \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"").Order(StringComparer.Ordinal).ToList();
            text.Append("table ").Append(name).Append(' ').Append(rows.Count).Append('\n');
            foreach (string row in rows)
            {
                text.Append("  ").Append(row).Append('\n');
            }
        }

        return text.ToString();
    }

    private static List<string> Query(SqliteConnection db, string sql)
    {
        using var command = new SqliteCommand(sql, db);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => Value(reader, i))));
        }

        return rows;
    }

    private static string Value(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? "NULL" : reader.GetFieldType(i) switch
    {
        var t when t == typeof(byte[]) => $"blob:{((byte[])reader.GetValue(i)).Length}:{Convert.ToHexString(SHA256.HashData((byte[])reader.GetValue(i)))}",
        var t when t == typeof(double) => "real:" + reader.GetDouble(i).ToString("R", CultureInfo.InvariantCulture),
        var t when t == typeof(long) => "int:" + reader.GetInt64(i).ToString(CultureInfo.InvariantCulture),
        _ => "'" + reader.GetString(i) + "'",
    };
}
