using BackupFunctions.Engines.Redis.Rdb;

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
