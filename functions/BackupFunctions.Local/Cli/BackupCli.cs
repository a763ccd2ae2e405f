using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Health;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Local.Engine;
using BackupFunctions.Local.Serve;
using BackupFunctions.Orchestrations.Intake;
using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Local.Cli;

/// <summary>
/// The <c>backupfn</c> command line (README "CLI"). Each verb is a thin call into an activity;
/// every failure becomes one line on stderr and an exit code from <see cref="ExitCodes"/>.
/// </summary>
public static class BackupCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, bool interactive, CancellationToken cancellationToken)
    {
        var config = new Option<string?>("--config") { Description = "JSON file with the Backup section; environment variables (Backup__...) override it", Recursive = true };
        var json = new Option<bool>("--json") { Description = "Print results as JSON", Recursive = true };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log progress messages to stderr", Recursive = true };
        var target = new Option<string?>("--target") { Description = "Target name from the configuration" };
        var targets = new Option<string[]>("--target") { Description = "Target to back up (repeatable; all targets when omitted)", Arity = ArgumentArity.ZeroOrMore };
        var latest = new Option<bool>("--latest") { Description = "Use the target's newest backup" };
        var id = new Argument<string?>("id") { Description = "Backup id (see 'backupfn list')", Arity = ArgumentArity.ZeroOrOne };
        var restoreId = new Argument<string>("id") { Description = "Backup id to restore" };
        var to = new Option<string>("--to") { Description = "Configured target to restore into", Required = true };
        var replace = new Option<bool>("--replace") { Description = "Replace a non-empty destination (only after the restore has succeeded)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the plan, remove nothing" };
        var hostJson = new Option<string?>("--host-json") { Description = "host.json whose extensions.queues settings the queue trigger follows (default: ./host.json when present)" };
        var holdOn = new Option<bool>("--on") { Description = "Place a legal hold" };
        var holdOff = new Option<bool>("--off") { Description = "Release the legal hold" };
        var holdId = new Argument<string>("id") { Description = "Backup id to hold or release" };
        var noRetry = new Option<bool>("--no-retry") { Description = "Fail at the first error instead of retrying transient failures with back-off" };

        var root = new RootCommand("backupfn: back up databases into write-once blob storage, verify, restore-test and restore them.");
        root.Options.Add(config);
        root.Options.Add(json);
        root.Options.Add(verbose);

        Command Verb(string name, string description, Func<CliSession, System.CommandLine.ParseResult, CancellationToken, Task<int>> run, params Symbol[] symbols)
        {
            var command = new Command(name, description);
            foreach (var symbol in symbols)
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
                    using var session = CliSession.Open(result.GetValue(config), result.GetValue(json), result.GetValue(verbose), interactive, stdout, stderr);
                    return await run(session, result, ct);
                }
                catch (Exception e)
                {
                    var (code, message) = CliErrors.Describe(e);
                    await stderr.WriteLineAsync($"backupfn {name}: {message}");
                    if (result.GetValue(verbose) && code == ExitCodes.Failed)
                    {
                        await stderr.WriteLineAsync(e.ToString());
                    }

                    return code;
                }
            });
            root.Subcommands.Add(command);
            return command;
        }

        Verb("backup", "Back up, verify, restore-test and prune all targets (or the named ones); exit 0 only if all succeeded",
            (s, r, ct) =>
            {
                s.Retries = !r.GetValue(noRetry);
                return BackupAsync(s, r.GetValue(targets) ?? [], stderr, ct);
            }, targets, noRetry);
        Verb("list", "List backups, newest first",
            (s, r, ct) => ListAsync(s, r.GetValue(target), ct), target);
        Verb("verify", "Check a backup's checksums and structure; exit 3 when corrupt or missing",
            async (s, r, ct) => await VerifyAsync(s, await PickAsync(s, r.GetValue(id), r.GetValue(target), r.GetValue(latest), ct), ct), id, target, latest);
        Verb("restore-test", "Restore a backup into a scratch database and compare counts; exit 3 on failure",
            async (s, r, ct) => await RestoreTestAsync(s, await PickAsync(s, r.GetValue(id), r.GetValue(target), r.GetValue(latest), ct), ct), id, target, latest);
        Verb("restore", "Restore a backup into a configured target; refuses a non-empty one without --replace",
            (s, r, ct) => RestoreAsync(s, r.GetValue(restoreId)!, r.GetValue(to)!, r.GetValue(replace), ct), restoreId, to, replace);
        Verb("prune", "Apply the retention policy (prints kept/removed with reasons)",
            (s, r, ct) => PruneAsync(s, r.GetValue(target), r.GetValue(dryRun), stderr, ct), target, dryRun);

        Verb("status", "Per target: last good backup, its age against the schedule, last restore test, ok/late/failing; exit 3 when any is late or failing",
            (s, r, ct) => StatusAsync(s, ct));
        Verb("hold", "Place (--on) or release (--off) a legal hold on a backup; held backups are never pruned",
            (s, r, ct) => HoldAsync(s, r.GetValue(holdId)!, r.GetValue(holdOn), r.GetValue(holdOff), ct), holdId, holdOn, holdOff);
        Verb("serve", "Run the timer, HTTP and queue triggers in this process, like the Functions host (Ctrl+C stops)",
            (s, r, ct) => ServeAsync(s, r.GetValue(hostJson), r.GetValue(verbose), stdout, stderr, ct), hostJson);

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

    private static async Task<int> HoldAsync(CliSession s, string backupId, bool on, bool off, CancellationToken ct)
    {
        if (on == off)
        {
            throw new BackupConfigurationException("give exactly one of --on or --off");
        }

        string outcome = await new LegalHoldActivity(s.Runtime).RunAsync(new LegalHoldInput(backupId, on, Environment.UserName), ct);
        await s.Out.WriteLineAsync($"{backupId}: legal hold {outcome.ToLowerInvariant()}");
        return ExitCodes.Ok;
    }

    private static async Task<int> ServeAsync(CliSession s, string? hostJson, bool verbose, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var settings = HostSettings.Load(hostJson ?? (File.Exists("host.json") ? "host.json" : null));
        await using var server = await LocalServer.StartAsync(s.Runtime, settings, new TextWriterLoggerProvider(stderr, includeScopes: verbose), ct);
        await stdout.WriteLineAsync($"backupfn serve: listening on {server.Url}; timer, HTTP (/api/backups, /api/runs/{{id}}, /api/health) and queue '{RestoreQueues.QueueName}' are running. Ctrl+C stops.");
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            await stdout.WriteLineAsync("backupfn serve: stopping");
        }

        return ExitCodes.Ok;
    }

    /// <summary>An explicit id, or --target with --latest; anything else is a usage error.</summary>
    private static async Task<string> PickAsync(CliSession s, string? id, string? target, bool latest, CancellationToken ct)
    {
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

        return await new BackupCatalog(s.Runtime).LatestAsync(target, ct);
    }

    private static async Task<int> BackupAsync(CliSession s, string[] names, TextWriter stderr, CancellationToken ct)
    {
        foreach (string name in names)
        {
            s.Runtime.Resolve(name); // every name is checked before anything runs
        }

        var timing = new EngineTiming();
        var reports = await ProgressDisplay.RunManyAsync(s, async progress =>
        {
            var engine = await s.StartEngineAsync(new ActivityEnvironment(progress, ct) { Started = _ => timing.FirstActivity() });
            timing.Ready(engine.Startup);
            try
            {
                using var starter = new RunStarter(s.Runtime, engine.Client, s.Retries);
                var start = await starter.StartAsync(names, "cli", ct);
                timing.Scheduled();
                foreach (var joined in start.AlreadyRunning.GroupBy(p => p.Value, p => p.Key))
                {
                    // An interrupted `backupfn backup`, serve's timer or an HTTP request has them: follow that run, never start a second one.
                    await stderr.WriteLineAsync($"backupfn backup: joining run {joined.Key}, which is already backing up {string.Join(", ", joined)}");
                }

                var runs = new List<RunReport>();
                foreach (string runId in start.AlreadyRunning.Values.Append(start.InstanceId).Distinct(StringComparer.Ordinal))
                {
                    var done = await engine.WaitAsync(runId, ct);
                    runs.Add(done.SerializedOutput is { } output
                        ? JsonSerializer.Deserialize<RunReport>(output, TaskJson.Options)!
                        : throw new InvalidOperationException($"run {runId} ended {done.State}: {done.FailureMessage}"));
                }

                timing.Done();
                return runs;
            }
            finally
            {
                await engine.DisposeAsync();
                timing.Stopped();
            }
        });
        timing.Log(s.Runtime.Loggers.CreateLogger("BackupFunctions.Local.Engine"));

        var selected = names.Length == 0 ? s.Runtime.TargetNames.ToHashSet(StringComparer.Ordinal) : names.ToHashSet(StringComparer.Ordinal);
        var targets = reports.SelectMany(r => r.Targets).Where(t => selected.Contains(t.Target)).ToList();
        foreach (var t in targets.Where(t => !t.Succeeded))
        {
            await stderr.WriteLineAsync($"backupfn backup: {t.Error}");
        }

        if (s.Json)
        {
            // One run: its report (the common case, unchanged); joined runs too: the list of them.
            if (reports.Count == 1)
            {
                s.WriteJson(reports[0]);
            }
            else
            {
                s.WriteJson(reports);
            }
        }
        else
        {
            foreach (var t in targets)
            {
                await s.Out.WriteLineAsync(Describe(t));
            }

            foreach (var report in reports)
            {
                await s.Out.WriteLineAsync(
                    $"run {report.RunId}: {report.Targets.Count(t => t.Succeeded)}/{report.Targets.Count} targets succeeded; report {BlobLayout.RunReport(report.RunId, new DateTimeOffset(report.StartedAt, TimeSpan.Zero))}");
            }
        }

        if (targets.All(t => t.Succeeded))
        {
            return ExitCodes.Ok;
        }

        return targets.Any(t => !t.Succeeded && t.NeedsConfigurationFix) ? ExitCodes.Usage : ExitCodes.Failed;
    }

    private static string Describe(TargetReport t)
    {
        if (t.BackupId is null)
        {
            return $"{t.Target}: FAILED: {t.Error}";
        }

        string backup = $"{t.Target}: backed up as {t.BackupId}: {CliSession.Bytes(t.RawBytes)} raw -> {CliSession.Bytes(t.StoredBytes)} stored in {t.BackupSeconds:F1} s";
        string verify = $"verify {t.Verify ?? "-"}";
        string test = t.RestoreTestPassed switch
        {
            true => $"restore test passed in {t.RestoreTestSeconds:F1} s",
            false => "restore test FAILED",
            null => "restore test not run",
        };
        string outcome = t.Succeeded ? "" : $"; FAILED: {t.Error}";
        return $"{backup}; {verify}; {test}{outcome}";
    }

    /// <summary>The health table (the same evaluation as GET /api/health); for cron and monitoring, exit 3 when any target is late or failing.</summary>
    private static async Task<int> StatusAsync(CliSession s, CancellationToken ct)
    {
        var health = await new HealthCheck(s.Runtime).EvaluateAsync(ct);
        bool bad = health.Any(h => h.Status.IsBad());
        if (s.Json)
        {
            s.WriteJson(health);
            return bad ? ExitCodes.CheckFailed : ExitCodes.Ok;
        }

        await s.Out.WriteLineAsync($"{"TARGET",-16} {"STATUS",-8} {"LAST GOOD BACKUP",-40} {"AGE",8} {"DUE (UTC)",-17} {"LAST RESTORE TEST",-40} REASON");
        foreach (var h in health)
        {
            string age = h.AgeHours is { } a ? string.Create(CultureInfo.InvariantCulture, $"{a:F1} h") : "-";
            string due = h.DueAt is { } d ? d.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";
            await s.Out.WriteLineAsync($"{h.Target,-16} {h.Status.Word(),-8} {h.LastGoodBackup ?? "-",-40} {age,8} {due,-17} {h.LastPassedRestoreTest ?? "-",-40} {h.Reason}");
        }

        return bad ? ExitCodes.CheckFailed : ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(CliSession s, string? target, CancellationToken ct)
    {
        if (target is not null)
        {
            s.Runtime.Resolve(target);
        }

        var entries = await new BackupCatalog(s.Runtime).ListAsync(target, ct);
        if (s.Json)
        {
            s.WriteJson(entries.Select(e => new { manifest = e.Manifest, lastVerify = e.LastVerify, lastRestoreTest = e.LastRestoreTest }));
            return ExitCodes.Ok;
        }

        if (entries.Count == 0)
        {
            await s.Out.WriteLineAsync(target is null ? "no backups" : $"no backups of '{target}'");
            return ExitCodes.Ok;
        }

        await s.Out.WriteLineAsync($"{"ID",-40} {"COMPLETED (UTC)",-20} {"RAW",10} {"STORED",10} {"VERIFY",-17} {"RESTORE-TEST",-12}");
        foreach (var e in entries)
        {
            var m = e.Manifest;
            await s.Out.WriteLineAsync(
                $"{m.Id,-40} {m.CompletedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {CliSession.Bytes(m.RawBytes),10} {CliSession.Bytes(m.StoredBytes),10} {e.LastVerify?.ToString() ?? "-",-17} {e.LastRestoreTest?.ToString() ?? "-",-12}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> VerifyAsync(CliSession s, string backupId, CancellationToken ct)
    {
        var output = await ProgressDisplay.RunAsync(s, $"verify {backupId}",
            progress => new VerifyBackupActivity(s.Runtime).RunAsync(backupId, progress, ct));
        if (s.Json)
        {
            s.WriteJson(output);
        }
        else
        {
            await s.Out.WriteLineAsync($"{output.BackupId}: {output.Status}: {output.Detail}");
        }

        return output.IsOk ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    private static async Task<int> RestoreTestAsync(CliSession s, string backupId, CancellationToken ct)
    {
        var output = await ProgressDisplay.RunAsync(s, $"restore-test {backupId}",
            progress => new RestoreTestActivity(s.Runtime).RunAsync(backupId, progress, ct));
        if (s.Json)
        {
            s.WriteJson(output);
        }
        else
        {
            await s.Out.WriteLineAsync($"{output.BackupId}: restore test {(output.Passed ? "passed" : "FAILED")} in {output.Seconds:F1} s: {output.Detail}");
        }

        return output.Passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    private static async Task<int> RestoreAsync(CliSession s, string backupId, string destination, bool replace, CancellationToken ct)
    {
        var output = await ProgressDisplay.RunAsync(s, $"restore {backupId}",
            progress => new RestoreDatabaseActivity(s.Runtime).RunAsync(new RestoreDatabaseInput(backupId, destination, replace), progress, ct));
        if (s.Json)
        {
            s.WriteJson(output);
        }
        else
        {
            await s.Out.WriteLineAsync($"{output.BackupId}: restored into '{output.Destination}' in {output.Seconds:F1} s: {output.Detail}");
        }

        return output.CountsMatch ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    private static async Task<int> PruneAsync(CliSession s, string? target, bool dryRun, TextWriter stderr, CancellationToken ct)
    {
        var targets = target is null ? s.Runtime.TargetNames : [target];
        var outputs = new List<PruneBackupsOutput>();
        foreach (string t in targets)
        {
            outputs.Add(await new PruneBackupsActivity(s.Runtime).RunAsync(new PruneBackupsInput(t, dryRun), ct));
        }

        if (s.Json)
        {
            s.WriteJson(outputs);
            return ExitCodes.Ok;
        }

        foreach (var output in outputs)
        {
            await s.Out.WriteLineAsync($"{output.Target}: {output.Note}");
            foreach (var d in output.Decisions)
            {
                string verb = d.Keep ? "keep  " : dryRun ? "would remove" : "remove";
                await s.Out.WriteLineAsync($"  {verb,-12} {d.BackupId}  {(d.Keep ? string.Join("; ", d.Reasons) : "no rule keeps it")}");
            }

            foreach (string orphan in output.OrphansRemoved)
            {
                await s.Out.WriteLineAsync($"  swept        {orphan}  (data of an interrupted backup, no manifest)");
            }
        }

        return ExitCodes.Ok;
    }
}
