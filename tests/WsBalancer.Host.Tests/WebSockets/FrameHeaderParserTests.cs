using System.Buffers;
using System.Net.WebSockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class FrameHeaderParserTests
{
    private static readonly FrameRules FromClient = new(RequireMask: true, PerMessageDeflate: false);
    private static readonly FrameRules FromServer = new(RequireMask: false, PerMessageDeflate: false);
    private static readonly FrameRules FromClientDeflate = new(RequireMask: true, PerMessageDeflate: true);

    [Theory]
    [InlineData(0, 6)]
    [InlineData(125, 6)]
    [InlineData(126, 8)]
    [InlineData(65535, 8)]
    [InlineData(65536, 14)]
    [InlineData(200_000, 14)]
    public void TryParse_MaskedLengthEncodings_ReadsLengthKeyAndHeaderLength(int length, int headerLength)
    {
        var frame = TestFrames.Masked(0x2, new byte[length]);

        var status = FrameHeaderParser.TryParse(frame, FromClient, out var header, out _);

        Assert.Equal(FrameParseStatus.Header, status);
        Assert.Equal(new FrameHeader(true, 0, WsOpcode.Binary, true, length, BitConverter.ToUInt32(TestFrames.SampleKey), headerLength), header);
    }

    [Fact]
    public void TryParse_LengthAbove4GiB_ReadsAll64Bits()
    {
        byte[] frame = [0x82, 127, 0, 0, 0, 1, 0, 0, 0, 5];

        Assert.Equal(FrameParseStatus.Header, FrameHeaderParser.TryParse(frame, FromServer, out var header, out _));
        Assert.Equal((1L << 32) + 5, header.PayloadLength);
        Assert.Equal(10, header.HeaderLength);
        Assert.False(header.Masked);
    }

    [Fact]
    public void TryParse_EveryProperPrefix_NeedsMoreData()
    {
        var frame = TestFrames.Masked(0x1, new byte[70_000]);
        for (var length = 0; length < 14; length++)
        {
            Assert.Equal(FrameParseStatus.NeedMoreData, FrameHeaderParser.TryParse(frame.AsSpan(0, length), FromClient, out _, out _));
        }

        Assert.Equal(FrameParseStatus.Header, FrameHeaderParser.TryParse(frame.AsSpan(0, 14), FromClient, out _, out _));
    }

    [Fact]
    public void TryParse_HeaderSplitAcrossSegments_ParsesAsContiguous()
    {
        var frame = TestFrames.Masked(0x1, new byte[300], fin: false);
        for (var split = 1; split < 8; split++)
        {
            var sequence = TwoSegments(frame.AsMemory(0, split), frame.AsMemory(split, 8 - split));

            Assert.Equal(FrameParseStatus.Header, FrameHeaderParser.TryParse(sequence, FromClient, out var header, out _));
            Assert.Equal(300, header.PayloadLength);
            Assert.False(header.Fin);
            Assert.Equal(WsOpcode.Text, header.Opcode);
        }
    }

    [Fact]
    public void TryParse_Rsv1OnFirstDataFrameWithDeflate_IsAllowed()
    {
        var frame = TestFrames.Masked(0x1, "x"u8, rsv: 4);

        Assert.Equal(FrameParseStatus.Header, FrameHeaderParser.TryParse(frame, FromClientDeflate, out var header, out _));
        Assert.True(header.Rsv1);
    }

    public static TheoryData<string, byte[], bool, int> Violations() => new()
    {
        // name, frame, from a client?, expected close code
        { "opcode 3", TestFrames.Masked(0x3, ""u8), true, 1002 },
        { "opcode 4", TestFrames.Masked(0x4, "x"u8), true, 1002 },
        { "opcode 5", TestFrames.Masked(0x5, ""u8), true, 1002 },
        { "opcode 6", TestFrames.Masked(0x6, ""u8), true, 1002 },
        { "opcode 7", TestFrames.Masked(0x7, ""u8), true, 1002 },
        { "opcode 0xB", TestFrames.Masked(0xB, ""u8), true, 1002 },
        { "opcode 0xC", TestFrames.Masked(0xC, ""u8), true, 1002 },
        { "opcode 0xD", TestFrames.Masked(0xD, ""u8), true, 1002 },
        { "opcode 0xE", TestFrames.Masked(0xE, ""u8), true, 1002 },
        { "opcode 0xF", TestFrames.Masked(0xF, ""u8), true, 1002 },
        { "RSV1 without deflate", TestFrames.Masked(0x1, "x"u8, rsv: 4), true, 1002 },
        { "RSV2", TestFrames.Masked(0x1, "x"u8, rsv: 2), true, 1002 },
        { "RSV3", TestFrames.Masked(0x2, "x"u8, rsv: 1), true, 1002 },
        { "all RSV on a close", TestFrames.Masked(0x8, ""u8, rsv: 7), true, 1002 },
        { "RSV on a ping", TestFrames.Masked(0x9, ""u8, rsv: 6), true, 1002 },
        { "fragmented ping", TestFrames.Masked(0x9, "x"u8, fin: false), true, 1002 },
        { "fragmented pong", TestFrames.Masked(0xA, "x"u8, fin: false), true, 1002 },
        { "fragmented close", TestFrames.Masked(0x8, ""u8, fin: false), true, 1002 },
        { "ping of 126 bytes", TestFrames.Masked(0x9, new byte[126]), true, 1002 },
        { "close of 126 bytes", TestFrames.Masked(0x8, new byte[126]), true, 1002 },
        { "unmasked frame from a client", TestFrames.Build(0x1, "x"u8), true, 1002 },
        { "masked frame from a server", TestFrames.Masked(0x1, "x"u8), false, 1002 },
        { "125 bytes in 16 bits", TestFrames.Build(0x2, new byte[125], lengthBytes: 2), false, 1002 },
        { "0 bytes in 16 bits", TestFrames.Build(0x2, [], lengthBytes: 2), false, 1002 },
        { "65535 bytes in 64 bits", TestFrames.Build(0x2, new byte[65535], lengthBytes: 8), false, 1002 },
        { "126 bytes in 64 bits", TestFrames.Build(0x2, new byte[126], lengthBytes: 8), false, 1002 },
        { "64-bit length top bit", [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1], false, 1002 },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void TryParse_Violation_FailsWithItsCloseCode(string name, byte[] frame, bool fromClient, int closeCode)
    {
        var status = FrameHeaderParser.TryParse(frame, fromClient ? FromClient : FromServer, out _, out var error);

        Assert.True(status == FrameParseStatus.Error, name);
        Assert.Equal((WebSocketCloseStatus)closeCode, error.CloseStatus);
        Assert.False(string.IsNullOrEmpty(error.Reason));
    }

    [Theory]
    [InlineData(new byte[] { 0x83 }, true)]           // reserved opcode: the first byte tells
    [InlineData(new byte[] { 0xC1 }, true)]           // RSV1 without deflate
    [InlineData(new byte[] { 0x09 }, true)]           // fragmented ping
    [InlineData(new byte[] { 0x81, 0x05 }, true)]     // unmasked from a client: the second byte tells
    [InlineData(new byte[] { 0x89, 0xFE }, true)]     // ping with a 16-bit length
    [InlineData(new byte[] { 0x82, 0x7F, 0x80 }, false)] // 64-bit length, top bit: the third byte tells
    public void TryParse_ViolationInAPartialHeader_FailsOnTheByteThatShowsIt(byte[] prefix, bool fromClient)
    {
        Assert.Equal(FrameParseStatus.Error, FrameHeaderParser.TryParse(prefix, fromClient ? FromClient : FromServer, out _, out var error));
        Assert.Equal(WebSocketCloseStatus.ProtocolError, error.CloseStatus);
    }

    [Fact]
    public void TryParse_Rsv1OnControlOrContinuationWithDeflate_Fails()
    {
        Assert.Equal(FrameParseStatus.Error, FrameHeaderParser.TryParse(TestFrames.Masked(0x9, ""u8, rsv: 4), FromClientDeflate, out _, out _));
        Assert.Equal(FrameParseStatus.Error, FrameHeaderParser.TryParse(TestFrames.Masked(0x0, "x"u8, rsv: 4), FromClientDeflate, out _, out _));
    }

    private static ReadOnlySequence<byte> TwoSegments(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second)
    {
        var head = new Segment(first, 0);
        var tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, tail.Memory.Length);
    }

    internal sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
