using System.Text.Json;
using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>The answer to POST /api/backups/{id}/ack: an HTTP status and a JSON body, the same on both hosts.</summary>
public sealed record AckResponse(int Status, object Body);

/// <summary>
/// POST /api/backups/{id}/ack, for both hosts: who accepts the suspect backup is the body's
/// <c>{"by": "NAME"}</c>, else the caller identity header <see cref="IdentityHeader"/> (set by App
/// Service authentication on Azure, or by a proxy in front of the local host), else the request is
/// refused (400). 200 with the acknowledgement (also when it had been acknowledged before: the first
/// one's who and when); 404 for an unknown backup; 409 when the backup is not suspect.
/// </summary>
public static class AckIntake
{
    /// <summary>The caller's name as Azure App Service authentication (Easy Auth) passes it.</summary>
    public const string IdentityHeader = "X-MS-CLIENT-PRINCIPAL-NAME";

    public static async Task<AckResponse> HandleAsync(BackupRuntime runtime, string backupId, string body, string? identity, CancellationToken cancellationToken)
    {
        if (ParseBy(body, identity, out string by) is { } problem)
        {
            return new AckResponse(400, new { error = problem });
        }

        try
        {
            var output = await runtime.AcknowledgeActivity().RunAsync(new AcknowledgeInput(backupId, by), cancellationToken);
            return output.Outcome == AcknowledgeOutcome.NotSuspect ? new AckResponse(409, new { error = output.Detail }) : new AckResponse(200, output);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new AckResponse(Failures.RuleFor(e).HttpStatus, new { error = Failures.Describe(e) });
        }
    }

    /// <summary>Reads {"by":"NAME"} (an empty body falls back to the identity header); returns the problem, or null.</summary>
    public static string? ParseBy(string body, string? identity, out string by)
    {
        by = "";
        string? named = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return "the body must be a JSON object like {\"by\":\"alice\"}, or empty when the caller identity header names the caller";
                }

                if (doc.RootElement.TryGetProperty("by", out var value))
                {
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        return "'by' must be a string naming who accepts the backup";
                    }

                    named = value.GetString();
                }
            }
            catch (JsonException e)
            {
                return BackupRequest.NotJson(e);
            }
        }

        named = string.IsNullOrWhiteSpace(named) ? identity : named;
        if (string.IsNullOrWhiteSpace(named))
        {
            return $"say who accepts the backup: a body {{\"by\":\"alice\"}} or the {IdentityHeader} header";
        }

        by = named.Trim();
        return null;
    }
}
