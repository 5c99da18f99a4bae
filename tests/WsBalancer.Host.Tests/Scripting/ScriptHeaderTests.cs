using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Tests.Scripting;

public sealed class ScriptHeaderTests
{
    [Fact]
    public void Parse_NoHeader_MatchesEverythingActiveDropOnErrorDefaultLimits()
    {
        var header = ScriptHeader.Parse("function beforeTransmit(m) {}\n", ScriptLimits.Default);

        Assert.Empty(header.Match);
        Assert.False(header.Shadow);
        Assert.Equal(ScriptErrorAction.Drop, header.OnError);
        Assert.Same(ScriptLimits.Default, header.Limits);
        Assert.True(header.Matches("/anything/at/all"));
    }

    [Fact]
    public void Parse_FullHeader_EveryKeyRead()
    {
        var header = ScriptHeader.Parse("""
            // A filter for chargers.
            // @match /ocpp/*
            // @match /v2/**
            // @mode shadow
            // @on-error close
            // @timeout 10ms
            // @max-statements 500
            // @max-memory 1MiB
            // @max-recursion-depth 8
            // @regex-timeout 2ms
            // @max-message-size 64KiB

            'use strict';
            // @mode active   (after the first statement: not a header any more)
            """, ScriptLimits.Default);

        Assert.Equal(["/ocpp/*", "/v2/**"], header.Match.Select(m => m.Pattern));
        Assert.True(header.Shadow);
        Assert.Equal(ScriptErrorAction.Close, header.OnError);
        Assert.Equal(TimeSpan.FromMilliseconds(10), header.Limits.Timeout);
        Assert.Equal(500, header.Limits.MaxStatements);
        Assert.Equal(1024 * 1024, header.Limits.MaxMemoryBytes);
        Assert.Equal(8, header.Limits.MaxRecursionDepth);
        Assert.Equal(TimeSpan.FromMilliseconds(2), header.Limits.RegexTimeout);
        Assert.Equal(64 * 1024, header.Limits.MaxMessageBytes);
    }

    [Theory]
    [InlineData("/ocpp/*", "/ocpp/CP001", true)]
    [InlineData("/ocpp/*", "/ocpp/CP001/x", false)]
    [InlineData("/ocpp/*", "/ocpp", false)]
    [InlineData("/ocpp/**", "/ocpp/a/b/c", true)]
    [InlineData("/ws/cp?", "/ws/cp1", true)]
    [InlineData("/ws/cp?", "/ws/cp12", false)]
    [InlineData("/a.b", "/aXb", false)]
    public void Matches_Glob_AsDocumented(string glob, string path, bool expected)
    {
        var header = ScriptHeader.Parse($"// @match {glob}\n", ScriptLimits.Default);

        Assert.Equal(expected, header.Matches(path));
    }

    [Theory]
    [InlineData("// @mode loud", 1, "@mode 'loud': expected active or shadow")]
    [InlineData("\n// @on-error explode", 2, "@on-error 'explode': expected drop, pass or close")]
    [InlineData("// @match ocpp", 1, "@match 'ocpp': expected a path glob")]
    [InlineData("// @timeout 1h", 1, "@timeout '1h': expected a duration from 1ms to 10s")]
    [InlineData("// @max-memory 1GiB", 1, "@max-memory '1GiB': expected a size from 64KiB to 256MiB")]
    [InlineData("// @max-message-size 1TiB", 1, "@max-message-size '1TiB': expected a size from 1B to 256MiB")]
    [InlineData("// @frobnicate yes", 1, "unknown header @frobnicate")]
    public void Parse_BadHeader_ThrowsWithLine(string source, int line, string message)
    {
        var error = Assert.Throws<ScriptHeaderException>(() => ScriptHeader.Parse(source, ScriptLimits.Default));

        Assert.Equal(line, error.Line);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }
}
