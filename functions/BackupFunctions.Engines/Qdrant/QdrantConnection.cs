namespace BackupFunctions.Engines.Qdrant;

/// <summary>
/// A Qdrant REST endpoint: an http(s) URL (<c>http://host:6333</c>, a path prefix allowed for a
/// reverse proxy). Credentials are not part of it: the API key comes from the target's ApiKey or
/// ApiKeySecret, so a connection can be printed as <see cref="Description"/> without redaction.
/// </summary>
public sealed record QdrantConnection(Uri BaseUri)
{
    /// <summary>host:port, never credentials.</summary>
    public string Description => $"{BaseUri.Host}:{BaseUri.Port}";

    public static QdrantConnection Parse(string connection)
    {
        string url = connection?.Trim() ?? "";
        if (url.Length == 0)
        {
            throw Bad("the Qdrant connection is empty (e.g. http://127.0.0.1:6333)");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Bad("the Qdrant connection needs an http(s) URL of the REST API (e.g. http://127.0.0.1:6333)");
        }

        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0)
        {
            throw Bad("the Qdrant connection is a plain URL (http://host:6333): put the API key in ApiKey or ApiKeySecret, not in the URL");
        }

        return new QdrantConnection(new UriBuilder(uri) { Path = uri.AbsolutePath.TrimEnd('/') + "/" }.Uri);
    }

    /// <summary>Whether <paramref name="connection"/> parses; the one-line reason when not (configuration validation).</summary>
    public static string? Problem(string connection) => EngineException.MessageOf(() => Parse(connection));

    private static EngineException Bad(string message) => new(FailureKind.Configuration, message);

    public override string ToString() => Description;
}
