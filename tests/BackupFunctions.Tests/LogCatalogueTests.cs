using System.Reflection;
using Microsoft.Extensions.Logging;

namespace BackupFunctions.Tests;

/// <summary>
/// One log catalogue per project: every [LoggerMessage] sits in that project's Logs class, with an
/// event id inside the project's range and used once across the product.
/// </summary>
public class LogCatalogueTests
{
    private static readonly (string Assembly, int From)[] Ranges =
    [
        ("BackupFunctions.Vault", 1000),
        ("BackupFunctions.Activities", 2000),
        ("BackupFunctions.Orchestrations", 3000),
        ("backupfn", 4000), // BackupFunctions.Local
        ("BackupFunctions.Azure", 6000),
        ("BackupFunctions.Engines", 7000),
    ];

    private static IEnumerable<Assembly> Product()
    {
        foreach (var (name, _) in Ranges.Where(r => r.Assembly != "BackupFunctions.Azure"))
        {
            yield return Assembly.Load(name);
        }

        // The Functions app is built beside the tests, not referenced (see FunctionsMetadataTests).
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        string root = output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        string azure = Path.Combine(root, "functions", "BackupFunctions.Azure", "bin", output.Parent.Name, output.Name, "BackupFunctions.Azure.dll");
        Assert.True(File.Exists(azure), $"{azure} is missing: build the solution");
        var context = new System.Runtime.Loader.AssemblyLoadContext("functions-app");
        context.Resolving += (c, name) =>
            File.Exists(Path.Combine(Path.GetDirectoryName(azure)!, name.Name + ".dll")) ? c.LoadFromAssemblyPath(Path.Combine(Path.GetDirectoryName(azure)!, name.Name + ".dll")) : null;
        yield return context.LoadFromAssemblyPath(azure);
    }

    private static List<(string Assembly, string Type, string Method, int Id)> Messages() =>
        [.. from assembly in Product()
            from type in assembly.GetTypes()
            from method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            let attribute = method.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == typeof(LoggerMessageAttribute).FullName)
            where attribute is not null
            select (assembly.GetName().Name!, type.FullName!, method.Name, EventId(attribute))];

    private static int EventId(CustomAttributeData attribute) =>
        (int)attribute.NamedArguments.Single(a => a.MemberName == nameof(LoggerMessageAttribute.EventId)).TypedValue.Value!;

    [Fact]
    public void EveryLogMessage_LivesInItsProjectsLogsClass_WithAnIdInTheProjectsRange()
    {
        var messages = Messages();
        Assert.NotEmpty(messages);
        foreach (var m in messages)
        {
            int from = Ranges.Single(r => r.Assembly == m.Assembly).From;
            Assert.True(m.Type.EndsWith(".Logs", StringComparison.Ordinal), $"{m.Type}.{m.Method}: log messages go in the project's Logs class");
            Assert.InRange(m.Id, from, from + 999);
        }
    }

    [Fact]
    public void NoEventId_IsUsedTwice()
    {
        var duplicates = Messages().GroupBy(m => m.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.True(duplicates.Count == 0, $"event ids used twice: {string.Join("; ", duplicates)}");
    }
}
