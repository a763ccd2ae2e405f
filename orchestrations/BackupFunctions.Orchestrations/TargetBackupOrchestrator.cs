using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Runs;
using BackupFunctions.Vault.Catalog;
using Microsoft.DurableTask;

namespace BackupFunctions.Orchestrations;

/// <summary>
/// One target: BackupDatabase → VerifyBackup → RestoreTest → CheckAnomaly → PruneBackups. Prune runs
/// only after a verified backup; a suspect backup (the anomaly guard) still succeeds, and prune itself
/// then keeps everything of the target until it is acknowledged. Never throws: any failure becomes a Failed report, so one target cannot stop
/// the others. The backup id derives from the context (time + replay-safe GUID), so a retried or
/// replayed BackupDatabase reuses it and finds its own finished work.
/// </summary>
public sealed class TargetBackupOrchestrator : TaskOrchestrator<TargetBackupInput, TargetReport>
{
    public override async Task<TargetReport> RunAsync(TaskOrchestrationContext context, TargetBackupInput input)
    {
        var log = context.CreateReplaySafeLogger<TargetBackupOrchestrator>();
        var report = new TargetReport { Target = input.Target, Outcome = TargetOutcome.Failed };
        try
        {
            string hex = context.NewGuid().ToString("N")[..4];
            var at = new DateTimeOffset(DateTime.SpecifyKind(context.CurrentUtcDateTime, DateTimeKind.Utc));
            var id = new BackupId(input.Target, at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond)), hex);

            context.SetCustomStatus(new { input.Target, stage = "backup" });
            var backup = await context.CallActivityAsync<BackupDatabaseOutput>(TaskNames.Activities.BackupDatabase,
                new BackupDatabaseInput(input.Target, id.Value), RetryPolicies.Options(RetryPolicies.BackupDatabase, input.Retry));
            report = report with
            {
                BackupId = backup.BackupId,
                RawBytes = backup.RawBytes,
                StoredBytes = backup.StoredBytes,
                BackupSeconds = backup.Seconds,
            };

            context.SetCustomStatus(new { input.Target, stage = "verify" });
            var verify = await context.CallActivityAsync<VerifyBackupOutput>(TaskNames.Activities.VerifyBackup, backup.BackupId,
                RetryPolicies.Options(RetryPolicies.VerifyBackup, input.Retry));
            report = report with { Verify = verify.Status.ToString(), VerifyDetail = verify.Detail };
            if (!verify.IsOk)
            {
                // A backup that does not verify is not pruned against: keep every older one.
                return report with { Error = $"verification failed: {verify.Status}: {verify.Detail}" };
            }

            // Only a verified backup goes into the copy vaults (Backup:Copies); none configured: an empty list.
            context.SetCustomStatus(new { input.Target, stage = "copy" });
            var copies = await context.CallActivityAsync<CopyBackupOutput>(TaskNames.Activities.CopyBackup, backup.BackupId,
                RetryPolicies.Options(RetryPolicies.CopyBackup, input.Retry));
            report = report with { Copies = copies.Copies };

            RestoreTestOutput? test = null;
            if (backup.RestoreTestDisabled)
            {
                report = report with { RestoreTestDetail = RestoreTestActivity.DisabledDetail };
            }
            else
            {
                context.SetCustomStatus(new { input.Target, stage = "restore-test" });
                test = await context.CallActivityAsync<RestoreTestOutput>(TaskNames.Activities.RestoreTest, backup.BackupId,
                    RetryPolicies.Options(RetryPolicies.RestoreTest, input.Retry));
                report = report with { RestoreTestPassed = test.Passed, RestoreTestDetail = test.Detail, RestoreTestSeconds = test.Seconds };
            }

            context.SetCustomStatus(new { input.Target, stage = "anomaly" });
            var anomaly = await context.CallActivityAsync<CheckAnomalyOutput>(TaskNames.Activities.CheckAnomaly, backup.BackupId,
                RetryPolicies.Options(RetryPolicies.CheckAnomaly, input.Retry));
            report = report with { Anomaly = anomaly.Outcome, AnomalyDetail = anomaly.Detail };
            if (anomaly.IsSuspect)
            {
                Logs.TargetSuspect(log, input.Target, backup.BackupId, anomaly.Detail);
            }

            context.SetCustomStatus(new { input.Target, stage = "prune" });
            var prune = await context.CallActivityAsync<PruneBackupsOutput>(TaskNames.Activities.PruneBackups,
                new PruneBackupsInput(input.Target, DryRun: false), RetryPolicies.Options(RetryPolicies.PruneBackups, input.Retry));
            report = report with { Pruned = prune.Removed, PruneNote = prune.Note };

            return test is null || test.Passed
                ? report with { Outcome = TargetOutcome.Succeeded }
                : report with { Error = $"restore test failed: {test.Detail}" };
        }
        catch (TaskFailedException e)
        {
            string error = OrchestrationFailures.Describe(e);
            Logs.TargetFailed(log, input.Target, error);
            return report with { Outcome = TargetOutcome.Failed, Error = error, NeedsConfigurationFix = OrchestrationFailures.IsPermanent(e) };
        }
    }
}
