using WsBalancer.Host.Plugins;

namespace WsBalancer.Host.Tests.Plugins;

public sealed class SdkVersionRangeTests
{
    [Theory]
    [InlineData("1.1", "1.1.0", true)]
    [InlineData("1.1", "1.0.9", false)]
    [InlineData("1", "1.5.0", true)]
    [InlineData("[1.1,2.0)", "1.9.9", true)]
    [InlineData("[1.1,2.0)", "2.0.0", false)]
    [InlineData("(1.1,2.0]", "1.1.0", false)]
    [InlineData("(1.1,2.0]", "2.0.0", true)]
    [InlineData("[1.1]", "1.1.0", true)]
    [InlineData("[1.1]", "1.1.1", false)]
    [InlineData("[1.0,)", "9.0.0", true)]
    [InlineData("(,2.0)", "1.0.0", true)]
    [InlineData("[1.1.0.0,1.2)", "1.1.0", true)]
    public void Contains_Range_AsNuGetNotation(string range, string version, bool expected)
    {
        Assert.True(SdkVersionRange.TryParse(range, out var parsed));

        Assert.Equal(expected, parsed.Contains(Version.Parse(version)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("[1.0")]
    [InlineData("[,]")]
    [InlineData("(1.0)")]
    [InlineData("[a,b)")]
    public void TryParse_NotARange_False(string text)
    {
        Assert.False(SdkVersionRange.TryParse(text, out _));
    }
}
