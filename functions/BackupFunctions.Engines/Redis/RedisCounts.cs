using System.Globalization;
using BackupFunctions.Engines.Redis.Rdb;
using StackExchange.Redis;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// Keys counted per database ("db0") and per database and type ("db0/hash"): the source stats of a
/// Redis backup, and what a restore test reads back. Counting a key allocates nothing (it runs once
/// per key of a million-key snapshot); the names are made at the end.
/// </summary>
public sealed class RedisCounts
{
    private readonly Dictionary<(int Database, byte RdbType), long> _byRdbType = [];
    private readonly Dictionary<(int Database, string Type), long> _byName = [];

    public long Total { get; private set; }

    public void Add(int database, byte rdbType)
    {
        var key = (database, rdbType);
        _byRdbType[key] = _byRdbType.GetValueOrDefault(key) + 1;
        Total++;
    }

    public void Add(int database, string type)
    {
        var key = (database, type);
        _byName[key] = _byName.GetValueOrDefault(key) + 1;
        Total++;
    }

    /// <summary>The database indexes that counts (as <see cref="ToDictionary"/> names them) hold keys in, in order.</summary>
    public static IReadOnlyList<int> Databases(IReadOnlyDictionary<string, long> counts) =>
        counts.Where(c => c.Value > 0 && c.Key.StartsWith("db", StringComparison.Ordinal) && !c.Key.Contains('/', StringComparison.Ordinal))
            .Select(c => int.Parse(c.Key.AsSpan(2), CultureInfo.InvariantCulture))
            .Order()
            .ToList();

    private const int TypeBatch = 1000;

    /// <summary>
    /// Counts the keys of live databases by TYPE (pipelined, 1000 at a time), each database counted under the name
    /// given with it (e.g. a restored database under the backup's index).
    /// </summary>
    public static async Task<RedisCounts> ReadAsync(RedisClient redis, IEnumerable<(int Database, int CountAs)> databases, CancellationToken cancellationToken)
    {
        var counts = new RedisCounts();
        foreach (var (db, name) in databases)
        {
            var database = redis.Database(db);
            var seen = new HashSet<ulong>(); // SCAN may return a key twice; 64-bit checksums of the keys keep memory small
            var keys = new List<RedisKey>(TypeBatch);
            await foreach (var key in redis.Server.KeysAsync(db, pageSize: TypeBatch).WithCancellation(cancellationToken))
            {
                if (seen.Add(Crc64Jones.Compute((byte[]?)key ?? [])))
                {
                    keys.Add(key);
                    if (keys.Count == TypeBatch)
                    {
                        await CountTypesAsync(database, keys, counts, name);
                    }
                }
            }

            await CountTypesAsync(database, keys, counts, name);
        }

        return counts;
    }

    /// <summary>TYPE of every key (pipelined), counted under <paramref name="name"/>; empties <paramref name="keys"/>.</summary>
    private static async Task CountTypesAsync(IDatabase database, List<RedisKey> keys, RedisCounts counts, int name)
    {
        var types = keys.Select(k => database.ExecuteAsync("TYPE", k)).ToArray();
        keys.Clear();
        foreach (var type in await Task.WhenAll(types))
        {
            string family = (string?)type ?? "none";
            if (family != "none")
            {
                counts.Add(name, family);
            }
        }
    }

    public IReadOnlyDictionary<string, long> ToDictionary()
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        void Count(int database, string type, long n)
        {
            counts[$"db{database}"] = counts.GetValueOrDefault($"db{database}") + n;
            counts[$"db{database}/{type}"] = counts.GetValueOrDefault($"db{database}/{type}") + n;
        }

        foreach (var ((database, rdbType), n) in _byRdbType)
        {
            Count(database, RedisTypes.Family(rdbType), n);
        }

        foreach (var ((database, type), n) in _byName)
        {
            Count(database, type, n);
        }

        return counts;
    }
}
