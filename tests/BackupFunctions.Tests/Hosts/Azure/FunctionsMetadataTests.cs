using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Restores;
using Microsoft.Extensions.Configuration;
using System.Text.Json;
using BackupFunctions.Orchestrations;

namespace BackupFunctions.Tests.Hosts.Azure;

/// <summary>
/// The Functions host cannot run here, so the contract between the app and the host is checked where
/// the host reads it: the functions.metadata that the Functions SDK writes when it builds
/// BackupFunctions.Azure (part of the solution build). Every orchestrator and activity must have its
/// wrapper under its task name with the right trigger, and every trigger its binding, route, queue,
/// connection setting and schedule. Removing or renaming a wrapper fails here.
/// </summary>
public class FunctionsMetadataTests
{
    private sealed record Binding(string Name, string Type, string Direction, string? Route, string[]? Methods, string? AuthLevel,
        string? QueueName, string? Connection, string? Schedule);

    private sealed record Function(string Name, string EntryPoint, string ScriptFile, Binding[] Bindings)
    {
        public Binding Trigger => Bindings.Single(b => b.Type.EndsWith("Trigger", StringComparison.Ordinal));
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly Lazy<Dictionary<string, Function>> Metadata = new(Load);

    private static Dictionary<string, Function> Load()
    {
        // tests/BackupFunctions.Tests/bin/{Configuration}/net10.0 -> functions/BackupFunctions.Azure/bin/{Configuration}/net10.0
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = output.Parent!.Name;
        string root = output.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        string path = Path.Combine(root, "functions", "BackupFunctions.Azure", "bin", configuration, output.Name, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build the solution (BackupFunctions.Azure is part of it)");
        var functions = JsonSerializer.Deserialize<Function[]>(File.ReadAllText(path), Json)!;
        return functions.ToDictionary(f => f.Name, StringComparer.Ordinal);
    }

    private static Function Get(string name)
    {
        Assert.True(Metadata.Value.TryGetValue(name, out var function), $"no function '{name}' in functions.metadata (functions: {string.Join(", ", Metadata.Value.Keys)})");
        return function!;
    }

    public static TheoryData<string> Orchestrators() => new(TaskNames.Orchestrators.All);

    public static TheoryData<string> ActivityNames() => new(TaskNames.Activities.All);

    [Theory]
    [MemberData(nameof(Orchestrators))]
    public void EveryOrchestrator_HasAnOrchestrationTriggerWrapper(string name)
    {
        var function = Get(name);
        Assert.Equal("orchestrationTrigger", function.Trigger.Type);
        Assert.Equal("BackupFunctions.Azure.dll", function.ScriptFile);
        Assert.Equal($"BackupFunctions.Azure.Functions.Orchestrators.{name}", function.EntryPoint);
    }

    [Theory]
    [MemberData(nameof(ActivityNames))]
    public void EveryActivity_HasAnActivityTriggerWrapper(string name)
    {
        var function = Get(name);
        Assert.Equal("activityTrigger", function.Trigger.Type);
        Assert.Equal($"BackupFunctions.Azure.Functions.Activities.{name}", function.EntryPoint);
    }

    [Fact]
    public void NothingButTheTasksAndTheSixTriggers_IsDeployed()
    {
        string[] triggers = ["ScheduledBackup", "HealthWatch", "StartBackup", "RunStatus", "ListBackups", "AckBackup", "Health", "RestoreRequested"];
        string[] expected = [.. TaskNames.Orchestrators.All, .. TaskNames.Activities.All, .. triggers];
        Assert.Equal(expected.Order(StringComparer.Ordinal), Metadata.Value.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("StartBackup", "post", "backups", true)]
    [InlineData("RunStatus", "get", "runs/{id}", true)]
    [InlineData("ListBackups", "get", "backups", false)]
    [InlineData("AckBackup", "post", "backups/{id}/ack", false)]
    [InlineData("Health", "get", "health", false)]
    public void HttpTriggers_HaveTheContractRoutes_BehindFunctionKeys(string name, string method, string route, bool startsOrReadsOrchestrations)
    {
        var function = Get(name);
        Assert.Equal("httpTrigger", function.Trigger.Type);
        Assert.Equal(route, function.Trigger.Route);
        Assert.Equal(new[] { method }, function.Trigger.Methods ?? []);
        Assert.Equal("Function", function.Trigger.AuthLevel);
        Assert.Contains(function.Bindings, b => b.Type == "http" && b.Direction == "Out");
        Assert.Equal(startsOrReadsOrchestrations, function.Bindings.Any(b => b.Type == "durableClient"));
    }

    [Fact]
    public void RestoreQueueTrigger_ReadsRestoreRequests_OnTheBackupQueueConnection_AndStartsOrchestrations()
    {
        var function = Get("RestoreRequested");
        Assert.Equal("queueTrigger", function.Trigger.Type);
        Assert.Equal(RestoreQueues.QueueName, function.Trigger.QueueName);
        Assert.Equal("BackupQueue", function.Trigger.Connection);
        Assert.Contains(function.Bindings, b => b.Type == "durableClient");
    }

    [Theory]
    [InlineData("ScheduledBackup", "0 */5 * * * *", true)]
    [InlineData("HealthWatch", "0 17 * * * *", true)]
    public void Timers_HaveTheirSchedules(string name, string schedule, bool durableClient)
    {
        var function = Get(name);
        Assert.Equal("timerTrigger", function.Trigger.Type);
        Assert.Equal(schedule, function.Trigger.Schedule);
        Assert.Null(BackupFunctions.Activities.Configuration.Schedules.Problem(function.Trigger.Schedule));
        Assert.Equal(durableClient, function.Bindings.Any(b => b.Type == "durableClient"));
    }

    [Fact]
    public void LocalSettingsExample_HoldsEveryConnectionTheBindingsName_AndAValidBackupSection()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "local.settings.example.json")));
        var values = doc.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString(), StringComparer.Ordinal);
        Assert.Contains("AzureWebJobsStorage", values.Keys); // the Durable task hub and the timers
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
        foreach (var binding in Metadata.Value.Values.SelectMany(f => f.Bindings).Where(b => b.Connection is not null))
        {
            Assert.Contains(binding.Connection!, values.Keys);
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), v.Value)))
            .Build();
        var options = BackupFunctions.Activities.Configuration.BackupConfiguration.Bind(configuration);
        Assert.Empty(BackupFunctions.Activities.Configuration.BackupConfiguration.Validate(options));
        Assert.Contains("orders", options.Targets.Keys);
    }
}
