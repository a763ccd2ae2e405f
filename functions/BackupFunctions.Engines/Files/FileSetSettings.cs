namespace BackupFunctions.Engines.Files;

/// <summary>
/// What a files target selects (glob patterns relative to its directory; no Include selects everything) and the
/// shell commands run around its dump, each bounded by <paramref name="CommandTimeout"/>.
/// </summary>
public sealed record FileSetSettings(IReadOnlyList<string> Include, IReadOnlyList<string> Exclude, string? PreCommand, string? PostCommand, TimeSpan CommandTimeout)
{
    /// <summary>How long PreCommand and PostCommand may each run unless the target says otherwise.</summary>
    public static TimeSpan DefaultCommandTimeout { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Everything selected, no commands: what reads and restores a stored backup.</summary>
    public static FileSetSettings Everything { get; } = new([], [], null, null, DefaultCommandTimeout);
}
