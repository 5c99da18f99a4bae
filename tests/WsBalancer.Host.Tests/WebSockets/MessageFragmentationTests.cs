using System.Net.WebSockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class MessageFragmentationTests
{
    private const long Unlimited = long.MaxValue;

    [Fact]
    public void TryStartFrame_FragmentedText_TracksTheMessageUntilItsFinalFrame()
    {
        var state = new MessageFragmentation();

        Assert.True(state.TryStartFrame(Header(WsOpcode.Text, fin: false, 3), Unlimited, out var starts, out _));
        Assert.True(starts);
        Assert.True(state.InMessage);
        Assert.True(state.IsText);
        Assert.True(state.TryStartFrame(Header(WsOpcode.Continuation, fin: false, 3), Unlimited, out starts, out _));
        Assert.False(starts);
        Assert.True(state.TryStartFrame(Header(WsOpcode.Continuation, fin: true, 0), Unlimited, out _, out _));
        Assert.False(state.InMessage);
        Assert.True(state.TryStartFrame(Header(WsOpcode.Binary, fin: true, 1), Unlimited, out starts, out _));
        Assert.True(starts);
        Assert.False(state.IsText);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TryStartFrame_ContinuationWithoutAMessage_Fails1002(bool fin)
    {
        var state = new MessageFragmentation();

        Assert.False(state.TryStartFrame(Header(WsOpcode.Continuation, fin, 1), Unlimited, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.ProtocolError, error.CloseStatus);
    }

    [Fact]
    public void TryStartFrame_ContinuationAfterACompletedMessage_Fails1002()
    {
        var state = new MessageFragmentation();
        Assert.True(state.TryStartFrame(Header(WsOpcode.Text, fin: true, 1), Unlimited, out _, out _));

        Assert.False(state.TryStartFrame(Header(WsOpcode.Continuation, fin: true, 1), Unlimited, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.ProtocolError, error.CloseStatus);
    }

    [Theory]
    [InlineData(0x1)]
    [InlineData(0x2)]
    public void TryStartFrame_NewDataFrameInsideAFragmentedMessage_Fails1002(int opcode)
    {
        var state = new MessageFragmentation();
        Assert.True(state.TryStartFrame(Header(WsOpcode.Text, fin: false, 1), Unlimited, out _, out _));

        Assert.False(state.TryStartFrame(Header((WsOpcode)opcode, fin: true, 1), Unlimited, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.ProtocolError, error.CloseStatus);
    }

    [Fact]
    public void TryStartFrame_SizeLimit_CountsAcrossFragmentsAndFailsOnTheFrameThatExceedsIt()
    {
        var state = new MessageFragmentation();
        Assert.True(state.TryStartFrame(Header(WsOpcode.Binary, fin: false, 60), 100, out _, out _));
        Assert.True(state.TryStartFrame(Header(WsOpcode.Continuation, fin: false, 40), 100, out _, out _)); // exactly the limit

        Assert.False(state.TryStartFrame(Header(WsOpcode.Continuation, fin: true, 1), 100, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, error.CloseStatus);
    }

    [Fact]
    public void TryStartFrame_SizeLimit_ResetsForEachMessage()
    {
        var state = new MessageFragmentation();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(state.TryStartFrame(Header(WsOpcode.Text, fin: true, 100), 100, out _, out _));
        }

        Assert.False(state.TryStartFrame(Header(WsOpcode.Text, fin: true, long.MaxValue), 100, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, error.CloseStatus);
    }

    [Fact]
    public void TryStartFrame_Rsv1OnFirstFrame_MarksTheWholeMessageCompressed()
    {
        var state = new MessageFragmentation();
        Assert.True(state.TryStartFrame(Header(WsOpcode.Text, fin: false, 1) with { Rsv = 4 }, Unlimited, out _, out _));
        Assert.True(state.TryStartFrame(Header(WsOpcode.Continuation, fin: true, 1), Unlimited, out _, out _));
        Assert.True(state.IsCompressed);

        Assert.True(state.TryStartFrame(Header(WsOpcode.Text, fin: true, 1), Unlimited, out _, out _));
        Assert.False(state.IsCompressed);
    }

    private static FrameHeader Header(WsOpcode opcode, bool fin, long length) => new(fin, 0, opcode, true, length, 0x01020304, 6);
}
