using Bogus;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Sdk;

public sealed class WsMessageTests
{
    private readonly Faker _faker = new();

    [Fact]
    public void Text_RoundTripsUtf8()
    {
        var text = _faker.Lorem.Sentence() + " ✓ 日本";

        var message = WsMessage.Text(text);

        Assert.Equal(WsMessageType.Text, message.Type);
        Assert.Equal(text, message.GetText());
        Assert.Equal(text, message.ToString());
        Assert.False(message.IsControl);
    }

    [Fact]
    public void Binary_KeepsBytesAndDescribesSize()
    {
        var bytes = _faker.Random.Bytes(37);

        var message = WsMessage.Binary(bytes);

        Assert.Equal(bytes, message.Data.ToArray());
        Assert.Equal("37 bytes", message.ToString());
        Assert.False(message.IsControl);
    }

    [Theory]
    [InlineData(WsMessageType.Close)]
    [InlineData(WsMessageType.Ping)]
    [InlineData(WsMessageType.Pong)]
    [InlineData(WsMessageType.RemoteConnectionNormalClosure)]
    [InlineData(WsMessageType.RemoteConnectionAbnormalClosure)]
    public void IsControl_TrueForAllButTextAndBinary(WsMessageType type) =>
        Assert.True(new WsMessage(type, ReadOnlyMemory<byte>.Empty).IsControl);

    [Fact]
    public void NormalClosure_CarriesCodeAndReason()
    {
        var reason = _faker.Lorem.Word();

        var closure = WsMessage.NormalClosure(4001, reason);

        Assert.Equal(WsMessageType.RemoteConnectionNormalClosure, closure.Type);
        Assert.Equal((4001, reason), closure.GetCloseStatus());
    }

    [Fact]
    public void GetCloseStatus_EmptyPayload_Is1005()
    {
        Assert.Equal((1005, string.Empty), WsMessage.AbnormalClosure().GetCloseStatus());
    }

    [Theory]
    [InlineData(999)]
    [InlineData(5000)]
    public void NormalClosure_CodeOutOfRange_Throws(int code) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WsMessage.NormalClosure(code, null));
}
