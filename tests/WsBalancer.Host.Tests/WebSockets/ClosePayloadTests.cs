using System.Buffers.Binary;
using System.Net.WebSockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class ClosePayloadTests
{
    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public void TryRead_ValidCode_ReturnsIt(int code)
    {
        Assert.True(ClosePayload.TryRead(Payload(code, "bye"u8), out var status, out var reason, out _));
        Assert.Equal((WebSocketCloseStatus)code, status);
        Assert.Equal("bye"u8.ToArray(), reason.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(1100)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void TryRead_InvalidCode_Fails1002(int code)
    {
        Assert.False(ClosePayload.TryRead(Payload(code, ""u8), out _, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.ProtocolError, error.CloseStatus);
    }

    [Fact]
    public void TryRead_Empty_IsNoStatus()
    {
        Assert.True(ClosePayload.TryRead([], out var status, out var reason, out _));
        Assert.Equal(WebSocketCloseStatus.Empty, status);
        Assert.True(reason.IsEmpty);
    }

    [Fact]
    public void TryRead_OneByte_Fails1002()
    {
        Assert.False(ClosePayload.TryRead([0x03], out _, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.ProtocolError, error.CloseStatus);
    }

    [Fact]
    public void TryRead_CodeOnlyAndLongestReason_AreValid()
    {
        Assert.True(ClosePayload.TryRead(Payload(1000, ""u8), out _, out var reason, out _));
        Assert.True(reason.IsEmpty);
        Assert.True(ClosePayload.TryRead(Payload(1000, new byte[123].AsSpan()), out _, out reason, out _));
        Assert.Equal(123, reason.Length);
    }

    [Theory]
    [InlineData("cebae1bdb9cf83cebcceb5eda080656469746564")]
    [InlineData("ff")]
    [InlineData("e282")] // truncated
    public void TryRead_ReasonNotUtf8_Fails1007(string reasonHex)
    {
        Assert.False(ClosePayload.TryRead(Payload(1000, Convert.FromHexString(reasonHex)), out _, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, error.CloseStatus);
    }

    private static byte[] Payload(int code, ReadOnlySpan<byte> reason)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        reason.CopyTo(payload.AsSpan(2));
        return payload;
    }
}
