using System.CommandLine;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Local.Cli.Verbs;

namespace BackupFunctions.Local.Cli;

/// <summary>
/// The <c>backupfn</c> command line (README "CLI"). Each verb (one file under Verbs/) is a thin call into an activity;
/// every failure becomes one line on stderr and an exit code from <see cref="ExitCodes"/>.
/// </summary>
public static class BackupCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, bool interactive, CancellationToken cancellationToken)
    {
        var shared = new SharedOptions();
        var root = new RootCommand("backupfn: back up databases into write-once blob storage, verify, restore-test and restore them.");
        root.Options.Add(shared.Config);
        root.Options.Add(shared.Json);
        root.Options.Add(shared.Verbose);

        VerbDefinition[] verbs =
        [
            BackupVerb.Define(),
            ListVerb.Define(shared),
            VerifyVerb.Define(shared),
            RestoreTestVerb.Define(shared),
            RestoreVerb.Define(),
            RequestRestoreVerb.Define(),
            PruneVerb.Define(shared),
            StatusVerb.Define(),
            HoldVerb.Define(),
            AckVerb.Define(),
            ReportVerb.Define(shared),
            ServeVerb.Define(shared),
        ];
        foreach (var verb in verbs)
        {
            root.Subcommands.Add(Verb(verb, shared, interactive, stdout, stderr));
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // The most specific error first: an unknown word explains a "required command" complaint.
            var messages = parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Required", StringComparison.Ordinal) ? 1 : 0);
            await stderr.WriteLineAsync($"backupfn: {string.Join("; ", messages)} (see 'backupfn --help')");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null }, cancellationToken);
    }

    /// <summary>The verb's command: its action runs in a session, and any failure becomes one line and an exit code.</summary>
    private static Command Verb(VerbDefinition verb, SharedOptions shared, bool interactive, TextWriter stdout, TextWriter stderr)
    {
        var command = new Command(verb.Name, verb.Description);
        foreach (var symbol in verb.Symbols)
        {
            switch (symbol)
            {
                case Option o: command.Options.Add(o); break;
                case Argument a: command.Arguments.Add(a); break;
            }
        }

        command.SetAction(async (result, ct) =>
        {
            try
            {
                using var telemetry = Telemetry.OtlpExport.StartIfConfigured();
                using var session = CliSession.Open(result.GetValue(shared.Config), result.GetValue(shared.Json), result.GetValue(shared.Verbose), interactive, stdout, stderr);
                return await verb.Run(session, result, ct);
            }
            catch (Exception e)
            {
                var (code, message) = CliErrors.Describe(e);
                await stderr.WriteLineAsync($"backupfn {verb.Name}: {message}");
                if (result.GetValue(shared.Verbose) && code == ExitCodes.Failed)
                {
                    await stderr.WriteLineAsync(e.ToString());
                }

                return code;
            }
        });
        return command;
    }
}

/// <summary>
/// The options and argument more than one verb takes, created once per invocation: the global ones on the root
/// (--config, --json, --verbose) and the way to name a backup (an id, or --target with --latest).
/// </summary>
internal sealed class SharedOptions
{
    public Option<string?> Config { get; } = new("--config") { Description = "JSON file with the Backup section; environment variables (Backup__...) override it", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Print results as JSON", Recursive = true };
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Log progress messages to stderr", Recursive = true };
    public Option<string?> Target { get; } = new("--target") { Description = "Target name from the configuration" };
    public Option<bool> Latest { get; } = new("--latest") { Description = "Use the target's newest backup" };
    public Argument<string?> Id { get; } = new("id") { Description = "Backup id (see 'backupfn list')", Arity = ArgumentArity.ZeroOrOne };
    public Option<string?> Vault { get; } = new("--vault") { Description = "Use this copy vault (a name under Backup:Copies) instead of the primary" };

    /// <summary>An explicit id, or --target with --latest (the newest in <paramref name="runtime"/>'s vault, the primary by default); anything else is a usage error.</summary>
    public async Task<string> PickBackupAsync(CliSession s, ParseResult r, CancellationToken ct, Activities.Backups.BackupRuntime? runtime = null)
    {
        string? id = r.GetValue(Id);
        string? target = r.GetValue(Target);
        bool latest = r.GetValue(Latest);
        if (id is not null && (target is not null || latest))
        {
            throw new BackupConfigurationException("give either a backup id or --target NAME --latest, not both");
        }

        if (id is not null)
        {
            return id;
        }

        if (target is null || !latest)
        {
            throw new BackupConfigurationException("which backup? give a backup id, or --target NAME --latest");
        }

        return await (runtime ?? s.Runtime).BackupCatalog().LatestAsync(target, ct);
    }
}
