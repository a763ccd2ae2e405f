namespace BackupFunctions.Engines.Neo4j;

/// <summary>Turns a statement Neo4j refuses into a one-line engine failure naming the server.</summary>
internal static class Neo4jGuard
{
    public static async Task<T> RunAsync<T>(Neo4jConnection connection, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Neo4jQueryException e)
        {
            throw new EngineException(FailureKind.Failed, $"Neo4j at {connection.Description} refused a statement: {e.Message}", e);
        }
    }

    public static Task<int> RunAsync(Neo4jConnection connection, Func<Task> action) => RunAsync(connection, async () =>
    {
        await action();
        return 0;
    });
}
