using System.CommandLine;

namespace BackupFunctions.Local.Cli.Verbs;

/// <summary>
/// One verb of <c>backupfn</c>: its name, help line, options and arguments (in help order) and its action.
/// <see cref="BackupCli"/> opens the session and turns the action's failures into one line and an exit code.
/// </summary>
internal sealed record VerbDefinition(
    string Name,
    string Description,
    Func<CliSession, ParseResult, CancellationToken, Task<int>> Run,
    IReadOnlyList<Symbol> Symbols);
