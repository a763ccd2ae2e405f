using BackupFunctions.Activities.Backups;
using Spectre.Console;

namespace BackupFunctions.Local.Cli;

/// <summary>A live bytes / rate / ETA bar on stderr when it is a terminal; nothing otherwise.</summary>
internal static class ProgressDisplay
{
    public static Task<T> RunAsync<T>(CliSession session, string label, Func<IProgress<TransferProgress>?, Task<T>> work) =>
        RunManyAsync(session, progressFor => work(progressFor(label)));

    /// <summary>
    /// One bar per label, created when work first reports under it (targets backed up in parallel
    /// each get their own bytes / rate / ETA).
    /// </summary>
    public static async Task<T> RunManyAsync<T>(CliSession session, Func<Func<string, IProgress<TransferProgress>?>, Task<T>> work)
    {
        if (!session.Progress)
        {
            return await work(_ => null);
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
                IProgress<TransferProgress> For(string label)
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(label, out var reporter))
                        {
                            var task = ctx.AddTask(Markup.Escape(label), maxValue: 1);
                            task.IsIndeterminate = true;
                            tasks[label] = reporter = new Reporter(task);
                        }

                        return reporter;
                    }
                }

                result = await work(For);
            });
        return result;
    }

    private sealed class Reporter(ProgressTask task) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
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
