using BackupFunctions.Activities.Backups;

namespace BackupFunctions.Local.Cli.Rendering;

/// <summary>The one line that <c>verify</c>, <c>restore-test</c> and <c>restore</c> print for their outcome.</summary>
internal static class ResultLine
{
    public static string Verify(VerifyBackupOutput output) =>
        $"{output.BackupId}: {output.Status}: {output.Detail}";

    public static string RestoreTest(RestoreTestOutput output) =>
        $"{output.BackupId}: restore test {(output.Passed ? "passed" : "FAILED")} in {output.Seconds:F1} s: {output.Detail}";

    public static string Restore(RestoreDatabaseOutput output) =>
        $"{output.BackupId}: restored into '{output.Destination}' in {output.Seconds:F1} s: {output.Detail}";
}
