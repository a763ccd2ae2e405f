using BackupFunctions.Activities.Backups;
using Spectre.Console;

namespace BackupFunctions.Local.Cli;

/// <summary>A live bytes / rate / ETA bar on stderr when it is a terminal; nothing otherwise.</summary>
internal static class ProgressDisplay
{
    public static async Task<T> RunAsync<T>(bool enabled, string label, Func<IProgress<TransferProgress>?, Task<T>> work)
    {
        if (!enabled)
        {
            return await work(null);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label), maxValue: 1);
                task.IsIndeterminate = true;
                result = await work(new Reporter(task));
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
        }
    }
}
