using System.Diagnostics;

namespace BackupFunctions.IntegrationTests.Infrastructure;

/// <summary>A real headless Chromium (Debian's, installed by scripts/setup.sh), to render report pages as a reader sees them.</summary>
internal static class Chromium
{
    private static readonly string[] HeadlessFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--window-size=1100,800"];

    /// <summary>Runs chromium with the headless flags and <paramref name="args"/>; returns its stdout (the DOM with --dump-dom).</summary>
    public static async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in HeadlessFlags.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
