using System.CommandLine;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Local.Cli.Rendering;
using BackupFunctions.Local.Engine;
using BackupFunctions.Orchestrations.Intake;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary><c>backupfn backup</c>: one run of the backup orchestration (or joining the one already running); exit 0 only if all succeeded.</summary>
internal static class BackupVerb
{
    public static VerbDefinition Define()
    {
        var targets = new Option<string[]>("--target") { Description = "Target to back up (repeatable; all targets when omitted)", Arity = ArgumentArity.ZeroOrMore };
        var noRetry = new Option<bool>("--no-retry") { Description = "Fail at the first error instead of retrying transient failures with back-off" };
        return new VerbDefinition("backup", "Back up, verify, restore-test and prune all targets (or the named ones); exit 0 only if all succeeded",
            (s, r, ct) =>
            {
                s.Retries = !r.GetValue(noRetry);
                return RunAsync(s, r.GetValue(targets) ?? [], ct);
            },
            [targets, noRetry]);
    }

    private static async Task<int> RunAsync(CliSession s, string[] names, CancellationToken ct)
    {
        foreach (string name in names)
        {
            s.Runtime.Resolve(name); // every name is checked before anything runs
        }

        var timing = new EngineTiming();
        var retries = new RetryNotices(s.Retries);
        var reports = await ProgressDisplay.RunManyAsync(s, async sinks =>
        {
            var engine = await s.StartEngineAsync(new ActivityEnvironment(sinks.For, ct)
            {
                Started = _ => timing.FirstActivity(),
                Failed = failure =>
                {
                    if (retries.For(failure) is var (label, text))
                    {
                        sinks.Notice(label, text); // a retry is coming: say so, with when, instead of waiting in silence
                    }
                },
            });
            timing.Ready(engine.Startup);
            try
            {
                using var starter = new RunStarter(s.Runtime, engine.Client, s.Retries);
                var start = await starter.StartAsync(names, "cli", ct);
                timing.Scheduled();
                foreach (var joined in start.AlreadyRunning.GroupBy(p => p.Value, p => p.Key))
                {
                    // An interrupted `backupfn backup`, serve's timer or an HTTP request has them: follow that run, never start a second one.
                    await s.Error.WriteLineAsync($"backupfn backup: joining run {joined.Key}, which is already backing up {string.Join(", ", joined)}");
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
        // After the run, so that a run which fails to start still ends in its one-line error.
        foreach (string line in DefaultRetentionText.Lines(s.Runtime.Options, names.Length == 0 ? s.Runtime.TargetNames : names))
        {
            await s.Error.WriteLineAsync($"backupfn backup: {line}");
        }

        foreach (var t in targets.Where(t => !t.Succeeded))
        {
            await s.Error.WriteLineAsync($"backupfn backup: {t.Error}");
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
            await s.WriteLinesAsync(targets.Select(RunReportText.Describe).Concat(reports.Select(RunReportText.Summary)));
        }

        if (targets.All(t => t.Succeeded))
        {
            return ExitCodes.Ok;
        }

        return targets.Any(t => !t.Succeeded && t.NeedsConfigurationFix) ? ExitCodes.Usage : ExitCodes.Failed;
    }
}
