using System.Buffers.Binary;
using System.Text;
using BackupFunctions.Engines.Redis.Rdb;

namespace BackupFunctions.Tests.Engines;

/// <summary>
/// The RDB reader on hand-built files (real ones from redis-server are covered by the integration
/// tests): CRC-64/Jones, LZF, expiries, DUMP payloads, and the clear errors for what it cannot split.
/// </summary>
public class RdbReaderTests
{
    private static byte[] Str(string s) => [(byte)s.Length, .. Encoding.ASCII.GetBytes(s)];

    /// <summary>"REDIS" + version, the body, the EOF opcode and a CRC64 trailer (or zero).</summary>
    private static byte[] Rdb(int version, byte[] body, bool checksum = true)
    {
        byte[] head = [.. Encoding.ASCII.GetBytes($"REDIS{version:D4}"), .. body, 0xFF];
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, checksum ? Crc64Jones.Compute(head) : 0);
        return [.. head, .. trailer];
    }

    private static (List<RedisEntry> Entries, RdbReader Reader) Read(byte[] file, bool payloads = true)
    {
        var reader = new RdbReader(new MemoryStream(file));
        return (reader.Entries(payloads).ToList(), reader);
    }

    [Fact]
    public void Crc64Jones_MatchesRedisCheckValue()
    {
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64Jones.Compute("123456789"u8));
        byte[] data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal(Crc64Jones.Compute(data), Crc64Jones.Update(Crc64Jones.Compute(data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    [Fact]
    public void Entries_CarryDatabaseExpiryAndARestorablePayload()
    {
        var expiry = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(expiry, 1_900_000_000_000);
        byte[] body =
        [
            0xFA, .. Str("redis-ver"), .. Str("7.0.15"),
            0xFE, 0x02, 0xFB, 0x02, 0x01,
            0xFC, .. expiry, 0x00, .. Str("k1"), .. Str("hello"),
            0x00, 0xC0, 0x7B, 0xC1, 0x39, 0x30, // int-encoded key "123", int16 value 12345
        ];

        var (entries, reader) = Read(Rdb(10, body));

        Assert.Equal("7.0.15", reader.Aux["redis-ver"]);
        Assert.Equal("verified", reader.Checksum);
        Assert.Equal(2, entries.Count);
        Assert.Equal((2, "k1", 1_900_000_000_000L), (entries[0].Database, Encoding.ASCII.GetString(entries[0].Key), entries[0].ExpireAtMs));
        Assert.Equal(("123", -1L), (Encoding.ASCII.GetString(entries[1].Key), entries[1].ExpireAtMs));
        byte[] payload = entries[0].Payload!; // type, value, RDB version 10 (LE), CRC64 of everything before
        Assert.Equal([0x00, .. Str("hello"), 10, 0], payload[..^8]);
        Assert.Equal(Crc64Jones.Compute(payload.AsSpan(0, payload.Length - 8)), BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(payload.Length - 8)));
        Assert.Equal([0x00, 0xC1, 0x39, 0x30, 10, 0], entries[1].Payload![..^8]);
    }

    [Fact]
    public void LzfKeys_AreDecompressed()
    {
        // liblzf: literal run of 1 ("a"), then a back reference of 9 bytes at distance 1 -> "aaaaaaaaaa".
        byte[] compressed = [0x00, (byte)'a', 0xE0, 0x00, 0x00];
        Assert.Equal("aaaaaaaaaa"u8.ToArray(), Lzf.Decompress(compressed, 10));
        byte[] body = [0x00, 0xC3, (byte)compressed.Length, 10, .. compressed, .. Str("v")];

        var (entries, _) = Read(Rdb(9, body));

        Assert.Equal("aaaaaaaaaa", Encoding.ASCII.GetString(entries[0].Key));
        Assert.Throws<InvalidDataException>(() => Lzf.Decompress(compressed, 11));
    }

    [Fact]
    public void ModuleTypes_WalkForVerify_ButCannotBeSplitForRestore_AndTheErrorNamesKeyAndModule()
    {
        ulong id = ModuleId("ReJSON-RL", 3);
        var idBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(idBytes, id);
        byte[] body = [0x07, .. Str("doc:1"), 0x81, .. idBytes, 0x05, .. Str("{}"), 0x02, 0x05, 0x00];

        var (walked, _) = Read(Rdb(10, body), payloads: false);
        var split = Assert.Throws<InvalidDataException>(() => Read(Rdb(10, body)));

        Assert.Equal("module", RedisTypes.Family(walked.Single().Type));
        Assert.Equal("key 'doc:1' in db 0 has module type 'ReJSON-RL', which cannot be split into a DUMP payload: restore it with the module's own tools", split.Message);
    }

    private static ulong ModuleId(string name, int version)
    {
        const string charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        ulong id = 0;
        foreach (char c in name)
        {
            id = (id << 6) | (uint)charset.IndexOf(c, StringComparison.Ordinal);
        }

        return (id << 10) | (uint)version;
    }

    [Fact]
    public void Trailer_ZeroMeansOff_AndAMismatchOrTruncationOrExtraBytesIsAnError()
    {
        byte[] body = [0x00, .. Str("k"), .. Str("v")];
        byte[] good = Rdb(10, body);
        byte[] flipped = (byte[])good.Clone();
        flipped[13] ^= 0x20; // the value "v" -> "V"

        Assert.Equal("off", Read(Rdb(10, body, checksum: false)).Reader.Checksum);
        Assert.Contains("CRC64 mismatch", Assert.Throws<InvalidDataException>(() => Read(flipped)).Message, StringComparison.Ordinal);
        Assert.Contains("truncated at byte 14", Assert.Throws<InvalidDataException>(() => Read(good[..14])).Message, StringComparison.Ordinal);
        Assert.Contains("3 bytes after its end", Assert.Throws<InvalidDataException>(() => Read([.. good, 1, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("no REDIS magic", Assert.Throws<InvalidDataException>(() => Read("RADIS0010"u8.ToArray())).Message, StringComparison.Ordinal);
        Assert.Contains("newer than this reader", Assert.Throws<InvalidDataException>(() => Read(Rdb(13, body))).Message, StringComparison.Ordinal);
        Assert.Contains("RDB type 24", Assert.Throws<InvalidDataException>(() => Read(Rdb(12, [24, .. Str("h"), 0x00]))).Message, StringComparison.Ordinal);
    }
}
