using System.Reflection;
using BackupFunctions.Orchestrations;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BackupFunctions.Tests.Orchestrations;

/// <summary>
/// The Azure app cannot be built here (its packages are not in the feed), so its sources are parsed
/// with Roslyn instead: every orchestrator and activity must have exactly one [Function] wrapper
/// whose name is the task name and whose trigger is the right one.
/// </summary>
public class AzureWrapperTests
{
    private static string AzureProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "functions", "BackupFunctions.Azure");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("functions/BackupFunctions.Azure not found above the test output folder");
    }

    internal sealed record Wrapper(string Name, string Trigger, string File);

    /// <summary>Every [Function(...)] method: its resolved name and the trigger attribute of its first parameter.</summary>
    internal static IReadOnlyList<Wrapper> Wrappers(IEnumerable<(string File, string Source)> sources)
    {
        var wrappers = new List<Wrapper>();
        foreach (var (file, source) in sources)
        {
            var tree = CSharpSyntaxTree.ParseText(source, path: file);
            var errors = tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, $"{file} does not parse: {string.Join("; ", errors)}");
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                var function = method.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a => a.Name.ToString() is "Function" or "FunctionAttribute");
                if (function?.ArgumentList?.Arguments.FirstOrDefault()?.Expression is not { } nameExpression)
                {
                    continue;
                }

                string trigger = method.ParameterList.Parameters
                    .SelectMany(p => p.AttributeLists.SelectMany(l => l.Attributes))
                    .Select(a => a.Name.ToString())
                    .FirstOrDefault(n => n.EndsWith("Trigger", StringComparison.Ordinal)) ?? "(none)";
                wrappers.Add(new Wrapper(ResolveName(nameExpression), trigger, file));
            }
        }

        return wrappers;
    }

    /// <summary>"x", nameof(X), or a TaskNames constant such as TaskNames.Activities.BackupDatabase.</summary>
    private static string ResolveName(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax literal => literal.Token.ValueText,
        InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "nameof" } } invocation =>
            invocation.ArgumentList.Arguments[0].Expression.ToString().Split('.')[^1],
        MemberAccessExpressionSyntax member => Constant(member.ToString()),
        _ => throw new InvalidOperationException($"cannot resolve the function name {expression}"),
    };

    private static string Constant(string path)
    {
        string[] parts = path.Split('.');
        var type = parts.Length >= 3 && parts[^3] == nameof(TaskNames)
            ? typeof(TaskNames).GetNestedType(parts[^2])
            : null;
        var field = type?.GetField(parts[^1], BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{path} is not a TaskNames constant");
        return (string)field.GetRawConstantValue()!;
    }

    private static IReadOnlyList<Wrapper> ProjectWrappers() =>
        Wrappers(Directory.EnumerateFiles(AzureProject(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Path.GetRelativePath(AzureProject(), f), File.ReadAllText(f))));

    [Fact]
    public void EveryOrchestrator_HasOneWrapperWithAnOrchestrationTrigger()
    {
        var wrappers = ProjectWrappers();

        foreach (string name in TaskNames.Orchestrators.All)
        {
            var matching = wrappers.Where(w => w.Name == name).ToList();
            Assert.True(matching.Count == 1, $"orchestrator {name}: {matching.Count} [Function] wrappers");
            Assert.Equal("OrchestrationTrigger", matching[0].Trigger);
        }
    }

    [Fact]
    public void EveryActivity_HasOneWrapperWithAnActivityTrigger()
    {
        var wrappers = ProjectWrappers();

        foreach (string name in TaskNames.Activities.All)
        {
            var matching = wrappers.Where(w => w.Name == name).ToList();
            Assert.True(matching.Count == 1, $"activity {name}: {matching.Count} [Function] wrappers");
            Assert.Equal("ActivityTrigger", matching[0].Trigger);
        }
    }

    [Fact]
    public void TheThreeTriggers_AreWrapped()
    {
        var triggers = ProjectWrappers().Select(w => w.Trigger).ToHashSet();

        Assert.Contains("TimerTrigger", triggers);
        Assert.Contains("HttpTrigger", triggers);
        Assert.Contains("QueueTrigger", triggers);
    }

    [Fact]
    public void Check_FailsOnAMissingWrapperAWrongNameAndUnparseableSource()
    {
        const string source = """
            public static class O
            {
                [Function(TaskNames.Orchestrators.BackupAll)]
                public static Task A([OrchestrationTrigger] TaskOrchestrationContext c) => null!;
                [Function("TargetBackupp")]
                public static Task B([OrchestrationTrigger] TaskOrchestrationContext c) => null!;
            }
            """;

        var names = Wrappers([("O.cs", source)]).Select(w => w.Name).ToList();

        Assert.Contains(TaskNames.Orchestrators.BackupAll, names);
        Assert.DoesNotContain(TaskNames.Orchestrators.TargetBackup, names); // a misspelt name is not a wrapper
        Assert.DoesNotContain(TaskNames.Orchestrators.Restore, names);       // a missing wrapper is missing
        Assert.ThrowsAny<Exception>(() => Wrappers([("Broken.cs", "public class { [Function(\"x\")] void M( }")]));
    }
}
