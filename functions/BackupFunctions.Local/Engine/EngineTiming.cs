using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Local.Engine;

/// <summary>
/// What the Durable Task engine costs a one-shot CLI run: hub and worker ready, scheduling to the
/// first activity, and stopping the worker. Logged (with --verbose) for scripts/bench.sh.
/// </summary>
internal sealed partial class EngineTiming
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _ready;
    private TimeSpan _scheduled;
    private long _firstActivity = -1;
    private TimeSpan _done;
    private TimeSpan _stopped;

    public void Ready(TimeSpan startup) => _ready = startup;

    public void Scheduled() => _scheduled = _clock.Elapsed;

    public void FirstActivity() => Interlocked.CompareExchange(ref _firstActivity, _clock.Elapsed.Ticks, -1);

    public void Done() => _done = _clock.Elapsed;

    public void Stopped() => _stopped = _clock.Elapsed;

    public void Log(ILogger logger)
    {
        double first = _firstActivity < 0 ? double.NaN : (TimeSpan.FromTicks(Interlocked.Read(ref _firstActivity)) - _scheduled).TotalMilliseconds;
        Logs.EngineTiming(logger, _ready.TotalMilliseconds, first, (_stopped - _done).TotalMilliseconds);
    }
}
