using System.Text.Json;

namespace BackupFunctions.Local.Serve;

/// <summary>
/// The queue settings of host.json (extensions.queues), read the same way by the local host as by
/// the Functions host, so one producer and one configuration work against both.
/// </summary>
public sealed record HostSettings(int MaxDequeueCount, TimeSpan VisibilityTimeout, int BatchSize, string MessageEncoding)
{
    /// <summary>The Functions host's defaults.</summary>
    public static HostSettings Defaults { get; } = new(5, TimeSpan.FromSeconds(30), 16, "base64");

    /// <summary>Reads host.json; missing keys keep the defaults. A malformed file is a configuration error.</summary>
    public static HostSettings Load(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return Defaults;
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!doc.RootElement.TryGetProperty("extensions", out var ext) || !ext.TryGetProperty("queues", out var q))
            {
                return Defaults;
            }

            return new HostSettings(
                q.TryGetProperty("maxDequeueCount", out var m) ? m.GetInt32() : Defaults.MaxDequeueCount,
                q.TryGetProperty("visibilityTimeout", out var v) ? TimeSpan.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : Defaults.VisibilityTimeout,
                q.TryGetProperty("batchSize", out var b) ? b.GetInt32() : Defaults.BatchSize,
                q.TryGetProperty("messageEncoding", out var e) ? e.GetString()!.ToLowerInvariant() : Defaults.MessageEncoding);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new Activities.Configuration.BackupConfigurationException(
                $"host.json '{path}': extensions.queues is invalid: {e.Message.Split('\n')[0]} (expected maxDequeueCount, visibilityTimeout hh:mm:ss, batchSize, messageEncoding base64|none)");
        }
    }
}
