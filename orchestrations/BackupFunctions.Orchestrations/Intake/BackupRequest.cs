using System.Text.Json;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>The body of POST /api/backups, parsed the same way by both hosts.</summary>
public static class BackupRequest
{
    /// <summary>Reads {"targets":[...]} or an empty body (all targets); returns the problem, or null.</summary>
    public static string? Parse(string body, out IReadOnlyList<string> targets)
    {
        targets = [];
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "the body must be a JSON object like {\"targets\":[\"orders\"]}, or empty for all targets";
            }

            if (!doc.RootElement.TryGetProperty("targets", out var array))
            {
                return null;
            }

            if (array.ValueKind != JsonValueKind.Array || array.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                return "'targets' must be an array of target names";
            }

            targets = array.EnumerateArray().Select(e => e.GetString()!).ToList();
            return null;
        }
        catch (JsonException e)
        {
            return NotJson(e);
        }
    }

    /// <summary>The one-line problem of a body that is not JSON (the parser's message without its position details).</summary>
    internal static string NotJson(JsonException e) => $"the body is not valid JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}";
}
