using System.Globalization;
using System.Text.RegularExpressions;

namespace BackupFunctions.Vault.Catalog;

/// <summary>
/// A backup's identity: <c>{target}-{yyyyMMddTHHmmssZ}-{4 hex}</c>. The target name may contain
/// hyphens, so the id is parsed from the end.
/// </summary>
public sealed partial record BackupId(string Target, DateTimeOffset CreatedAt, string Suffix)
{
    private const string StampFormat = "yyyyMMdd'T'HHmmss'Z'";

    public string Value => $"{Target}-{CreatedAt.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture)}-{Suffix}";

    public override string ToString() => Value;

    /// <summary>A new id for <paramref name="target"/> at <paramref name="now"/>; <paramref name="random"/> gives the 4 hex digits.</summary>
    public static BackupId New(string target, DateTimeOffset now, Random random)
    {
        var utc = now.ToUniversalTime();
        var second = new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, utc.Second, TimeSpan.Zero);
        return new BackupId(target, second, random.Next(0, 0x10000).ToString("x4", CultureInfo.InvariantCulture));
    }

    /// <summary>Parses an id; false when it does not have the backup id shape.</summary>
    public static bool TryParse(string? text, out BackupId id)
    {
        id = null!;
        var m = text is null ? null : Shape().Match(text);
        if (m is null || !m.Success)
        {
            return false;
        }

        if (!DateTimeOffset.TryParseExact(m.Groups["stamp"].Value, StampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return false;
        }

        id = new BackupId(m.Groups["target"].Value, at, m.Groups["hex"].Value);
        return true;
    }

    /// <summary>Target names: lower-case letters, digits and inner hyphens, 1–63 characters (safe in blob names and ids).</summary>
    public static bool IsValidTargetName(string? name) => name is not null && TargetShape().IsMatch(name);

    [GeneratedRegex("^(?<target>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)-(?<stamp>[0-9]{8}T[0-9]{6}Z)-(?<hex>[0-9a-f]{4})$")]
    private static partial Regex Shape();

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex TargetShape();
}
