using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using WsBalancer.Host.Admin;

namespace WsBalancer.Host.Tests.Admin;

/// <summary>The parameters of a paged GET /session/list: which requests get a page, and which get a 400 with a reason.</summary>
public sealed class SessionQueryTests
{
    private static QueryCollection Query(params (string Name, string[] Values)[] items) =>
        new(items.ToDictionary(i => i.Name, i => new StringValues(i.Values)));

    private static QueryCollection Query(string name, string value) => Query((name, [value]));

    [Fact]
    public void IsRequested_NoParameters_FalseSoTheAncestorsArrayIsAnswered()
    {
        Assert.False(SessionQuery.IsRequested(Query()));
        Assert.False(SessionQuery.IsRequested(Query("format", "json")));
    }

    [Theory]
    [InlineData("q")]
    [InlineData("backend")]
    [InlineData("offset")]
    [InlineData("limit")]
    public void IsRequested_AnyPagingParameter_True(string name)
    {
        Assert.True(SessionQuery.IsRequested(Query(name, "")));
    }

    [Fact]
    public void Parse_OnlyQ_DefaultPage()
    {
        var query = SessionQuery.Parse(Query("q", " chat "), out var error);

        Assert.Null(error);
        Assert.Equal(new SessionQuery("chat", null, 0, SessionQuery.DefaultLimit), query);
    }

    [Fact]
    public void Parse_EveryParameter_Read()
    {
        var query = SessionQuery.Parse(Query(("q", ["10.0.0"]), ("backend", ["blue"]), ("offset", ["1000"]), ("limit", ["500"])), out var error);

        Assert.Null(error);
        Assert.Equal(new SessionQuery("10.0.0", "blue", 1000, 500), query);
    }

    [Fact]
    public void Parse_BlankTextAndBackend_NoFilter()
    {
        var query = SessionQuery.Parse(Query(("q", ["  "]), ("backend", [""])), out _);

        Assert.Null(query!.Text);
        Assert.Null(query.Backend);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("501")]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void Parse_BadLimit_ErrorNamesLimitAndRange(string limit)
    {
        var query = SessionQuery.Parse(Query("limit", limit), out var error);

        Assert.Null(query);
        Assert.Equal($"limit '{limit}' must be a whole number from 1 to 500", error);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("x")]
    [InlineData("+3")]
    [InlineData("2147483648")]
    public void Parse_BadOffset_ErrorNamesOffset(string offset)
    {
        var query = SessionQuery.Parse(Query("offset", offset), out var error);

        Assert.Null(query);
        Assert.Equal($"offset '{offset}' must be a whole number from 0", error);
    }

    [Fact]
    public void Parse_ParameterGivenTwice_Error()
    {
        var query = SessionQuery.Parse(Query(("limit", ["5", "6"])), out var error);

        Assert.Null(query);
        Assert.Equal("limit given 2 times; give it once", error);
    }
}
