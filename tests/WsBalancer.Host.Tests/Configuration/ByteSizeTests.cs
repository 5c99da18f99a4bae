using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData(" 1024 ", 1024L)]
    [InlineData("0", 0L)]
    [InlineData("-1", -1L)]
    [InlineData("512B", 512L)]
    [InlineData("512KiB", 524_288L)]
    [InlineData("8MiB", 8_388_608L)]
    [InlineData("8 MiB", 8_388_608L)]
    [InlineData("8mib", 8_388_608L)]
    [InlineData("1GiB", 1_073_741_824L)]
    [InlineData("8KB", 8_000L)]
    [InlineData("8MB", 8_000_000L)]
    [InlineData("2GB", 2_000_000_000L)]
    public void TryParse_ValidSize_ReturnsBytes(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("MiB")]
    [InlineData("1.5MiB")]
    [InlineData("8 TiB")]
    [InlineData("lots")]
    [InlineData("9223372036854775807KiB")]
    public void TryParse_InvalidSize_ReturnsFalse(string? text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
    }
}
