namespace BackupFunctions.Local.Cli;

/// <summary>Process exit codes of backupfn (README "CLI").</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A run failed (server unreachable, tool failed, storage error).</summary>
    public const int Failed = 1;

    /// <summary>Bad usage or configuration, or a refused operation: fix the input.</summary>
    public const int Usage = 2;

    /// <summary>A backup is corrupt or missing, or did not restore (verify, restore-test).</summary>
    public const int CheckFailed = 3;
}
