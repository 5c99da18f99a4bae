using Bogus;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class WebSocketMaskTests
{
    [Fact]
    public void Apply_AnyLengthAndOffset_MatchesBytewiseXor()
    {
        var random = new Randomizer(5300);
        for (var length = 0; length <= 300; length++)
        {
            var data = random.Bytes(length);
            var keyBytes = random.Bytes(4);
            var key = BitConverter.ToUInt32(keyBytes);
            for (var offset = 0; offset < 8; offset++)
            {
                var expected = data.Select((b, i) => (byte)(b ^ keyBytes[(i + offset) % 4])).ToArray();

                var inPlace = data.ToArray();
                WebSocketMask.Apply(inPlace, key, offset);
                var copied = new byte[length + 3];
                WebSocketMask.Apply(data, copied, key, offset);

                Assert.Equal(expected, inPlace);
                Assert.Equal(expected, copied[..length]);
            }
        }
    }

    [Fact]
    public void Apply_InPieces_EqualsOnePass()
    {
        var random = new Randomizer(17);
        var data = random.Bytes(5000);
        var key = random.UInt();
        var whole = data.ToArray();
        WebSocketMask.Apply(whole, key, 0);

        var pieces = data.ToArray();
        var at = 0;
        while (at < pieces.Length)
        {
            var length = Math.Min(pieces.Length - at, random.Int(1, 97));
            WebSocketMask.Apply(pieces.AsSpan(at, length), key, at);
            at += length;
        }

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void Apply_WithOldXorNewKey_RekeysInOnePass()
    {
        var random = new Randomizer(99);
        var plain = random.Bytes(1029);
        var oldKey = random.UInt();
        var newKey = random.UInt();
        var underOld = plain.ToArray();
        WebSocketMask.Apply(underOld, oldKey, 0);
        var underNew = plain.ToArray();
        WebSocketMask.Apply(underNew, newKey, 0);

        WebSocketMask.Apply(underOld, oldKey ^ newKey, 0);

        Assert.Equal(underNew, underOld);
        WebSocketMask.Apply(underOld, newKey, 0);
        Assert.Equal(plain, underOld); // masking is its own inverse
    }

    [Fact]
    public void Apply_ShortDestination_Throws()
    {
        Assert.Throws<ArgumentException>(() => WebSocketMask.Apply(new byte[5], new byte[4], 1u, 0));
    }
}
