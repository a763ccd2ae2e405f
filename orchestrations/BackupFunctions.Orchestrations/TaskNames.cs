namespace BackupFunctions.Orchestrations;

/// <summary>
/// Names of every orchestrator and activity. Hosts register and wrap exactly these; a test checks
/// that the Azure app has one [Function] per name.
/// </summary>
public static class TaskNames
{
    public static class Orchestrators
    {
        public const string BackupAll = nameof(BackupAll);
        public const string TargetBackup = nameof(TargetBackup);
        public const string Restore = nameof(Restore);

        public static IReadOnlyList<string> All { get; } = [BackupAll, TargetBackup, Restore];
    }

    public static class Activities
    {
        public const string BackupDatabase = nameof(BackupDatabase);
        public const string VerifyBackup = nameof(VerifyBackup);
        public const string CopyBackup = nameof(CopyBackup);
        public const string RestoreTest = nameof(RestoreTest);
        public const string CheckAnomaly = nameof(CheckAnomaly);
        public const string PruneBackups = nameof(PruneBackups);
        public const string RestoreDatabase = nameof(RestoreDatabase);
        public const string WriteRunReport = nameof(WriteRunReport);
        public const string RecordRestore = nameof(RecordRestore);
        public const string Notify = nameof(Notify);

        public static IReadOnlyList<string> All { get; } = [BackupDatabase, VerifyBackup, CopyBackup, RestoreTest, CheckAnomaly, PruneBackups, RestoreDatabase, WriteRunReport, Notify, RecordRestore];
    }
}
