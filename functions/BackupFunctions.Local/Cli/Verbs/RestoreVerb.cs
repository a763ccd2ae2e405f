using System.CommandLine;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Restores;
using BackupFunctions.Engines;
using BackupFunctions.Local.Cli.Rendering;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary>
/// <c>backupfn restore</c>: restore one backup (or part of it) into a configured target or into any place given as a
/// connection; a non-empty destination only with --replace, which first takes a safety backup of it.
/// </summary>
internal static class RestoreVerb
{
    public static VerbDefinition Define()
    {
        var id = new Argument<string>("id") { Description = "Backup id to restore" };
        var to = new Option<string>("--to") { Description = "Configured target to restore into" };
        var toConnection = new Option<string>("--to-connection") { Description = "Restore into this connection (server/database, Redis instance, ...) instead of a configured target" };
        var replace = new Option<bool>("--replace") { Description = "Replace a non-empty destination (only after the restore has succeeded; a safety backup of it is taken first)" };
        var noSafety = new Option<bool>("--no-safety-backup") { Description = "With --replace: do not back the destination up before replacing it" };
        var tables = new Option<string[]>("--table") { Description = "PostgreSQL: restore only this table (repeatable; pg_restore --table)", Arity = ArgumentArity.ZeroOrMore };
        var schemas = new Option<string[]>("--schema") { Description = "PostgreSQL: restore only objects in this schema (repeatable; pg_restore --schema)", Arity = ArgumentArity.ZeroOrMore };
        var schemaOnly = new Option<bool>("--schema-only") { Description = "PostgreSQL: restore definitions only, no rows" };
        var dataOnly = new Option<bool>("--data-only") { Description = "PostgreSQL: restore rows only, into existing tables" };
        var database = new Option<int?>("--db") { Description = "Redis: restore only database N of the backup" };
        var match = new Option<string>("--match") { Description = "Redis: restore only keys matching this glob pattern" };
        var from = new Option<string>("--from") { Description = "Read the backup from this copy vault (a name under Backup:Copies) instead of the primary" };
        return new VerbDefinition("restore",
            "Restore a backup into a configured target (--to) or a connection (--to-connection); refuses a non-empty one without --replace",
            (s, r, ct) =>
            {
                var selection = new RestoreSelection(r.GetValue(tables), r.GetValue(schemas), r.GetValue(schemaOnly), r.GetValue(dataOnly),
                    r.GetValue(database), r.GetValue(match));
                return RunAsync(s, r.GetValue(id)!, r.GetValue(to), r.GetValue(toConnection), r.GetValue(replace), !r.GetValue(noSafety), selection,
                    r.GetValue(from), ct);
            },
            [id, to, toConnection, replace, noSafety, tables, schemas, schemaOnly, dataOnly, database, match, from]);
    }

    private static async Task<int> RunAsync(CliSession s, string backupId, string? to, string? toConnection, bool replace, bool safetyBackup,
        RestoreSelection selection, string? from, CancellationToken ct)
    {
        var source = s.Runtime.ForVault(from); // an unknown name fails here, before anything is touched
        if ((to is null) == (toConnection is null))
        {
            throw new BackupConfigurationException("give the destination with --to TARGET (a configured target) or --to-connection CONNECTION, one of them");
        }

        if (!safetyBackup && !replace)
        {
            throw new BackupConfigurationException("--no-safety-backup only applies with --replace (nothing is replaced without it)");
        }

        string destination = to ?? await RestoreDestinations.AddAsync(source.Vault, s.Runtime.Targets, backupId, toConnection!, ct);
        if (replace && !safetyBackup)
        {
            await s.Error.WriteLineAsync($"backupfn restore: --no-safety-backup: '{destination}' is replaced without a backup of what it holds now");
        }

        var input = new RestoreDatabaseInput(backupId, destination, replace, SafetyBackup: safetyBackup, Selection: selection.IsEmpty ? null : selection,
            From: source.VaultName);
        // The safety backup's id is told (stderr) before anything is restored, so it is known even if the restore then fails.
        var output = await ProgressDisplay.RunManyAsync(s, sinks => s.Runtime.RestoreDatabaseActivity()
            .RunAsync(input, sinks.For($"restore {backupId}"), ct, notice: line => sinks.Notice("backupfn restore", line)));
        if (output.Warning is not null)
        {
            await s.Error.WriteLineAsync($"backupfn restore: {output.Warning}");
        }

        if (s.Json)
        {
            s.WriteJson(output);
        }
        else
        {
            await s.Out.WriteLineAsync(ResultLine.Restore(output));
        }

        return output.CountsMatch ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }
}
