using System.Text;
using WsBalancer.Host.AdminPage;

namespace WsBalancer.Host.Tests.Admin;

/// <summary>ETags of the web page's files and the If-None-Match test behind the 304.</summary>
public sealed class EntityTagTests
{
    private static readonly string Tag = EntityTag.Of("<!doctype html>"u8);

    [Fact]
    public void Of_SameContent_SameQuotedTag()
    {
        Assert.Equal(Tag, EntityTag.Of(Encoding.UTF8.GetBytes("<!doctype html>")));
        Assert.Matches("^\"[0-9a-f]{32}\"$", Tag);
    }

    [Fact]
    public void Of_OtherContent_OtherTag()
    {
        Assert.NotEqual(Tag, EntityTag.Of("<!doctype html> "u8));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("\"0123\"")]
    [InlineData("W/\"0123\", \"4567\"")]
    public void Matches_OtherOrNoTag_False(string? header)
    {
        Assert.False(EntityTag.Matches(header, Tag));
    }

    [Fact]
    public void Matches_TheTagPlainWeakInAListOrStar_True()
    {
        Assert.True(EntityTag.Matches(Tag, Tag));
        Assert.True(EntityTag.Matches($"W/{Tag}", Tag));
        Assert.True(EntityTag.Matches($"\"0123\", {Tag} ,W/\"x\"", Tag));
        Assert.True(EntityTag.Matches("*", Tag));
    }

    [Fact]
    public void Matches_TagWithoutQuotes_False()
    {
        Assert.False(EntityTag.Matches(Tag.Trim('"'), Tag));
    }
}
