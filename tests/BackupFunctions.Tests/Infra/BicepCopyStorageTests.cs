using BackupFunctions.Activities.Configuration;

namespace BackupFunctions.Tests.Infra;

/// <summary>The optional second-copy account: only with secondaryLocation, keyless, versioned, immutable with a lockable policy, and wired to Backup:Copies:offsite.</summary>
public partial class BicepTemplateTests
{
    [Fact]
    public void CopyStorage_IsOptional_Keyless_Immutable_AndTheAppWritesItAsItself()
    {
        string main = Read("infra/main.bicep");
        string copy = Read("infra/modules/copy-storage.bicep");
        Assert.Contains("module copyStorage 'modules/copy-storage.bicep' = if (!empty(secondaryLocation))", main, StringComparison.Ordinal);
        Assert.Contains("location: secondaryLocation", main, StringComparison.Ordinal);

        string account = Resource(copy, "account");
        Assert.Contains("allowSharedKeyAccess: false", account, StringComparison.Ordinal);
        Assert.Contains("allowBlobPublicAccess: false", account, StringComparison.Ordinal);
        Assert.Contains("state: immutabilityState", account, StringComparison.Ordinal);
        Assert.Contains("immutabilityPeriodSinceCreationInDays: immutabilityDays", account, StringComparison.Ordinal);
        Assert.Contains("isVersioningEnabled: true", Resource(copy, "blobs"), StringComparison.Ordinal);
        Assert.Matches(@"immutableStorageWithVersioning:\s*\{\s*enabled: true\s*\}", Resource(copy, "container"));
        Assert.Contains("IRREVERSIBLE", copy, StringComparison.Ordinal);

        string owner = Resource(Read("infra/modules/roles.bicep"), "copyBlobOwner");
        Assert.Contains("scope: copyStorage", owner, StringComparison.Ordinal);
        Assert.Contains("roles.storageBlobDataOwner", owner, StringComparison.Ordinal);

        // The settings the app gets bind to CopyOptions (Backup:Copies:offsite), by the app's own property names.
        string app = Read("infra/modules/functionapp.bicep");
        foreach (string setting in new[] { nameof(CopyOptions.Connection), nameof(CopyOptions.Container), "Immutability__Mode", "Immutability__MinRetentionDays" })
        {
            Assert.Contains($"Backup__Copies__offsite__{setting}:", app, StringComparison.Ordinal);
        }

        Assert.Contains("Backup__Copies__offsite__Connection: copyBlobEndpoint", app, StringComparison.Ordinal); // an endpoint: managed identity, no key
        Assert.Contains("union(baseSettings, copySettings, backupSettings)", app, StringComparison.Ordinal);
    }
}
