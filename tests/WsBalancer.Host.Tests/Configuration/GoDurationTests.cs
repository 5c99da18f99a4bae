using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class GoDurationTests
{
    // Expected values in ticks (100 ns), so that sub-millisecond cases are exact.
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-0", 0L)]
    [InlineData("+0", 0L)]
    [InlineData("0s", 0L)]
    [InlineData("100ns", 1L)]
    [InlineData("300us", 3_000L)]
    [InlineData("300µs", 3_000L)] // U+00B5 micro sign
    [InlineData("300μs", 3_000L)] // U+03BC Greek mu
    [InlineData("500ms", 5_000_000L)]
    [InlineData("10s", 100_000_000L)]
    [InlineData("1.5s", 15_000_000L)]
    [InlineData(".5s", 5_000_000L)]
    [InlineData("5.s", 50_000_000L)]
    [InlineData("1m30s", 900_000_000L)]
    [InlineData("1h", 36_000_000_000L)]
    [InlineData("2h45m", 99_000_000_000L)]
    [InlineData("1h1m1s1ms1us100ns", 36_610_010_011L)]
    [InlineData("-1.5h", -54_000_000_000L)]
    [InlineData("+10m", 6_000_000_000L)]
    [InlineData("1.0000000000000000000001s", 10_000_000L)]
    [InlineData("2562047h47m16.854775807s", 92_233_720_368_547_758L)]
    public void TryParse_ValidGoDuration_ReturnsValue(string text, long expectedTicks)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromTicks(expectedTicks), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("-")]
    [InlineData("s")]
    [InlineData(".s")]
    [InlineData("10")]
    [InlineData("1.5")]
    [InlineData("10 s")]
    [InlineData("10S")]
    [InlineData("10sec")]
    [InlineData("1d")]
    [InlineData("1h-1m")]
    [InlineData("ms")]
    [InlineData("10s ")]
    [InlineData("9223372036854775808ns")]
    [InlineData("3000000h")]
    [InlineData("00:00:10")]
    public void TryParse_InvalidText_ReturnsFalse(string? text)
    {
        Assert.False(GoDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "100ns")]
    [InlineData(15L, "1.5µs")]
    [InlineData(3_000L, "300µs")]
    [InlineData(5_000_000L, "500ms")]
    [InlineData(12_345L, "1.2345ms")]
    [InlineData(10_000_000L, "1s")]
    [InlineData(15_000_000L, "1.5s")]
    [InlineData(100_000_000L, "10s")]
    [InlineData(900_000_000L, "1m30s")]
    [InlineData(6_000_000_000L, "10m0s")]
    [InlineData(36_000_000_000L, "1h0m0s")]
    [InlineData(99_000_000_000L, "2h45m0s")]
    [InlineData(36_610_010_011L, "1h1m1.0010011s")]
    [InlineData(-15_000_000L, "-1.5s")]
    [InlineData(-5_000_000L, "-500ms")]
    public void Format_Duration_MatchesGoString(long ticks, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromTicks(ticks)));
    }

    [Theory]
    [InlineData("10m0s")]
    [InlineData("1m30s")]
    [InlineData("500ms")]
    [InlineData("2h45m0s")]
    [InlineData("1.5s")]
    [InlineData("300µs")]
    [InlineData("0s")]
    public void Format_ParsedCanonicalText_RoundTrips(string text)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(text, GoDuration.Format(value));
    }

    [Fact]
    public void Format_LargestTimeSpans_DoNotOverflow()
    {
        Assert.EndsWith("s", GoDuration.Format(TimeSpan.MaxValue), StringComparison.Ordinal);
        Assert.StartsWith("-", GoDuration.Format(TimeSpan.MinValue), StringComparison.Ordinal);
    }
}
