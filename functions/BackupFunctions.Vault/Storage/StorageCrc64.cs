using System.Buffers.Binary;
using System.IO.Hashing;

namespace BackupFunctions.Vault.Storage;

/// <summary>
/// The transactional CRC64 of a block as Azure Storage checks it (header x-ms-content-crc64). The
/// service's CRC64 is CRC-64/NVME (same polynomial, initial value and final xor; StorageCrc64Tests
/// compares it with the SDK's own implementation), so System.IO.Hashing's vectorized Crc64 computes it
/// at ~10 GB/s where the SDK's table-driven one, run as a second pass over the block, does ~1.2 GB/s.
/// </summary>
internal static class StorageCrc64
{
    /// <summary>The checksum in the SDK's byte order (little-endian), for <c>PrecalculatedChecksum</c>.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc64(Crc64ParameterSet.Nvme);
        crc.Append(data);
        byte[] bytes = new byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, crc.GetCurrentHashAsUInt64());
        return bytes;
    }
}
