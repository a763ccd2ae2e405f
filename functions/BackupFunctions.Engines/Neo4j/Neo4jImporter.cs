namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// Restore: refuses a non-empty database unless <c>--replace</c> (which deletes in batches first),
/// loads through <see cref="Neo4jLoader"/>, checks the sample, then removes the temporary label,
/// property and index. A failed load deletes what it loaded, which still carries the temporary label.
/// </summary>
internal static class Neo4jImporter
{
    public static async Task RestoreAsync(Neo4jConnection target, Neo4jHttpClient client, Stream dump, RestoreOptions options, CancellationToken cancellationToken)
    {
        long existing = await Neo4jGuard.RunAsync(target, () => Neo4jCounts.NodeCountAsync(client, cancellationToken));
        if (existing > 0 && !options.Replace)
        {
            throw new EngineException(FailureKind.Refused,
                $"database '{target.Database}' on {target.BaseUri.Host}:{target.BaseUri.Port} is not empty ({existing} nodes): restore into an empty database, or pass --replace (which deletes them first)");
        }

        if (existing > 0)
        {
            await Neo4jGuard.RunAsync(target, () => client.RunBatchesAsync(Neo4jStatements.DeleteBatch, cancellationToken));
        }

        var loader = new Neo4jLoader(client, options.ForTest);
        try
        {
            await Neo4jGuard.RunAsync(target, async () =>
            {
                await client.RunAsync(Neo4jStatements.CreateRestoreIndex, null, cancellationToken);
                await foreach (var line in Neo4jExportFormat.ReadAsync(dump, cancellationToken))
                {
                    await loader.AddAsync(line, cancellationToken);
                }

                await loader.FlushAsync(cancellationToken);
                if (options.VerifyBeforeSwap is not null)
                {
                    await options.VerifyBeforeSwap(cancellationToken);
                }

                await loader.CheckSampleAsync(cancellationToken);
                await client.RunBatchesAsync(Neo4jStatements.CleanupBatch, cancellationToken);
                await client.RunAsync(Neo4jStatements.DropRestoreIndex, null, cancellationToken);
                return 0;
            });
        }
        catch (InvalidDataException e)
        {
            await RemoveLoadedAsync(client);
            throw new EngineException(FailureKind.Failed, $"restore into {target.Description} stopped, nothing kept: {e.Message}", e);
        }
        catch
        {
            await RemoveLoadedAsync(client); // failed checksums, a refused statement, cancellation: take the partial load out
            throw;
        }
    }

    /// <summary>Takes out what a failed restore loaded (still marked with the temporary label); the original failure is the one reported.</summary>
    private static async Task RemoveLoadedAsync(Neo4jHttpClient client)
    {
        try
        {
            await client.RunBatchesAsync(Neo4jStatements.DeleteRestoredBatch, CancellationToken.None);
            await client.RunAsync(Neo4jStatements.DropRestoreIndex, null, CancellationToken.None);
        }
        catch (Exception e) when (e is EngineException or Neo4jQueryException or HttpRequestException)
        {
            // the server is gone or refuses: nothing more can be done from here
        }
    }
}
