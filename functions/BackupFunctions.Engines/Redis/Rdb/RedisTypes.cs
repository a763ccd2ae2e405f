using System.Text;

namespace BackupFunctions.Engines.Redis.Rdb;

/// <summary>RDB type bytes mapped to the names TYPE returns, and helpers for messages.</summary>
public static class RedisTypes
{
    public const string Module = "module";

    /// <summary>The family of an RDB type byte ("string", "list", "set", "zset", "hash", "stream", "module").</summary>
    public static string Family(byte type) => type switch
    {
        0 => "string",
        1 or 10 or 14 or 18 => "list",
        2 or 11 or 20 => "set",
        3 or 5 or 12 or 17 => "zset",
        4 or 9 or 13 or 16 or 22 or 23 or 24 or 25 => "hash",
        15 or 19 or 21 => "stream",
        6 or 7 => Module,
        _ => $"type{type}",
    };

    /// <summary>A module type id holds a 9-character name (6 bits each) above a 10-bit encoding version.</summary>
    public static string ModuleName(ulong id)
    {
        const string charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var name = new char[9];
        ulong bits = id >> 10;
        for (int i = 8; i >= 0; i--)
        {
            name[i] = charset[(int)(bits & 63)];
            bits >>= 6;
        }

        return new string(name);
    }

    /// <summary>A key for messages: printable ASCII kept, anything else escaped, long keys cut.</summary>
    public static string Printable(byte[] key)
    {
        var text = new StringBuilder();
        foreach (byte b in key.Take(80))
        {
            text.Append(b is >= 32 and < 127 and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        return key.Length > 80 ? text.Append("...").ToString() : text.ToString();
    }
}
