namespace BackupFunctions.Vault.Storage;

/// <summary>How hard the vault insists on per-blob immutability (DESIGN.md section 7).</summary>
public enum ImmutabilityMode
{
    /// <summary>Fail the backup when the store cannot apply the policy.</summary>
    Required,

    /// <summary>Apply it where the store can; otherwise record "UnsupportedByStore" in the manifest and warn once.</summary>
    BestEffort,

    /// <summary>Do not ask the store for immutability.</summary>
    Off,
}

/// <summary>Storage immutability settings (Backup:Storage:Immutability).</summary>
public sealed class ImmutabilityOptions
{
    public ImmutabilityMode Mode { get; set; } = ImmutabilityMode.BestEffort;

    /// <summary>Days each blob stays write-protected after it is written.</summary>
    public int MinRetentionDays { get; set; } = 7;

    /// <summary>
    /// Unlocked (the policy can still be shortened or removed by an owner) or Locked (it cannot,
    /// by anyone, until it expires: the ransomware-proof setting; choose it deliberately).
    /// </summary>
    public ImmutabilityPolicyLock PolicyMode { get; set; } = ImmutabilityPolicyLock.Unlocked;
}

/// <summary>Whether a per-blob immutability policy may be changed before it expires.</summary>
public enum ImmutabilityPolicyLock
{
    Unlocked,
    Locked,
}
