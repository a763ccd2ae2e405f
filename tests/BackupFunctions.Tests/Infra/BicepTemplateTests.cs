using BackupFunctions.Activities.Restores;
using System.Text.Json;
using System.Text.RegularExpressions;
using BackupFunctions.Activities.Health;

namespace BackupFunctions.Tests.Infra;

/// <summary>
/// The real Bicep CLI compiles and lints every file in infra/ (scripts/bicep-check.sh, run by
/// scripts/test.sh): syntax, names, types, module parameters, unused parameters and API versions are
/// its job. What it cannot know is checked here: the project's policy for these templates (immutable,
/// keyless backup storage, identity-based settings, the role assignments, the alert rules), the
/// files around them (azd's parameter file and azure.yaml, module files main.bicep forgets), and the
/// names the app and the templates must agree on. Each check reads the Bicep source: the CLI has
/// already rejected anything malformed.
/// </summary>
public partial class BicepTemplateTests
{
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "infra", "main.bicep")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("infra/main.bicep not found above the test output folder");
    }

    private static string Read(string path) => File.ReadAllText(Path.Combine(Root(), path));

    public static TheoryData<string> Files() => new(Directory.EnumerateFiles(Path.Combine(Root(), "infra"), "*.bicep", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Root(), f)).Order(StringComparer.Ordinal));

    /// <summary>The body of resource <paramref name="symbol"/> (from its declaration to the closing brace at the start of a line).</summary>
    private static string Resource(string text, string symbol)
    {
        var match = Regex.Match(text, $@"^resource {Regex.Escape(symbol)} '[^']+'.*?^\}}", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(match.Success, $"no resource '{symbol}'");
        return match.Value;
    }

    /// <summary>
    /// No literal secrets anywhere, no storage keys fetched, and parameters that carry secrets under
    /// names the linter's secure-secrets-in-params rule does not recognise (webhook URLs, connection
    /// strings) are @secure().
    /// </summary>
    [Theory]
    [MemberData(nameof(Files))]
    public void NoLiteralSecret_NoKeys_AndSecretParametersAreSecure(string file)
    {
        string text = Read(file);

        Assert.DoesNotMatch(LiteralSecret(), text);
        Assert.DoesNotMatch(@"\blist(Keys|AccountSas|ServiceSas|ConnectionStrings)\(", text);
        foreach (Match param in ParamPattern().Matches(text).Where(p => SecretName().IsMatch(p.Groups[1].Value)))
        {
            var decorators = text[..param.Index].TrimEnd().Split('\n').Reverse().TakeWhile(l => l.TrimStart().StartsWith('@'));
            Assert.True(decorators.Any(l => l.Contains("@secure()", StringComparison.Ordinal)), $"{file}: parameter '{param.Groups[1].Value}' carries a secret and must be @secure()");
        }
    }

    /// <summary>The CLI builds a module file only when something refers to it: an orphan goes unnoticed.</summary>
    [Fact]
    public void EveryModuleFile_IsUsedByMain()
    {
        var referenced = ModulePattern().Matches(Read("infra/main.bicep")).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        var modules = Directory.EnumerateFiles(Path.Combine(Root(), "infra", "modules"), "*.bicep").Select(f => $"modules/{Path.GetFileName(f)}").Order(StringComparer.Ordinal);

        Assert.Equal(modules, referenced);
    }

    /// <summary>azd's main.parameters.json and azure.yaml are not Bicep: the CLI never reads them.</summary>
    [Fact]
    public void ParametersFile_AndAzureYaml_AgreeWithMain()
    {
        var declared = ParamPattern().Matches(Read("infra/main.bicep")).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Contains('=', StringComparison.Ordinal), StringComparer.Ordinal);
        using var parameters = JsonDocument.Parse(Read("infra/main.parameters.json"));
        var given = parameters.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();
        string azureYaml = Read("azure.yaml");
        string project = Regex.Match(azureYaml, @"project:\s*(\S+)").Groups[1].Value;

        Assert.All(given, g => Assert.True(declared.ContainsKey(g), $"main.parameters.json sets '{g}', which main.bicep does not declare"));
        Assert.All(declared.Where(d => !d.Value), d => Assert.Contains(d.Key, given));
        Assert.Contains("path: infra", azureYaml, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root(), project, "BackupFunctions.Azure.csproj")), $"azure.yaml points at '{project}'");
        Assert.Contains("'azd-service-name': 'api'", Read("infra/modules/functionapp.bicep"), StringComparison.Ordinal);
    }

    /// <summary>Backups are write-protected and no account accepts a shared key.</summary>
    [Fact]
    public void BackupStorage_IsImmutable_AndNoAccountTakesSharedKeys()
    {
        string backup = Read("infra/modules/backup-storage.bicep");
        string account = Resource(backup, "account");
        Assert.Matches(@"immutableStorageWithVersioning:\s*\{\s*enabled: true\s*\}", account);
        Assert.Contains("isVersioningEnabled: true", Resource(backup, "blobs"), StringComparison.Ordinal);
        Assert.Matches(@"immutableStorageWithVersioning:\s*\{\s*enabled: true\s*\}", Resource(backup, "container"));
        string policy = Resource(backup, "defaultPolicy");
        Assert.Contains("immutabilityPeriodSinceCreationInDays: immutabilityDays", policy, StringComparison.Ordinal);
        Assert.Contains("allowProtectedAppendWrites: false", policy, StringComparison.Ordinal);

        foreach (var storage in new[] { account, Resource(Read("infra/modules/runtime-storage.bicep"), "account") })
        {
            Assert.Contains("allowSharedKeyAccess: false", storage, StringComparison.Ordinal);
            Assert.Contains("allowBlobPublicAccess: false", storage, StringComparison.Ordinal);
            Assert.Contains("minimumTlsVersion: 'TLS1_2'", storage, StringComparison.Ordinal);
        }

        Assert.Contains("enableRbacAuthorization: true", Resource(Read("infra/modules/keyvault.bicep"), "vault"), StringComparison.Ordinal);
        Assert.Contains("enablePurgeProtection: true", Resource(Read("infra/modules/keyvault.bicep"), "vault"), StringComparison.Ordinal);
        Assert.Contains("DisableLocalAuth: true", Resource(Read("infra/modules/monitoring.bicep"), "appInsights"), StringComparison.Ordinal);
    }

    /// <summary>
    /// The app reaches storage as its user-assigned identity, requires immutability with the same
    /// period as the container policy, and its queue names are the app's.
    /// </summary>
    [Fact]
    public void FunctionApp_UsesItsIdentity_AndTheAppsNames()
    {
        string app = Read("infra/modules/functionapp.bicep");
        string main = Read("infra/main.bicep");

        Assert.Matches(@"type: 'UserAssigned'", Resource(app, "app"));
        Assert.Matches(@"authentication:\s*\{\s*type: 'UserAssignedIdentity'", Resource(app, "app"));
        foreach (var connection in new[] { "AzureWebJobsStorage", "BackupQueue" })
        {
            Assert.Contains($"{connection}__credential: 'managedidentity'", app, StringComparison.Ordinal);
            Assert.Contains($"{connection}__clientId: identityClientId", app, StringComparison.Ordinal);
        }

        Assert.DoesNotMatch(@"AzureWebJobsStorage\s*:", app); // no connection-string form
        Assert.Contains("Backup__Storage__Immutability__Mode: 'Required'", app, StringComparison.Ordinal);
        Assert.Contains("minRetentionDays: immutabilityDays", main, StringComparison.Ordinal);
        Assert.Contains("immutabilityDays: immutabilityDays", main, StringComparison.Ordinal);
        Assert.Matches(@"dependsOn:\s*\[\s*roles\b", main); // the app starts with its permissions in place
        Assert.Contains("Connection = \"BackupQueue\"", Read("functions/BackupFunctions.Azure/Functions/Triggers.cs"), StringComparison.Ordinal);

        string backup = Read("infra/modules/backup-storage.bicep");
        Assert.Contains($"name: '{RestoreQueues.QueueName}'", Resource(backup, "restoreRequests"), StringComparison.Ordinal);
        Assert.Contains($"name: '{RestoreQueues.PoisonQueueName}'", Resource(backup, "restorePoison"), StringComparison.Ordinal);
    }

    /// <summary>Built-in role ids are opaque GUIDs to the CLI: each is checked against its role and scope.</summary>
    [Fact]
    public void Roles_AreTheBuiltInOnes_OnTheirScopes()
    {
        string roles = Read("infra/modules/roles.bicep");
        var ids = new Dictionary<string, string>
        {
            ["storageBlobDataOwner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
            ["storageQueueDataContributor"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
            ["storageTableDataContributor"] = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
            ["keyVaultSecretsUser"] = "4633458b-17de-408a-b874-0445c86b69e6",
            ["monitoringMetricsPublisher"] = "3913510d-42f4-4e42-8a64-420c390055eb",
        };
        Assert.All(ids, id => Assert.Contains($"{id.Key}: '{id.Value}'", roles, StringComparison.Ordinal));

        (string Symbol, string Scope, string[] Roles)[] assignments =
        [
            ("backupBlobOwner", "backupStorage", ["storageBlobDataOwner"]),
            ("backupQueueContributor", "backupStorage", ["storageQueueDataContributor"]),
            ("runtimeRoles", "runtimeStorage", ["storageBlobDataOwner", "storageQueueDataContributor", "storageTableDataContributor"]),
            ("secretsUser", "vault", ["keyVaultSecretsUser"]),
            ("metricsPublisher", "appInsights", ["monitoringMetricsPublisher"]),
        ];
        foreach (var (symbol, scope, granted) in assignments)
        {
            string assignment = Resource(roles, symbol);
            Assert.Contains($"scope: {scope}\n", assignment.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            Assert.Contains("principalId: principalId", assignment, StringComparison.Ordinal);
            Assert.All(granted, role => Assert.Contains($"roles.{role}", assignment, StringComparison.Ordinal));
        }
    }

    /// <summary>The three alert rules exist, go to the action group, and query metrics the app really records.</summary>
    [Fact]
    public void Alerts_CoverTheThreeFailures_WithTheAppsMetricNames()
    {
        string alerts = Read("infra/modules/alerts.bicep");
        string telemetry = Read("functions/BackupFunctions.Activities/Telemetry/BackupTelemetry.cs");

        string[] rules = ["backupfn-no-good-backup-26h", "backupfn-restore-test-failed", "backupfn-restore-poison"];
        Assert.Equal(rules, Regex.Matches(alerts, @"^    name: '([^']+)'", RegexOptions.Multiline).Select(m => m.Groups[1].Value));
        Assert.Contains("actionGroup.id", Resource(alerts, "alerts"), StringComparison.Ordinal);
        var metrics = Regex.Matches(alerts, @"name == ""(backupfn\.[^""]+)""").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(4, metrics.Count);
        Assert.All(metrics, metric => Assert.Contains($"\"{metric}\"", telemetry, StringComparison.Ordinal));
    }

    [Fact]
    public void TheSecretPatterns_CatchSamples()
    {
        Assert.Matches(LiteralSecret(), "value: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123=='");
        Assert.Matches(LiteralSecret(), "password: 'hunter2-very-secret'");
        Assert.DoesNotMatch(LiteralSecret(), "value: 'placeholder-set-this-secret-after-deployment'");
        Assert.Matches(SecretName(), "alertWebhookUrl");
        Assert.Matches(SecretName(), "appInsightsConnectionString");
    }

    [GeneratedRegex(@"^param\s+(\w+)\s+[\w\[\]]+([^\n]*)", RegexOptions.Multiline)]
    private static partial Regex ParamPattern();

    [GeneratedRegex(@"^module\s+\w+\s+'([^']+)'", RegexOptions.Multiline)]
    private static partial Regex ModulePattern();

    [GeneratedRegex(@"(?i)(password|webhookurl|connectionstring|apikey|token)$")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?i)(AccountKey=|SharedAccessSignature=|sig=[A-Za-z0-9%]{10}|-----BEGIN|(password|secret|apikey)\s*:\s*'(?!placeholder)[^'$]{4,}')")]
    private static partial Regex LiteralSecret();
}
