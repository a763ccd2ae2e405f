namespace BackupFunctions.Engines.Redis;

/// <summary>
/// Where a Redis restore test restores:
/// <list type="bullet">
/// <item>With RestoreTest: its database index (defaultDatabase) and every index above it, which must all be empty (an
/// empty instance, or e.g. defaultDatabase=15); all of them are flushed afterwards.</item>
/// <item>Without: spare databases of the source instance itself. Each database of the backup goes to a distinct empty
/// one, highest index first, that is not a database of the backup (those hold the source's data); too few is a
/// configuration error that names the fix. RESTORE runs without REPLACE, a spare database that another client filled
/// since it was chosen stops the test, and only the databases the restore wrote into are flushed afterwards, on every
/// path (passed, failed, cancelled).</item>
/// </list>
/// </summary>
internal static class RedisScratch
{
    public static async Task<IScratchDatabase> EmptyInstanceAsync(RedisEngine engine, string connection, CancellationToken cancellationToken)
    {
        var endpoint = RedisEndpoint.Parse(connection);
        await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
        List<int> busy;
        try
        {
            busy = (await redis.DatabasesAsync()).Where(d => d >= endpoint.Database).ToList();
        }
        catch (Exception e) when (RedisClient.IsRedisFailure(e))
        {
            throw RedisClient.Translate(endpoint, e, "reading INFO keyspace");
        }

        return busy.Count == 0
            ? new EmptyInstance(engine, connection, endpoint)
            : throw new EngineException(FailureKind.Refused,
                $"the restore-test Redis {endpoint.Description} holds keys in db {busy[0]}: restore tests need an empty instance, or an empty defaultDatabase= index with only empty ones above it (set Targets:*:RestoreTest:Connection)");
    }

    /// <param name="backupDatabases">The databases the backup holds keys in (its manifest's counts), in order.</param>
    public static async Task<IScratchDatabase> SpareDatabasesAsync(string sourceConnection, IReadOnlyList<int> backupDatabases, TimeProvider time, CancellationToken cancellationToken)
    {
        var endpoint = RedisEndpoint.Parse(sourceConnection);
        await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
        int count;
        HashSet<int> busy;
        try
        {
            count = await redis.DatabaseCountAsync(cancellationToken);
            busy = (await redis.DatabasesAsync()).ToHashSet();
        }
        catch (Exception e) when (RedisClient.IsRedisFailure(e))
        {
            throw RedisClient.Translate(endpoint, e, "looking for spare databases for the restore test");
        }

        var free = Enumerable.Range(0, count).Reverse().Where(d => !busy.Contains(d) && !backupDatabases.Contains(d)).ToList();
        if (free.Count < backupDatabases.Count)
        {
            int needed = backupDatabases.Count;
            throw new EngineException(FailureKind.Configuration,
                $"no room for a restore test on {endpoint.Address}: it needs {needed} empty database{(needed == 1 ? "" : "s")} beside "
                + $"{string.Join(", ", backupDatabases.Select(d => $"db {d}"))}, and {free.Count} of its {count} are free "
                + "(set Targets:*:RestoreTest:Connection to a scratch instance, or raise 'databases' in redis.conf)");
        }

        return new SpareDatabases(endpoint, backupDatabases.Zip(free).ToList(), time);
    }

    private sealed class EmptyInstance(RedisEngine engine, string connection, RedisEndpoint endpoint) : IScratchDatabase
    {
        public string Description => $"{endpoint.Description}+";

        public Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken) =>
            engine.RestoreAsync(dump, connection, options, cancellationToken);

        public Task<SourceStats> ReadStatsAsync(CancellationToken cancellationToken) => engine.ReadStatsAsync(connection, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await using var redis = await RedisClient.ConnectAsync(endpoint, CancellationToken.None);
            try
            {
                foreach (int db in (await redis.DatabasesAsync()).Where(d => d >= endpoint.Database))
                {
                    await redis.Server.FlushDatabaseAsync(db);
                }
            }
            catch (Exception e) when (RedisClient.IsRedisFailure(e))
            {
                throw RedisClient.Translate(endpoint, e, "flushing the restore-test databases");
            }
        }
    }

    /// <summary>Backup database Source restores into the spare database Spare of the same instance.</summary>
    private sealed class SpareDatabases(RedisEndpoint endpoint, IReadOnlyList<(int Source, int Spare)> map, TimeProvider time) : IScratchDatabase
    {
        private readonly SortedSet<int> _written = [];

        public string Description => map.Count == 0
            ? $"no db of the same instance {endpoint.Address} (the backup holds no keys)"
            : $"{(map.Count == 1 ? "db" : "dbs")} {string.Join(", ", map.Select(m => m.Spare))} of the same instance {endpoint.Address} "
                + $"({string.Join(", ", map.Select(m => $"db {m.Source} → db {m.Spare}"))})";

        public async Task RestoreAsync(Stream dump, RestoreOptions options, CancellationToken cancellationToken)
        {
            var (reader, _) = await RedisDumps.OpenAsync(dump, cancellationToken);
            await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
            var restorer = new RedisRestorer(redis, options, time, map.ToDictionary(m => m.Source, m => m.Spare));
            try
            {
                await RedisEngine.RunAsync(restorer, reader, cancellationToken);
            }
            finally
            {
                _written.UnionWith(restorer.WrittenTo); // a failed restore flushed them already; flushing again on dispose is harmless
            }
        }

        public async Task<SourceStats> ReadStatsAsync(CancellationToken cancellationToken)
        {
            await using var redis = await RedisClient.ConnectAsync(endpoint, cancellationToken);
            try
            {
                var counts = await RedisCounts.ReadAsync(redis, map.Select(m => (m.Spare, m.Source)), cancellationToken);
                return new SourceStats(RedisEngine.StatsKind, counts.ToDictionary(), null); // used_memory would count the source's data too
            }
            catch (Exception e) when (RedisClient.IsRedisFailure(e))
            {
                throw RedisClient.Translate(endpoint, e, "counting the restored keys");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_written.Count == 0)
            {
                return;
            }

            await using var redis = await RedisClient.ConnectAsync(endpoint, CancellationToken.None);
            try
            {
                foreach (int db in _written)
                {
                    await redis.Server.FlushDatabaseAsync(db);
                }
            }
            catch (Exception e) when (RedisClient.IsRedisFailure(e))
            {
                throw RedisClient.Translate(endpoint, e, $"flushing the restore test's spare db {string.Join(", ", _written)}");
            }
        }
    }
}
