using System.Text.Json;
using System.Text.RegularExpressions;

namespace BackupFunctions.Tests.Infra;

/// <summary>
/// The Bicep CLI is not obtainable here, so these checks stand in for `bicep build`: every file has
/// balanced structure, every module is referenced, every parameter is used, API versions are pinned,
/// secrets are never literal and secret-bearing parameters are @secure(), and the azd files agree
/// with main.bicep. Each check is also shown to fail on a broken sample.
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

    private static IEnumerable<string> BicepFiles() => Directory.EnumerateFiles(Path.Combine(Root(), "infra"), "*.bicep", SearchOption.AllDirectories);

    public static TheoryData<string> Files() => new(BicepFiles().Select(f => Path.GetRelativePath(Root(), f)).Order(StringComparer.Ordinal));

    /// <summary>
    /// Brackets, braces and parentheses balance outside comments and strings ('...' with \ escapes,
    /// '''...''' multi-line, ${...} interpolation counted as code); returns the first problem or null.
    /// </summary>
    internal static string? StructureProblem(string text)
    {
        var stack = new Stack<(char Open, int Line)>();
        int line = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n')
            {
                line++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                line++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return $"line {line}: unclosed /* comment";
                }

                line += text[i..end].Count(ch => ch == '\n');
                i = end + 1;
            }
            else if (c == '\'' && string.CompareOrdinal(text, i, "'''", 0, 3) == 0)
            {
                int end = text.IndexOf("'''", i + 3, StringComparison.Ordinal);
                if (end < 0)
                {
                    return $"line {line}: unclosed ''' string";
                }

                line += text[i..end].Count(ch => ch == '\n');
                i = end + 2;
            }
            else if (c == '\'' || (c == '}' && stack.Count > 0 && stack.Peek().Open == '$'))
            {
                if (c == '}')
                {
                    stack.Pop(); // back inside the string an interpolation interrupted
                }

                for (i++; ; i++)
                {
                    if (i >= text.Length || text[i] == '\n')
                    {
                        return $"line {line}: unclosed string";
                    }

                    if (text[i] == '\\')
                    {
                        i++;
                    }
                    else if (text[i] == '\'')
                    {
                        break;
                    }
                    else if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
                    {
                        stack.Push(('$', line));
                        i++;
                        break;
                    }
                }
            }
            else if (c is '(' or '[' or '{')
            {
                stack.Push((c, line));
            }
            else if (c is ')' or ']' or '}')
            {
                char expected = c switch { ')' => '(', ']' => '[', _ => '{' };
                if (stack.Count == 0 || stack.Peek().Open != expected)
                {
                    return $"line {line}: '{c}' does not close anything open";
                }

                stack.Pop();
            }
        }

        return stack.Count == 0 ? null : $"line {stack.Peek().Line}: '{(stack.Peek().Open == '$' ? "${" : stack.Peek().Open)}' is never closed";
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryFile_IsBalanced_UsesEveryParameter_PinsApiVersions_AndHasNoLiteralSecret(string file)
    {
        string text = File.ReadAllText(Path.Combine(Root(), file));

        Assert.Null(StructureProblem(text));
        foreach (Match param in ParamPattern().Matches(text))
        {
            string name = param.Groups[1].Value;
            // Every mention, less the declaration and property keys of the same name ("  name: name").
            int uses = Regex.Count(text, $@"(?<![\w.'-]){Regex.Escape(name)}\b")
                - Regex.Count(text, $@"^[ \t]*{Regex.Escape(name)}\s*:", RegexOptions.Multiline);
            Assert.True(uses > 1, $"{file}: parameter '{name}' is declared but never used");
            if (SecretName().IsMatch(name))
            {
                string before = text[..param.Index];
                Assert.True(before.TrimEnd().Split('\n').Reverse().TakeWhile(l => l.TrimStart().StartsWith('@')).Any(l => l.Contains("@secure()", StringComparison.Ordinal)),
                    $"{file}: parameter '{name}' carries a secret and must be @secure()");
            }
        }

        foreach (Match type in ResourceTypePattern().Matches(text))
        {
            Assert.Matches(@"@\d{4}-\d{2}-\d{2}(-preview)?$", type.Groups[1].Value);
        }

        Assert.DoesNotMatch(LiteralSecret(), text);
    }

    [Fact]
    public void EveryModule_IsReferencedByMain_AndEveryReferenceExists()
    {
        string main = File.ReadAllText(Path.Combine(Root(), "infra", "main.bicep"));
        var referenced = ModulePattern().Matches(main).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var modules = Directory.EnumerateFiles(Path.Combine(Root(), "infra", "modules"), "*.bicep").Select(f => $"modules/{Path.GetFileName(f)}").ToHashSet(StringComparer.Ordinal);

        Assert.Equal(modules.Order(StringComparer.Ordinal), referenced.Order(StringComparer.Ordinal));
        Assert.Equal(8, modules.Count);
    }

    [Fact]
    public void ModuleParams_PassedByMain_AreExactlyTheOnesEachModuleDeclares()
    {
        string main = File.ReadAllText(Path.Combine(Root(), "infra", "main.bicep"));
        foreach (Match module in ModuleBlockPattern().Matches(main))
        {
            string path = module.Groups[1].Value;
            string moduleText = File.ReadAllText(Path.Combine(Root(), "infra", path));
            var declared = ParamPattern().Matches(moduleText).Select(m => (Name: m.Groups[1].Value, Optional: m.Groups[2].Value.Contains('=', StringComparison.Ordinal))).ToList();
            var passed = PassedParamPattern().Matches(module.Groups[2].Value).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

            Assert.All(passed, p => Assert.True(declared.Any(d => d.Name == p), $"main.bicep passes '{p}' to {path}, which declares no such parameter"));
            Assert.All(declared.Where(d => !d.Optional), d => Assert.True(passed.Contains(d.Name), $"main.bicep does not pass required parameter '{d.Name}' to {path}"));
        }
    }

    [Fact]
    public void ParametersFile_AndAzureYaml_AgreeWithMain()
    {
        string main = File.ReadAllText(Path.Combine(Root(), "infra", "main.bicep"));
        var declared = ParamPattern().Matches(main).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Contains('=', StringComparison.Ordinal), StringComparer.Ordinal);
        using var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root(), "infra", "main.parameters.json")));
        var given = parameters.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();
        string azureYaml = File.ReadAllText(Path.Combine(Root(), "azure.yaml"));
        string project = Regex.Match(azureYaml, @"project:\s*(\S+)").Groups[1].Value;

        Assert.All(given, g => Assert.True(declared.ContainsKey(g), $"main.parameters.json sets '{g}', which main.bicep does not declare"));
        Assert.All(declared.Where(d => !d.Value), d => Assert.Contains(d.Key, given));
        Assert.Contains("path: infra", azureYaml, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root(), project, "BackupFunctions.Azure.csproj")), $"azure.yaml points at '{project}'");
        Assert.Contains("'azd-service-name': 'api'", File.ReadAllText(Path.Combine(Root(), "infra", "modules", "functionapp.bicep")), StringComparison.Ordinal);
    }

    [Fact]
    public void TheChecks_CatchBrokenSamples()
    {
        Assert.Null(StructureProblem("var a = 'x${b}y'\nvar c = { d: [ 1, (2) ] } // ) ignored\nvar e = '''\n{ not code\n'''"));
        Assert.Equal("line 2: '{' is never closed", StructureProblem("param a string\nresource r 'T@2020-01-01' = {\n  name: a\n"));
        Assert.Equal("line 1: ']' does not close anything open", StructureProblem("var a = ]"));
        Assert.Equal("line 1: unclosed string", StructureProblem("var a = 'oops\n"));
        Assert.Matches(LiteralSecret(), "value: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123=='");
        Assert.Matches(LiteralSecret(), "password: 'hunter2-very-secret'");
        Assert.Matches(SecretName(), "alertWebhookUrl");
    }

    [GeneratedRegex(@"^param\s+(\w+)\s+[\w\[\]]+([^\n]*)", RegexOptions.Multiline)]
    private static partial Regex ParamPattern();

    [GeneratedRegex(@"^(?:resource|module)?\s*\w+\s+'([A-Za-z]+\.[A-Za-z]+/[^']+)'", RegexOptions.Multiline)]
    private static partial Regex ResourceTypePattern();

    [GeneratedRegex(@"^module\s+\w+\s+'([^']+)'", RegexOptions.Multiline)]
    private static partial Regex ModulePattern();

    [GeneratedRegex(@"^module\s+\w+\s+'([^']+)'\s*=\s*\{(.*?)^\}", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ModuleBlockPattern();

    [GeneratedRegex(@"^    (\w+):", RegexOptions.Multiline)]
    private static partial Regex PassedParamPattern();

    [GeneratedRegex(@"(?i)(password|webhookurl|connectionstring|apikey|token)$")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?i)(AccountKey=|SharedAccessSignature=|sig=[A-Za-z0-9%]{10}|-----BEGIN|(password|secret|apikey)\s*:\s*'(?!placeholder)[^'$]{4,}')")]
    private static partial Regex LiteralSecret();
}
