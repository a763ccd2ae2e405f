namespace BackupFunctions.Engines.Redis.Rdb;

/// <summary>
/// CRC-64/Jones as Redis computes it (reflected, polynomial 0xad93d23594c935a9, init 0, no final
/// xor; check value of "123456789" = 0xe9c6d914c4b8d9ca). It closes RDB files and DUMP payloads.
/// System.IO.Hashing's Crc64 is the ECMA-182 polynomial, so it cannot be used here. Slicing-by-8.
/// </summary>
public static class Crc64Jones
{
    private const ulong Reflected = 0x95AC9329AC4BC9B5;
    private static readonly ulong[][] Tables = BuildTables();

    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        var t = Tables;
        while (data.Length >= 8)
        {
            crc ^= BitConverter.IsLittleEndian
                ? System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(data)
                : System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data);
            crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^ t[4][(crc >> 24) & 0xff]
                ^ t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = t[0][(crc ^ b) & 0xff] ^ (crc >> 8);
        }

        return crc;
    }

    public static ulong Compute(ReadOnlySpan<byte> data) => Update(0, data);

    private static ulong[][] BuildTables()
    {
        var tables = new ulong[8][];
        for (int k = 0; k < 8; k++)
        {
            tables[k] = new ulong[256];
        }

        for (int i = 0; i < 256; i++)
        {
            ulong crc = (ulong)i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Reflected : crc >> 1;
            }

            tables[0][i] = crc;
        }

        for (int i = 0; i < 256; i++)
        {
            for (int k = 1; k < 8; k++)
            {
                tables[k][i] = tables[0][tables[k - 1][i] & 0xff] ^ (tables[k - 1][i] >> 8);
            }
        }

        return tables;
    }
}
