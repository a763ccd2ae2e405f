using System.Runtime.InteropServices;
using BackupFunctions.Local.Cli;

// Ctrl+C and SIGTERM (systemd, Kubernetes, Container Apps) cancel the run: uploads are abandoned
// uncommitted, tools are killed, nothing half-written becomes visible.
using var cancel = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

return await BackupCli.RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsErrorRedirected, cancel.Token);
