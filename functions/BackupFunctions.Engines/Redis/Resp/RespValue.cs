using System.Text;

namespace BackupFunctions.Engines.Redis.Resp;

/// <summary>The kinds of RESP2 reply.</summary>
public enum RespKind
{
    SimpleString,
    Error,
    Number,
    BulkString,
    Array,
}

/// <summary>One RESP reply. Bulk strings stay bytes: keys and values are binary.</summary>
public sealed record RespValue(RespKind Kind, byte[]? Bytes = null, long Number = 0, IReadOnlyList<RespValue>? Items = null)
{
    public bool IsNull => (Kind == RespKind.BulkString && Bytes is null) || (Kind == RespKind.Array && Items is null);

    /// <summary>Text of a simple string, error or bulk string (UTF-8).</summary>
    public string? Text => Bytes is null ? null : Encoding.UTF8.GetString(Bytes);

    public override string ToString() => Kind switch
    {
        RespKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RespKind.Array => Items is null ? "(nil array)" : $"[{Items.Count} items]",
        _ => Text ?? "(nil)",
    };
}

/// <summary>The server answered with an error reply (e.g. "NOAUTH Authentication required.").</summary>
public sealed class RespErrorException : Exception
{
    public RespErrorException(string message) : base(message) { }

    public RespErrorException() { }

    public RespErrorException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The first word of the error, e.g. NOAUTH, WRONGPASS, ERR.</summary>
    public string Code => Message.Split(' ', 2)[0];
}
