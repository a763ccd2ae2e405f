using System.Buffers.Binary;
using System.Security.Cryptography;
using BackupFunctions.Vault.Encryption;

namespace BackupFunctions.Tests.Vault.Encryption;

public class FramedAesGcmTests
{
    private const int Chunk = 1024;
    private static readonly byte[] Key1 = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Key2 = RandomNumberGenerator.GetBytes(32);

    private static async Task<byte[]> EncryptAsync(byte[] plain, byte[] key, string keyId)
    {
        using var output = new MemoryStream();
        await using (var enc = new EncryptingStream(output, key, keyId, Chunk))
        {
            for (int i = 0; i < plain.Length; i += 300)
            {
                await enc.WriteAsync(plain.AsMemory(i, Math.Min(300, plain.Length - i)));
            }

            await enc.CompleteAsync(CancellationToken.None);
        }

        return output.ToArray();
    }

    private static async Task<byte[]> DecryptAsync(byte[] stored, Func<string, byte[]?> keys)
    {
        using var input = new MemoryStream(stored);
        await using var dec = new DecryptingStream(input, keys);
        using var plain = new MemoryStream();
        await dec.CopyToAsync(plain);
        return plain.ToArray();
    }

    private static byte[]? Ring(string id) => id switch { "k1" => Key1, "k2" => Key2, _ => null };

    /// <summary>Byte offset of frame <paramref name="index"/> in an encryption made with key id "k1".</summary>
    private static int FrameOffset(byte[] stored, int index)
    {
        int offset = 13 + 2; // fixed header + "k1"
        for (int i = 0; i < index; i++)
        {
            offset += 4 + (int)BinaryPrimitives.ReadUInt32BigEndian(stored.AsSpan(offset)) + 16;
        }

        return offset;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk)]
    [InlineData((3 * Chunk) + 7)]
    public async Task RoundTrip_ReturnsThePlaintext_AndHidesIt(int size)
    {
        byte[] plain = Enumerable.Range(0, size).Select(i => (byte)(i % 7)).ToArray();

        byte[] stored = await EncryptAsync(plain, Key1, "k1");

        Assert.Equal(plain, await DecryptAsync(stored, Ring));
        if (size >= 16)
        {
            Assert.DoesNotContain(Convert.ToHexString(plain[..16]), Convert.ToHexString(stored), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task FlippedByte_IsDetected()
    {
        byte[] stored = await EncryptAsync(new byte[3 * Chunk], Key1, "k1");
        stored[FrameOffset(stored, 1) + 10] ^= 0x01;

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync(stored, Ring));

        Assert.Contains("frame 1 does not authenticate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedAtAFrameBoundary_IsDetected()
    {
        byte[] stored = await EncryptAsync(new byte[3 * Chunk], Key1, "k1");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync(stored[..FrameOffset(stored, 2)], Ring));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SwappedFrames_AreDetected()
    {
        byte[] stored = await EncryptAsync(Enumerable.Range(0, 3 * Chunk).Select(i => (byte)i).ToArray(), Key1, "k1");
        int a = FrameOffset(stored, 0), b = FrameOffset(stored, 1), c = FrameOffset(stored, 2);
        byte[] swapped = [.. stored[..a], .. stored[b..c], .. stored[a..b], .. stored[c..]];

        await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync(swapped, Ring));
    }

    [Fact]
    public async Task KeyRotation_OldBackupsStillDecryptByTheirKeyId()
    {
        byte[] old = await EncryptAsync([1, 2, 3], Key1, "k1");
        byte[] fresh = await EncryptAsync([4, 5, 6], Key2, "k2");

        Assert.Equal([1, 2, 3], await DecryptAsync(old, Ring));
        Assert.Equal([4, 5, 6], await DecryptAsync(fresh, Ring));
    }

    [Fact]
    public async Task WrongKey_OrUnknownKeyId_GiveClearErrors()
    {
        byte[] stored = await EncryptAsync([1, 2, 3], Key1, "k1");

        var wrong = await Assert.ThrowsAsync<InvalidDataException>(() => DecryptAsync(stored, _ => Key2));
        var unknown = await Assert.ThrowsAsync<CryptographicException>(() => DecryptAsync(stored, _ => null));

        Assert.Contains("wrong key for key id 'k1'", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("no key with id 'k1'", unknown.Message, StringComparison.Ordinal);
    }
}
