using Azure.Storage;
using BackupFunctions.Vault.Storage;

namespace BackupFunctions.Tests.Vault;

/// <summary>
/// The block sink's own CRC64 is the one the service checks: byte for byte what the SDK's
/// StorageCrc64HashAlgorithm computes, at every length around its 32-byte stride and for a whole block.
/// </summary>
public class StorageCrc64Tests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(4096)]
    [InlineData(8 * 1024 * 1024 + 13)]
    public void Compute_AnyLength_EqualsTheSdksStorageCrc64(int length)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        var sdk = StorageCrc64HashAlgorithm.Create();
        sdk.Append(data);

        Assert.Equal(sdk.GetCurrentHash(), StorageCrc64.Compute(data));
    }

    [Fact]
    public void Compute_OneFlippedBit_Differs()
    {
        byte[] data = new byte[1024];
        new Random(3).NextBytes(data);
        byte[] before = StorageCrc64.Compute(data);
        data[517] ^= 0x10;

        Assert.NotEqual(before, StorageCrc64.Compute(data));
    }
}
