using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.Vault.Pipeline;

namespace BackupFunctions.Activities.Backups;

/// <summary>A configured target with its engine and resolved connections (which never leave this object in messages).</summary>
public sealed record ResolvedTarget(string Name, TargetOptions Options, IDatabaseEngine Engine, string Connection, string? RestoreTestConnection)
{
    public CompressionKind Compression => Vault.Pipeline.Compression.Parse(Options.Compression) ?? CompressionKind.Zstd;

    /// <summary>host:port/database of the source.</summary>
    public string Description => Engine.Describe(Connection);

    public override string ToString() => $"{Name} ({Description})";
}
