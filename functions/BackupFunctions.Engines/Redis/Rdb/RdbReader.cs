using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace BackupFunctions.Engines.Redis.Rdb;

/// <summary>
/// Walks an RDB file (versions 1 to 12) from a stream, in one pass and constant memory apart from
/// the values it is asked to return. For each key it yields the database, key, type and expiry, and
/// on request the value as a DUMP payload (value bytes + RDB version + CRC-64/Jones), which is
/// exactly what <c>RESTORE</c> takes. At the EOF opcode it checks the file's CRC64 trailer (a zero
/// trailer means the server had rdbchecksum off). Malformed input throws <see cref="InvalidDataException"/>.
/// Format reference: redis/src/rdb.h and rdb.c.
/// </summary>
public sealed class RdbReader
{
    public const int NewestVersion = 12;

    private readonly Stream _input;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _pos;
    private int _len;
    private int _mark; // start of the bytes not yet added to the CRC (and to the capture)
    private ulong _crc;
    private ArrayBufferWriter<byte>? _capture;
    private long _consumedBefore; // bytes of the stream before _buffer[0]

    public RdbReader(Stream input) => _input = input;

    /// <summary>The file's RDB version, known once enumeration has started.</summary>
    public int Version { get; private set; }

    /// <summary>AUX fields (redis-ver, used-mem, ...), as read so far.</summary>
    public Dictionary<string, string> Aux { get; } = new(StringComparer.Ordinal);

    /// <summary>"verified", or "off" when the file carries a zero trailer. Set at the end.</summary>
    public string? Checksum { get; private set; }

    /// <summary>Number of Redis functions libraries seen (they are not restored by RESTORE).</summary>
    public int FunctionLibraries { get; private set; }

    /// <summary>Every key in file order. With <paramref name="payloads"/>, each entry carries its DUMP payload.</summary>
    public IEnumerable<RedisEntry> Entries(bool payloads)
    {
        ReadHeader();
        int db = 0;
        long expireAt = -1;
        while (true)
        {
            byte op = ReadByte();
            switch (op)
            {
                case 0xFF: // EOF
                    ReadTrailer();
                    EnsureEnd();
                    yield break;
                case 0xFE: // SELECTDB
                    db = checked((int)ReadLength());
                    break;
                case 0xFD: // EXPIRETIME (seconds)
                    expireAt = BinaryPrimitives.ReadUInt32LittleEndian(Read(4)) * 1000L;
                    break;
                case 0xFC: // EXPIRETIME_MS
                    expireAt = BinaryPrimitives.ReadInt64LittleEndian(Read(8));
                    break;
                case 0xFB: // RESIZEDB: hints only
                    ReadLength();
                    ReadLength();
                    break;
                case 0xFA: // AUX
                    string name = Encoding.UTF8.GetString(ReadString());
                    Aux[name] = Encoding.UTF8.GetString(ReadString());
                    break;
                case 0xF9: // FREQ (LFU)
                    ReadByte();
                    break;
                case 0xF8: // IDLE (LRU)
                    ReadLength();
                    break;
                case 0xF7: // MODULE_AUX
                    ReadLength(); // module id
                    ReadLength(); // when opcode
                    ReadLength(); // when
                    SkipModuleValue();
                    break;
                case 0xF6: // FUNCTION2
                    SkipString();
                    FunctionLibraries++;
                    break;
                case 0xF5:
                    throw new InvalidDataException("the RDB holds pre-release (7.0 RC) functions, which this reader does not support");
                case 0xF4: // SLOT_INFO
                    ReadLength();
                    ReadLength();
                    ReadLength();
                    break;
                default:
                    yield return ReadKey(op, db, expireAt, payloads);
                    expireAt = -1;
                    break;
            }
        }
    }

