using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Activities.Backups;

/// <summary>What one copy vault holds of a backup after CopyBackup: how it got there, the re-read SHA-256, its immutability.</summary>
public sealed record CopyResult(string Vault, BlobCopyMethod Method, string Sha256, ImmutabilityStatus Immutability, string Detail, string CheckBlob);

/// <summary>The backup's copies, one per configured copy vault (empty when none is configured).</summary>
public sealed record CopyBackupOutput(string BackupId, IReadOnlyList<CopyResult> Copies);

/// <summary>
/// Puts a verified backup into every copy vault (Backup:Copies): data blob and check records first, manifest last, so a
/// copy lists the backup only once its data is there. Create-only: a blob the copy already holds is never overwritten, and
/// is accepted only when its bytes match (so a rerun is idempotent, and a different blob there fails permanently). The
/// copy's data is re-read and its SHA-256 compared with the manifest, the copy's own immutability policy is applied, and
/// a "copy" check record goes into both vaults. Runs at least once: every step finds its own earlier work.
/// </summary>
public sealed class CopyBackupActivity(BlobVault primary, IReadOnlyDictionary<string, BlobVault> copies, Targets targets, TimeProvider time,
    ILoggerFactory loggers, ActivityEnvironment? environment = null)
    : BackupActivity<string, CopyBackupOutput>(loggers, environment)
{
    public const string CheckKind = "copy";

    private readonly ILogger _logger = loggers.CreateLogger<CopyBackupActivity>();

    protected override Task<CopyBackupOutput> ExecuteAsync(string input, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(input, cancellationToken);

    protected override string? ProgressLabel(string input) => $"{TargetOf(input)} copy";

    public async Task<CopyBackupOutput> RunAsync(string backupId, CancellationToken cancellationToken)
    {
        if (copies.Count == 0)
        {
            return new CopyBackupOutput(backupId, []);
        }

        var backup = await StoredBackup.GetAsync(primary, targets, backupId, cancellationToken);
        var results = new List<CopyResult>(copies.Count);
        foreach (var (name, copy) in copies.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            results.Add(await CopyAsync(backup, name, copy, cancellationToken));
        }

        return new CopyBackupOutput(backup.Id.Value, results);
    }

    private async Task<CopyResult> CopyAsync(StoredBackup backup, string name, BlobVault copy, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        await copy.EnsureContainerAsync(cancellationToken);
        string data = backup.Manifest.Blobs.Data;
        var method = await copy.CopyFromAsync(primary, data, cancellationToken);
        var stored = await backup.CheckStoredAsync(copy, cancellationToken);
        if (!stored.IsOk)
        {
            throw new EngineException(FailureKind.Corrupt, method == BlobCopyMethod.AlreadyPresent
                ? $"copy '{name}' already holds a different '{data}' ({stored.Status}: {stored.Detail}); it is never overwritten (remove it there by hand if it is garbage)"
                : $"copy '{name}' of {backup.Id} does not match the manifest after copying ({stored.Status}: {stored.Detail})");
        }

        // The checks so far (the verify record) travel with the backup, so the copy's retention sees it verified.
        foreach (var check in await primary.ListBlobsAsync(BlobLayout.BackupPrefix(backup.Id) + "checks/", cancellationToken))
        {
            await copy.CopyFromAsync(primary, check.Name, cancellationToken);
        }

        string manifest = BlobLayout.Manifest(backup.Id);
        if (await copy.CopyFromAsync(primary, manifest, cancellationToken) == BlobCopyMethod.AlreadyPresent &&
            !SameBytes(await copy.ReadSmallAsync(manifest, cancellationToken), await primary.ReadSmallAsync(manifest, cancellationToken)))
        {
            throw new EngineException(FailureKind.Corrupt, $"copy '{name}' already holds a different manifest of {backup.Id}; it is never overwritten");
        }

        var immutability = await copy.ProtectAsync([data, manifest], cancellationToken);
        string sha = backup.Manifest.Sha256Stored;
        string how = method switch
        {
            BlobCopyMethod.ServerSide => "copied server-side",
            BlobCopyMethod.Streamed => "streamed",
            _ => "already there",
        };
        string detail = $"copy '{name}' (container '{copy.ContainerName}'): {how}; re-read {stored.Detail}; immutability {immutability.Status}";
        var record = new CheckRecord(backup.Id.Value, CheckKind, VerificationStatus.Ok.ToString(), detail, startedAt, time.GetUtcNow());
        var metadata = new Dictionary<string, string> { ["vault"] = name, ["sha256"] = sha, ["method"] = method.ToString() };
        string blob = await RecordOnceAsync(backup, primary, record, metadata, name, cancellationToken);
        await RecordOnceAsync(backup, copy, record, metadata, name, cancellationToken);
        Logs.BackupCopied(_logger, backup.Id.Value, name, method, sha);
        return new CopyResult(name, method, sha, immutability.Status, detail, blob);
    }

    private static bool SameBytes(BinaryData? a, BinaryData? b) => a is not null && b is not null && a.ToMemory().Span.SequenceEqual(b.ToMemory().Span);

    /// <summary>Writes the copy's check record; a retry in the same millisecond finds its own record there.</summary>
    private static async Task<string> RecordOnceAsync(StoredBackup backup, BlobVault vault, CheckRecord record, Dictionary<string, string> metadata, string name,
        CancellationToken cancellationToken)
    {
        try
        {
            return await backup.RecordAsync(vault, record, cancellationToken, metadata, $"{CheckKind}-{name}");
        }
        catch (VaultException)
        {
            return BlobLayout.Check(backup.Id, record.CompletedAt, $"{CheckKind}-{name}");
        }
    }
}
