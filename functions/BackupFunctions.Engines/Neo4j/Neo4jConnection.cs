namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// A Neo4j HTTP endpoint: either a URL (<c>http://user:password@host:7474</c>, credentials optional)
/// or keywords (<c>Url=https://host:7473;User=neo4j;Password=...;Database=neo4j</c>). The database
/// comes from <c>Database=</c>, else from the target's <c>Database</c> setting, else "neo4j".
/// </summary>
public sealed record Neo4jConnection(Uri BaseUri, string? User, string? Password, string Database)
{
    /// <summary>host:port/database, never credentials.</summary>
    public string Description => $"{BaseUri.Host}:{BaseUri.Port}/{Database}";

    public static Neo4jConnection Parse(string connection, string? defaultDatabase = null)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw Bad("the Neo4j connection is empty (e.g. http://127.0.0.1:7474 or Url=...;User=...;Password=...)");
        }

        string? url = null, user = null, password = null, database = null;
        if (!connection.Contains('=', StringComparison.Ordinal) || connection.TrimStart().StartsWith("http", StringComparison.OrdinalIgnoreCase) && !connection.Contains(';', StringComparison.Ordinal))
        {
            url = connection.Trim();
        }
        else
        {
            foreach (string part in connection.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                string key = eq < 0 ? part : part[..eq].Trim();
                string value = eq < 0 ? "" : part[(eq + 1)..].Trim();
                switch (key.ToLowerInvariant())
                {
                    case "url": url = value; break;
                    case "user" or "username": user = value; break;
                    case "password": password = value; break;
                    case "database": database = value; break;
                    default: throw Bad($"the Neo4j connection has an unknown keyword '{key}' (supported: Url, User, Password, Database)");
                }
            }
        }

        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Bad("the Neo4j connection needs an http(s) URL (e.g. Url=http://127.0.0.1:7474)");
        }

        if (uri.UserInfo.Length > 0)
        {
            string[] info = uri.UserInfo.Split(':', 2);
            user ??= Uri.UnescapeDataString(info[0]);
            password ??= info.Length > 1 ? Uri.UnescapeDataString(info[1]) : null;
        }

        var baseUri = new UriBuilder(uri) { UserName = "", Password = "", Path = uri.AbsolutePath.TrimEnd('/') + "/", Query = "" }.Uri;
        database = string.IsNullOrWhiteSpace(database) ? string.IsNullOrWhiteSpace(defaultDatabase) ? "neo4j" : defaultDatabase : database;
        return database.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
            ? new Neo4jConnection(baseUri, user, password, database)
            : throw Bad($"'{database}' is not a valid Neo4j database name (letters, digits, dots, dashes)");
    }

    /// <summary>The same server, another database.</summary>
    public Neo4jConnection WithDatabase(string database) => this with { Database = database };

    private static EngineException Bad(string message) => new(FailureKind.Configuration, message);

    /// <summary>Never prints the password.</summary>
    public override string ToString() => Description;
}