    private RedisEntry ReadKey(byte type, int db, long expireAt, bool payload)
    {
        byte[] key = ReadString();
        if (RedisTypes.Family(type) == RedisTypes.Module && payload)
        {
            ulong id = ReadLength();
            throw new InvalidDataException(
                $"key '{RedisTypes.Printable(key)}' in db {db} has module type '{RedisTypes.ModuleName(id)}', which cannot be split into a DUMP payload: restore it with the module's own tools");
        }

        if (payload)
        {
            Retire();
            _capture = new ArrayBufferWriter<byte>();
            _capture.Write([type]);
        }

        SkipValue(type, key, db);
        if (!payload)
        {
            return new RedisEntry(db, key, type, expireAt, null);
        }

        Retire();
        var capture = _capture!;
        _capture = null;
        var body = capture.WrittenSpan;
        var result = new byte[body.Length + 10];
        body.CopyTo(result);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(body.Length), (ushort)Version);
        BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(body.Length + 2), Crc64Jones.Compute(result.AsSpan(0, body.Length + 2)));
        return new RedisEntry(db, key, type, expireAt, result);
    }

    private void ReadHeader()
    {
        var header = Read(9);
        if (!header[..5].SequenceEqual("REDIS"u8))
        {
            throw new InvalidDataException("not an RDB file (no REDIS magic)");
        }

        if (!int.TryParse(Encoding.ASCII.GetString(header[5..]), out int version) || version < 1)
        {
            throw new InvalidDataException("the RDB header has no valid version");
        }

        Version = version <= NewestVersion ? version
            : throw new InvalidDataException($"RDB version {version} is newer than this reader supports ({NewestVersion}, Redis 7.4)");
    }

    private void ReadTrailer()
    {
        Retire(); // the CRC covers everything up to and including the EOF opcode
        if (Version < 5)
        {
            Checksum = "none (RDB version before 5)";
            return;
        }

        ulong computed = _crc;
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(ReadRaw(8));
        Checksum = stored == 0 ? "off" : stored == computed ? "verified"
            : throw new InvalidDataException($"RDB CRC64 mismatch: trailer {stored:x16}, computed {computed:x16}");
    }

    private void EnsureEnd()
    {
        long extra = _len - _pos;
        while (_input.Read(_buffer, 0, _buffer.Length) is var n and > 0)
        {
            extra += n;
        }

        if (extra > 0)
        {
            throw new InvalidDataException($"the RDB has {extra} bytes after its end");
        }
    }

    private void SkipValue(byte type, byte[] key, int db)
    {
        switch (type)
        {
            case 0: // STRING
            case 9 or 10 or 11 or 12 or 13 or 16 or 17 or 20: // ziplist, intset, listpack encodings: one blob
                SkipString();
                break;
            case 1 or 2 or 14: // LIST, SET, LIST_QUICKLIST
                for (ulong n = ReadLength(), i = 0; i < n; i++)
                {
                    SkipString();
                }

                break;
            case 3: // ZSET (scores as strings)
                for (ulong n = ReadLength(), i = 0; i < n; i++)
                {
                    SkipString();
                    byte len = ReadByte();
                    if (len < 253)
                    {
                        Skip(len);
                    }
                }

                break;
            case 4: // HASH
                for (ulong n = ReadLength(), i = 0; i < n; i++)
                {
                    SkipString();
                    SkipString();
                }

                break;
            case 5: // ZSET_2 (binary double scores)
                for (ulong n = ReadLength(), i = 0; i < n; i++)
                {
                    SkipString();
                    Skip(8);
                }

                break;
            case 18: // LIST_QUICKLIST_2: container + blob per node
                for (ulong n = ReadLength(), i = 0; i < n; i++)
                {
                    ReadLength();
                    SkipString();
                }

                break;
            case 15 or 19 or 21:
                SkipStream(type == 15 ? 1 : type == 19 ? 2 : 3);
                break;
            case 6:
                throw new InvalidDataException($"key '{RedisTypes.Printable(key)}' in db {db} has a pre-release module type (RDB type 6), which cannot be read");
            case 7: // MODULE_2
                ReadLength();
                SkipModuleValue();
                break;
            default:
                throw new InvalidDataException($"key '{RedisTypes.Printable(key)}' in db {db} has RDB type {type}, which this reader does not know (a newer Redis?)");
        }
    }

    private void SkipStream(int version)
    {
        for (ulong n = ReadLength(), i = 0; i < n; i++)
        {
            SkipString(); // master id
            SkipString(); // listpack
        }

        SkipLengths(version >= 2 ? 8 : 3); // length, last id; then first id, max deleted id, entries added
        for (ulong groups = ReadLength(), g = 0; g < groups; g++)
        {
            SkipString();
            SkipLengths(version >= 2 ? 3 : 2); // last delivered id (+ entries read)
            for (ulong pel = ReadLength(), p = 0; p < pel; p++)
            {
                Skip(16 + 8); // raw id, delivery time
                ReadLength(); // delivery count
            }

            for (ulong consumers = ReadLength(), c = 0; c < consumers; c++)
            {
                SkipString();
                Skip(version >= 3 ? 16 : 8); // seen time (+ active time)
                Skip(16 * (long)ReadLength());
            }
        }
    }

    private void SkipLengths(int count)
    {
        for (int i = 0; i < count; i++)
        {
            ReadLength();
        }
    }

    /// <summary>Module values since RDB 9 are self-describing: opcode, value, ... until opcode 0.</summary>
    private void SkipModuleValue()
    {
        while (true)
        {
            switch (ReadLength())
            {
                case 0: return;
                case 1 or 2: ReadLength(); break;
                case 3: Skip(4); break;
                case 4: Skip(8); break;
                case 5: SkipString(); break;
                case var op: throw new InvalidDataException($"unknown module opcode {op} in the RDB");
            }
        }
    }

    /// <summary>A length; string encodings (0xC0..) are returned with their marker through <see cref="ReadString"/>.</summary>
    private ulong ReadLength() => ReadLength(out bool encoded) is var n && encoded
        ? throw new InvalidDataException("an encoded string where the RDB should hold a length")
        : n;

    private ulong ReadLength(out bool encoded)
    {
        encoded = false;
        byte first = ReadByte();
        switch (first >> 6)
        {
            case 0: return (ulong)(first & 0x3F);
            case 1: return ((ulong)(first & 0x3F) << 8) | ReadByte();
            case 2:
                return first switch
                {
                    0x80 => BinaryPrimitives.ReadUInt32BigEndian(Read(4)),
                    0x81 => BinaryPrimitives.ReadUInt64BigEndian(Read(8)),
                    _ => throw new InvalidDataException($"bad RDB length marker 0x{first:x2}"),
                };
            default:
                encoded = true;
                return (ulong)(first & 0x3F);
        }
    }

    private byte[] ReadString()
    {
        ulong n = ReadLength(out bool encoded);
        if (!encoded)
        {
            return ReadBytes(n);
        }

        return n switch
        {
            0 => Encoding.ASCII.GetBytes(((sbyte)ReadByte()).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            1 => Encoding.ASCII.GetBytes(BinaryPrimitives.ReadInt16LittleEndian(Read(2)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            2 => Encoding.ASCII.GetBytes(BinaryPrimitives.ReadInt32LittleEndian(Read(4)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            3 => ReadLzf(),
            _ => throw new InvalidDataException($"unknown RDB string encoding {n}"),
        };
    }

    private void SkipString()
    {
        ulong n = ReadLength(out bool encoded);
        if (!encoded)
        {
            Skip((long)n);
            return;
        }

        switch (n)
        {
            case 0: Skip(1); break;
            case 1: Skip(2); break;
            case 2: Skip(4); break;
            case 3:
                ulong compressed = ReadLength();
                ReadLength();
                Skip((long)compressed);
                break;
            default: throw new InvalidDataException($"unknown RDB string encoding {n}");
        }
    }

    private byte[] ReadLzf()
    {
        ulong compressed = ReadLength();
        ulong length = ReadLength();
        return Lzf.Decompress(ReadBytes(compressed), checked((int)length));
    }

    private byte[] ReadBytes(ulong count)
    {
        if (count > 512 * 1024 * 1024)
        {
            throw new InvalidDataException($"the RDB claims a {count}-byte string (more than Redis allows)");
        }

        var bytes = new byte[count];
        int filled = 0;
        while (filled < bytes.Length)
        {
            if (_pos == _len)
            {
                Fill(1);
            }

            int n = Math.Min(bytes.Length - filled, _len - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(bytes.AsSpan(filled));
            _pos += n;
            filled += n;
        }

        return bytes;
    }

    private byte ReadByte()
    {
        if (_pos == _len)
        {
            Fill(1);
        }

        return _buffer[_pos++];
    }

    /// <summary>A few bytes (at most the buffer size), valid until the next read.</summary>
    private ReadOnlySpan<byte> Read(int count)
    {
        if (_len - _pos < count)
        {
            Fill(count);
        }

        var span = _buffer.AsSpan(_pos, count);
        _pos += count;
        return span;
    }

    private void Skip(long count)
    {
        if (count < 0)
        {
            throw new InvalidDataException("the RDB claims a negative length");
        }

        while (count > 0)
        {
            if (_pos == _len)
            {
                Fill(1);
            }

            int n = (int)Math.Min(count, _len - _pos);
            _pos += n;
            count -= n;
        }
    }

    /// <summary>Bytes outside the CRC (the trailer).</summary>
    private ReadOnlySpan<byte> ReadRaw(int count)
    {
        var span = Read(count);
        _mark = _pos;
        return span;
    }

    /// <summary>Adds the bytes consumed since the mark to the CRC and the capture.</summary>
    private void Retire()
    {
        var done = _buffer.AsSpan(_mark, _pos - _mark);
        _crc = Crc64Jones.Update(_crc, done);
        _capture?.Write(done);
        _mark = _pos;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available from _pos.</summary>
    private void Fill(int count)
    {
        Retire();
        int left = _len - _pos;
        _consumedBefore += _pos;
        Buffer.BlockCopy(_buffer, _pos, _buffer, 0, left);
        _pos = _mark = 0;
        _len = left;
        while (_len < count)
        {
            int n = _input.Read(_buffer, _len, _buffer.Length - _len);
            if (n == 0)
            {
                throw new InvalidDataException($"the RDB is truncated at byte {_consumedBefore + _len}");
            }

            _len += n;
        }
    }
}

/// <summary>One key of a Redis dump: its database, key, RDB type byte, absolute expiry (ms, -1: none) and, when asked for, its DUMP payload.</summary>
public sealed record RedisEntry(int Database, byte[] Key, byte Type, long ExpireAtMs, byte[]? Payload);
