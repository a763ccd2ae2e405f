using BackupFunctions.Activities.Backups;
using Spectre.Console;

namespace BackupFunctions.Local.Cli;

/// <summary>A live bytes / rate / ETA bar on stderr when it is a terminal; nothing otherwise.</summary>
internal static class ProgressDisplay
{
    public static Task<T> RunAsync<T>(CliSession session, string label, Func<IProgress<TransferProgress>?, Task<T>> work) =>
        RunManyAsync(session, sinks => work(sinks.For(label)));

    /// <summary>
    /// One bar per label, created when work first reports under it (targets backed up in parallel
    /// each get their own bytes / rate / ETA).
    /// </summary>
    public static async Task<T> RunManyAsync<T>(CliSession session, Func<ProgressSinks, Task<T>> work)
    {
        if (!session.Progress)
        {
            // No terminal: no bars, and a notice (a retry) is a line on stderr, where a cron mail or a CI log keeps it.
            return await work(new ProgressSinks(_ => null, (label, text) => session.Error.WriteLine($"{label}: {text}")));
        }

        using var hold = session.Logs?.Hold();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, Reporter>(StringComparer.Ordinal);
                Reporter For(string label)
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(label, out var reporter))
                        {
                            var task = ctx.AddTask(Markup.Escape(label), maxValue: 1);
                            task.IsIndeterminate = true;
                            tasks[label] = reporter = new Reporter(task, label);
                        }

                        return reporter;
                    }
                }

                result = await work(new ProgressSinks(For, (label, text) => For(label).Notice(text)));
            });
        return result;
    }

    private sealed class Reporter(ProgressTask task, string label) : IProgress<TransferProgress>
    {
        private volatile bool _noticed;

        /// <summary>Shows a notice on the bar (a retry and its delay) until the work reports progress again.</summary>
        public void Notice(string text)
        {
            task.Description = Markup.Escape($"{label}: {text}");
            _noticed = true;
        }

        public void Report(TransferProgress value)
        {
            if (_noticed)
            {
                _noticed = false;
                task.Description = Markup.Escape(label);
            }

            if (value.Total is > 0 and long total)
            {
                task.IsIndeterminate = false;
                // Estimates (database size) can be below the real dump size: never run past 100 %.
                task.MaxValue = Math.Max(total, value.Bytes);
            }

            task.Value = value.Bytes;
            if (value.Total is > 0 and long t && value.Bytes >= t)
            {
                task.StopTask();
            }
        }
    }
}

/// <summary>What work under a <see cref="ProgressDisplay"/> reports to: a bar per label, and a notice for a label (shown on its bar, or on stderr without a terminal).</summary>
internal sealed record ProgressSinks(Func<string, IProgress<TransferProgress>?> For, Action<string, string> Notice);
