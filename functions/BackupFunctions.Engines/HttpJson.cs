using System.Text.Json.Nodes;

namespace BackupFunctions.Engines;

/// <summary>Reading the JSON body of an HTTP answer for the engines that speak HTTP (Neo4j, Qdrant).</summary>
internal static class HttpJson
{
    /// <summary>The body as JSON; null when it is empty or not JSON (a proxy's error page, a plain-text 401), so the status decides.</summary>
    public static async Task<JsonNode?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
