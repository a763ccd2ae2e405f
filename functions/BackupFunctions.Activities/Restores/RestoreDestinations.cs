using System.Security.Cryptography;
using System.Text;
using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Vault.Catalog;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Activities.Restores;

/// <summary>
/// Restore destinations given as a connection (<c>backupfn restore ID --to-connection CONN</c>) instead of a
/// configured target. The destination becomes an in-memory target of this process named after its redacted
/// description (<see cref="NameFor"/>), so the activities resolve it as they resolve any target and the
/// connection never enters an orchestration input, history, record or message (docs/restore.md).
/// </summary>
public static class RestoreDestinations
{
    /// <summary>What every destination name starts with.</summary>
    public const string Prefix = "restore-dest-";

    /// <summary>
    /// A destination's name (no configured target has it): its safety backups are listed and found under it, though
    /// no configuration names it.
    /// </summary>
    public static bool IsDestinationName(string name) => name.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// The target name of a destination: "restore-dest-" and its description (host:port/database, never
    /// credentials) in target-name characters, e.g. restore-dest-127-0-0-1-5432-salesdb. A name too long
    /// for a target keeps its start and ends in 4 hex digits of the description's SHA-256.
    /// </summary>
    public static string NameFor(string description)
    {
        var name = new StringBuilder(Prefix);
        foreach (char c in description.ToLowerInvariant())
        {
            bool plain = c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
            if (plain)
            {
                name.Append(c);
            }
            else if (name[^1] != '-')
            {
                name.Append('-');
            }
        }

        string text = name.ToString().TrimEnd('-');
        if (text.Length > 63)
        {
            string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(description)))[..4];
            text = text[..58].TrimEnd('-') + "-" + hash;
        }

        return text;
    }

    /// <summary>
    /// Registers <paramref name="connection"/> as the destination of a restore of <paramref name="backupId"/>, with
    /// the backup's engine (and its target's engine settings and encryption when that target is configured), and
    /// returns the target name to restore into. Throws as configuration does when the connection is malformed.
    /// </summary>
    public static async Task<string> AddAsync(BlobVault vault, Targets targets, string backupId, string connection, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new BackupConfigurationException("--to-connection is empty (give the destination's connection string)");
        }

        var id = TargetErrors.ParseId(backupId);
        var manifest = await vault.ReadManifestAsync(id, cancellationToken)
            ?? throw new Engines.EngineException(Engines.FailureKind.NotFound, $"backup '{backupId}' not found in container '{vault.ContainerName}' (see 'backupfn list')");
        var engine = targets.EngineFor(manifest.Engine, manifest.Target);
        string name = NameFor(engine.Describe(connection)); // validates the connection as the engine reads it
        var source = targets.IsConfigured(manifest.Target) ? targets.Resolve(manifest.Target).Options : null;
        targets.AddDestination(name, new TargetOptions
        {
            Engine = manifest.Engine,
            Connection = connection,
            Database = source?.Database,
            Strategy = source?.Strategy,
            ToolsDirectory = source?.ToolsDirectory,
            TempDirectory = source?.TempDirectory,
            Compression = source?.Compression ?? new TargetOptions().Compression,
            Encryption = source?.Encryption,
        });
        return name;
    }
}
