using BackupFunctions.Vault.Catalog;

namespace BackupFunctions.Tests.Vault;

public class BackupIdAndLayoutTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 2, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void New_FormatsTargetUtcSecondAndFourHexDigits()
    {
        var id = BackupId.New("orders", At.ToOffset(TimeSpan.FromHours(2)), new Random(1));

        Assert.Matches("^orders-20261122T020000Z-[0-9a-f]{4}$", id.Value);
    }

    [Theory]
    [InlineData("orders-20261122T020000Z-3f9a", "orders")]
    [InlineData("orders-restored-20261122T020000Z-0000", "orders-restored")]
    [InlineData("a-20261122T020000Z-ffff", "a")]
    public void TryParse_ReadsTargetFromTheEnd(string text, string target)
    {
        Assert.True(BackupId.TryParse(text, out var id));
        Assert.Equal(target, id.Target);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero), id.CreatedAt);
        Assert.Equal(text, id.Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("orders")]
    [InlineData("orders-20261122T020000Z-3F9A")]
    [InlineData("Orders-20261122T020000Z-3f9a")]
    [InlineData("orders-20261322T020000Z-3f9a")]
    [InlineData("../x-20261122T020000Z-3f9a")]
    public void TryParse_RejectsOtherShapes(string? text)
    {
        Assert.False(BackupId.TryParse(text, out _));
    }

    [Theory]
    [InlineData("orders", true)]
    [InlineData("orders-restored", true)]
    [InlineData("x1", true)]
    [InlineData("-orders", false)]
    [InlineData("orders-", false)]
    [InlineData("Orders", false)]
    [InlineData("or/ders", false)]
    [InlineData("", false)]
    public void IsValidTargetName_AllowsOnlyBlobAndIdSafeNames(string name, bool valid)
    {
        Assert.Equal(valid, BackupId.IsValidTargetName(name));
    }

    [Fact]
    public void Layout_FollowsTheContract()
    {
        Assert.True(BackupId.TryParse("orders-20261122T020000Z-3f9a", out var id));

        Assert.Equal("orders/2026/11/22/orders-20261122T020000Z-3f9a/data.pgdump.br", BlobLayout.Data(id, "pgdump.br"));
        Assert.Equal("orders/2026/11/22/orders-20261122T020000Z-3f9a/manifest.json", BlobLayout.Manifest(id));
        Assert.Equal("orders/2026/11/22/orders-20261122T020000Z-3f9a/checks/20261122T020000123Z-verify.json", BlobLayout.Check(id, At, "verify"));
        Assert.Equal("runs/2026/11/22/run-1.json", BlobLayout.RunReport("run-1", At));
    }
}

public class RunReportLayoutTests
{
    [Fact]
    public void RunReport_IsDatedByTheRunIdStamp_SoItCanBeFoundFromTheIdAlone()
    {
        var justAfterMidnight = new DateTimeOffset(2026, 11, 23, 0, 0, 0, 5, TimeSpan.Zero);

        Assert.Equal("runs/2026/11/22/run-20261122T235959Z-00ff.json", BlobLayout.RunReport("run-20261122T235959Z-00ff", justAfterMidnight));
        Assert.Equal("runs/2026/11/23/restore-m1.json", BlobLayout.RunReport("restore-m1", justAfterMidnight));
    }
}
