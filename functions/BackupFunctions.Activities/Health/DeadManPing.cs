using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Health;

/// <summary>
/// The dead-man's switch (healthchecks.io style): after every run, a GET of Notifications:PingUrl
/// when it succeeded, of PingUrl + "/fail" when it failed. The monitor alerts when pings stop, which
/// catches what nothing inside can: a scheduler that silently stopped. A ping never fails the run;
/// the URL may carry a token, so it is logged as scheme://host/… only, and errors never quote it.
/// </summary>
public sealed class DeadManPing(string? pingUrl, ILogger logger)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The URL a run with this outcome pings: the URL itself, or its "/fail" endpoint.</summary>
    public static string UrlFor(string pingUrl, bool succeeded) => succeeded ? pingUrl : pingUrl.TrimEnd('/') + "/fail";

    /// <summary>What of a URL may be logged: scheme and host, never its path or query (which hold the token).</summary>
    public static string Redact(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}/…" : "(invalid URL)";

    /// <summary>Pings for a finished run; true when the monitor answered 2xx (false, logged, when it could not be reached).</summary>
    public async Task<bool> SendAsync(bool succeeded, CancellationToken cancellationToken)
    {
        if (pingUrl is null)
        {
            return false;
        }

        string outcome = succeeded ? "success" : "fail";
        string redacted = Redact(pingUrl);
        try
        {
            using var response = await Http.GetAsync(UrlFor(pingUrl, succeeded), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                Logs.PingSent(logger, redacted, outcome, (int)response.StatusCode);
                return true;
            }

            Logs.PingUndelivered(logger, redacted, outcome, $"HTTP {(int)response.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            Logs.PingUndelivered(logger, redacted, outcome, e.HttpRequestError.ToString()); // the message would name the URL
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Logs.PingUndelivered(logger, redacted, outcome, "timed out");
        }

        return false;
    }
}
