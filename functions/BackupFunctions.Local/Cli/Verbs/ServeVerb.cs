using BackupFunctions.Activities.Restores;
using System.CommandLine;
using BackupFunctions.Activities.Health;
using BackupFunctions.Local.Serve;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn serve</c>: the timer, HTTP and queue triggers in this process, like the Functions host, until Ctrl+C.</summary>
internal static class ServeVerb
{
    public static VerbDefinition Define(SharedOptions shared)
    {
        var hostJson = new Option<string?>("--host-json") { Description = "host.json whose extensions.queues settings the queue trigger follows (default: ./host.json when present)" };
        return new VerbDefinition("serve", "Run the timer, HTTP and queue triggers in this process, like the Functions host (Ctrl+C stops)",
            (s, r, ct) => RunAsync(s, r.GetValue(hostJson), r.GetValue(shared.Verbose), ct),
            [hostJson]);
    }

    private static async Task<int> RunAsync(CliSession s, string? hostJson, bool verbose, CancellationToken ct)
    {
        var settings = HostSettings.Load(hostJson ?? (File.Exists("host.json") ? "host.json" : null));
        await using var server = await LocalServer.StartAsync(s.Runtime, settings, new TextWriterLoggerProvider(s.Error, includeScopes: verbose), ct);
        await s.Out.WriteLineAsync($"backupfn serve: listening on {server.Url}; timer, HTTP (/api/backups, /api/runs/{{id}}, /api/health) and queue '{RestoreQueues.QueueName}' are running. Ctrl+C stops.");
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            await s.Out.WriteLineAsync("backupfn serve: stopping");
        }

        return ExitCodes.Ok;
    }
}
