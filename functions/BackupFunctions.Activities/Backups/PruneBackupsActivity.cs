namespace BackupFunctions.Activities.Backups;

/// <summary>Input of a prune: the target, and whether to only plan.</summary>
public sealed record PruneBackupsInput(string Target, bool DryRun);

/// <summary>What a prune removed (backup ids) and a note on how it decided.</summary>
public sealed record PruneBackupsOutput(string Target, IReadOnlyList<string> Removed, IReadOnlyList<string> Kept, string Note);

/// <summary>
/// The retention step of a target's run. The GFS retention planner is not built yet (retention
/// issue): until then this keeps every backup, lists them, and says so. Removing nothing is the
/// safe direction for a backup tool.
/// </summary>
public sealed class PruneBackupsActivity(BackupRuntime runtime)
{
    public const string NotImplementedNote = "retention is not implemented in this build yet; every backup is kept";

    public async Task<PruneBackupsOutput> RunAsync(PruneBackupsInput input, CancellationToken cancellationToken)
    {
        runtime.Resolve(input.Target);
        var kept = (await new BackupCatalog(runtime).ListAsync(input.Target, cancellationToken)).Select(e => e.Manifest.Id).ToList();
        return new PruneBackupsOutput(input.Target, [], kept, NotImplementedNote);
    }
}
