using System.Text;
using Bogus;
using WsBalancer.Host.Upstream.Handshake;

namespace WsBalancer.Host.Tests.Upstream;

public sealed class HandshakeResponseTests
{
    private const string SwitchingProtocols = "HTTP/1.1 101 Switching Protocols\r\n";

    private readonly Faker _faker = new();

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")]
    public void FindEnd_CompleteHead_IndexJustPastBlankLine(string head)
    {
        Assert.Equal(head.Length, HandshakeResponse.FindEnd(Latin1(head)));
    }

    [Fact]
    public void FindEnd_HeadFollowedByFrameBytes_EndOfHeadNotOfData()
    {
        const string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        byte[] received = [.. Latin1(head), 0x81, 0x05, .. "hello"u8.ToArray(), .. "\r\n\r\n"u8.ToArray()];

        Assert.Equal(head.Length, HandshakeResponse.FindEnd(received));
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP/1.1 101 Switching Protocols")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r")]
    [InlineData("HTTP/1.1 101 Switching Protocols\n\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\n\r\n")]
    public void FindEnd_NoBlankLineYet_MinusOne(string received)
    {
        Assert.Equal(-1, HandshakeResponse.FindEnd(Latin1(received)));
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols", 101)]
    [InlineData("HTTP/1.1 101", 101)]
    [InlineData("HTTP/1.1 403 ", 403)]
    [InlineData("HTTP/1.1 302 Found", 302)]
    [InlineData("HTTP/1.1 503 Service Unavailable", 503)]
    [InlineData("HTTP/1.0 200 OK", 200)]
    public void Parse_StatusLine_StatusCode(string statusLine, int status)
    {
        var response = Parse($"{statusLine}\r\n\r\n");

        Assert.Equal(status, response.StatusCode);
        Assert.Empty(response.Headers);
    }

    [Theory]
    [InlineData("")]
    [InlineData("SSH-2.0-OpenSSH_9.6")]
    [InlineData("http/1.1 101 Switching Protocols")]
    [InlineData("HTTP/2 101 Switching Protocols")]
    [InlineData("HTTP/1.1 10 Short")]
    [InlineData("HTTP/1.1 1010 Long")]
    [InlineData("HTTP/1.1 101Switching")]
    [InlineData("HTTP/1.1  101 Switching Protocols")]
    [InlineData("HTTP/1.1 abc Letters")]
    [InlineData("HTTP/1.1 +01 Sign")]
    [InlineData("HTTP/1.1 -01 Sign")]
    [InlineData(" HTTP/1.1 101 Switching Protocols")]
    [InlineData("Upgrade: websocket")]
    public void Parse_BadStatusLine_ThrowsWithStatusZero(string statusLine)
    {
        var error = Assert.Throws<HandshakeException>(() => Parse($"{statusLine}\r\nUpgrade: websocket\r\n\r\n"));

        Assert.Equal(0, error.StatusCode);
    }

    [Fact]
    public void Parse_GeneratedHeaders_InOrderWithNamesAsSentAndValuesTrimmed()
    {
        var sent = Enumerable.Range(0, _faker.Random.Int(3, 10))
            .Select(i => new KeyValuePair<string, string>($"X-{_faker.Lorem.Word()}-{i}", _faker.Lorem.Sentence(4)))
            .ToList();
        var padding = new[] { string.Empty, " ", "  ", "\t", " \t " };
        var head = new StringBuilder(SwitchingProtocols);
        foreach (var (name, value) in sent)
        {
            head.Append(name).Append(':').Append(_faker.PickRandom(padding)).Append(value).Append(_faker.PickRandom(padding)).Append("\r\n");
        }

        var response = Parse(head.Append("\r\n").ToString());

        Assert.Equal(101, response.StatusCode);
        Assert.Equal(sent, response.Headers);
    }

    [Fact]
    public void Parse_SpecialValues_KeptVerbatim()
    {
        var response = Parse(SwitchingProtocols
            + "X-Empty:\r\n"
            + "X-Blank:   \r\n"
            + "X-Time: 12:34:56\r\n"
            + "X-Inner:  a  b\tc \r\n"
            + "X-Latin: caf\u00e9\r\n"
            + "\r\n");

        KeyValuePair<string, string>[] expected =
            [new("X-Empty", ""), new("X-Blank", ""), new("X-Time", "12:34:56"), new("X-Inner", "a  b\tc"), new("X-Latin", "caf\u00e9")];
        Assert.Equal(expected, response.Headers);
    }

    [Fact]
    public void Get_RepeatedField_ValuesJoinedInOrderCaseInsensitively()
    {
        var response = Parse(SwitchingProtocols + "X-Multi: one\r\nOther: x\r\nx-multi: two, three\r\nX-MULTI: four\r\n\r\n");

        Assert.Equal("one, two, three, four", response.Get("X-Multi"));
        Assert.Equal("one, two, three, four", response.Get("x-multi"));
        Assert.Equal("x", response.Get("OTHER"));
        Assert.Null(response.Get("Absent"));
        Assert.Null(response.Get("X-Mult"));
    }

    [Fact]
    public void Get_EmptyField_EmptyNotNull()
    {
        var response = Parse(SwitchingProtocols + "Sec-WebSocket-Protocol:\r\n\r\n");

        Assert.Equal(string.Empty, response.Get("Sec-WebSocket-Protocol"));
    }

    [Theory]
    [InlineData("Connection: Upgrade", "Connection", "upgrade", true)]
    [InlineData("connection: UPGRADE", "Connection", "upgrade", true)]
    [InlineData("Connection: keep-alive, Upgrade", "Connection", "upgrade", true)]
    [InlineData("Connection: keep-alive,upgrade ,close", "Connection", "upgrade", true)]
    [InlineData("Connection: keep-alive\r\nConnection: Upgrade", "Connection", "upgrade", true)]
    [InlineData("Connection: , ,Upgrade,", "Connection", "upgrade", true)]
    [InlineData("Upgrade: WebSocket", "Upgrade", "websocket", true)]
    [InlineData("Connection: keep-alive", "Connection", "upgrade", false)]
    [InlineData("Connection: upgraded", "Connection", "upgrade", false)]
    [InlineData("Connection: no-upgrade", "Connection", "upgrade", false)]
    [InlineData("Connection:", "Connection", "upgrade", false)]
    [InlineData("Upgrade: websocket/13", "Upgrade", "websocket", false)]
    [InlineData("X-Connection: Upgrade", "Connection", "upgrade", false)]
    public void HasToken_CommaLists_CaseInsensitiveWholeTokens(string fields, string name, string token, bool expected)
    {
        var response = Parse($"{SwitchingProtocols}{fields}\r\n\r\n");

        Assert.Equal(expected, response.HasToken(name, token));
    }

    [Theory]
    [InlineData(" continued")]
    [InlineData("\tcontinued")]
    [InlineData("X-Name : value")]
    [InlineData("X-Name\t: value")]
    [InlineData("X Name: value")]
    [InlineData(": no name")]
    [InlineData("no colon at all")]
    public void Parse_MalformedHeaderLine_ThrowsWithReplyStatus(string line)
    {
        var error = Assert.Throws<HandshakeException>(() => Parse($"{SwitchingProtocols}X-First: 1\r\n{line}\r\n\r\n"));

        Assert.Equal(101, error.StatusCode);
    }

    [Fact]
    public void Parse_MalformedHeaderLineInRefusal_KeepsRefusalStatus()
    {
        var error = Assert.Throws<HandshakeException>(() => Parse("HTTP/1.1 403 Forbidden\r\nX-Name : value\r\n\r\n"));

        Assert.Equal(403, error.StatusCode);
    }

    private static HandshakeResponse Parse(string head) => HandshakeResponse.Parse(Latin1(head));

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
}
