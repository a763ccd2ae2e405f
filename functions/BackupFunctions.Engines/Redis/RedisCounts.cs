using BackupFunctions.Engines.Redis.Rdb;

namespace BackupFunctions.Engines.Redis;

/// <summary>
/// Keys counted per database ("db0") and per database and type ("db0/hash"): the source stats of a
/// Redis backup, and what a restore test reads back.
/// </summary>
public sealed class RedisCounts
{
    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total { get; private set; }

    public void Add(int database, byte rdbType) => Add(database, RedisTypes.Family(rdbType));

    public void Add(int database, string type)
    {
        Increment($"db{database}");
        Increment($"db{database}/{type}");
        Total++;
    }

    private void Increment(string key) => _counts[key] = _counts.GetValueOrDefault(key) + 1;

    public IReadOnlyDictionary<string, long> ToDictionary() => new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);
}
