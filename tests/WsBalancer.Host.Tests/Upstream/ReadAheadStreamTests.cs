using Bogus;
using WsBalancer.Host.Upstream.Handshake;

namespace WsBalancer.Host.Tests.Upstream;

public sealed class ReadAheadStreamTests
{
    private readonly Faker _faker = new();

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task ReadAsync_AnyBufferSize_PrefixThenInnerBytesInOrder(int bufferSize)
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = _faker.Random.Bytes(_faker.Random.Int(1, 50));
        var rest = _faker.Random.Bytes(_faker.Random.Int(1, 50));
        await using var stream = new ReadAheadStream(new MemoryStream(rest), prefix);

        var read = new List<byte>();
        var buffer = new byte[bufferSize];
        int count;
        while ((count = await stream.ReadAsync(buffer, ct)) > 0)
        {
            read.AddRange(buffer.AsSpan(0, count));
        }

        Assert.Equal([.. prefix, .. rest], read);
    }

    [Fact]
    public async Task ReadAsync_BufferLargerThanPrefix_NeverMixesPrefixWithInnerBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = new ReadAheadStream(new MemoryStream([4, 5, 6]), new byte[] { 1, 2, 3 });
        var buffer = new byte[16];

        var first = await stream.ReadAsync(buffer, ct);

        Assert.Equal([1, 2, 3], buffer[..first]);
    }

    [Fact]
    public async Task ReadAsync_ZeroLengthBuffer_PrefixKept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = new ReadAheadStream(new MemoryStream(), new byte[] { 9, 8 });

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty, ct));
        var buffer = new byte[2];
        await stream.ReadExactlyAsync(buffer, ct);
        Assert.Equal([9, 8], buffer);
    }

    [Fact]
    public async Task ReadSync_PrefixThenInner()
    {
        using var stream = new ReadAheadStream(new MemoryStream([2]), new byte[] { 1 });
        var buffer = new byte[4];

        Assert.Equal(1, stream.Read(buffer, 0, 4));
        Assert.Equal(1, buffer[0]);
        Assert.Equal(1, await stream.ReadAsync(buffer.AsMemory(1), TestContext.Current.CancellationToken));
        Assert.Equal(2, buffer[1]);
    }

    [Fact]
    public async Task WriteAsync_AnyBytes_GoToInnerStream()
    {
        var ct = TestContext.Current.CancellationToken;
        var inner = new MemoryStream();
        var data = _faker.Random.Bytes(20);
        await using var stream = new ReadAheadStream(inner, new byte[] { 1, 2 });

        await stream.WriteAsync(data.AsMemory(0, 10), ct);
        await stream.WriteAsync(data, 10, 10, ct);
        await stream.FlushAsync(ct);

        Assert.Equal(data, inner.ToArray());
    }

    [Fact]
    public async Task DisposeAsync_Always_DisposesInnerStream()
    {
        var inner = new MemoryStream();
        var stream = new ReadAheadStream(inner, new byte[] { 1 });

        await stream.DisposeAsync();

        Assert.False(inner.CanRead);
    }

    [Fact]
    public void Dispose_Always_DisposesInnerStream()
    {
        var inner = new MemoryStream();
        var stream = new ReadAheadStream(inner, new byte[] { 1 });

        stream.Dispose();

        Assert.False(inner.CanRead);
    }

    [Fact]
    public async Task ReadAsync_SmallReads_ServedFromOneInnerReadAfterAZeroByteWait()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = _faker.Random.Bytes(300);
        var inner = new RecordingStream(data);
        await using var stream = new ReadAheadStream(inner, ReadOnlySpan<byte>.Empty);

        var read = new byte[data.Length];
        for (var offset = 0; offset < data.Length; offset += 2)
        {
            Assert.Equal(2, await stream.ReadAsync(read.AsMemory(offset, 2), ct));
        }

        Assert.Equal(data, read);
        Assert.Equal([0, ReadAheadStream.ChunkBytes], inner.RequestedLengths);
    }

    [Fact]
    public async Task ReadAsync_ChunkSizedOrLarger_GoesStraightToInnerStream()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = _faker.Random.Bytes(3 * ReadAheadStream.ChunkBytes);
        var inner = new RecordingStream(data);
        await using var stream = new ReadAheadStream(inner, ReadOnlySpan<byte>.Empty);

        var buffer = new byte[2 * ReadAheadStream.ChunkBytes];
        var count = await stream.ReadAsync(buffer, ct);

        Assert.Equal(buffer.Length, count);
        Assert.Equal([buffer.Length], inner.RequestedLengths);
    }

    [Fact]
    public async Task ReadAsync_InnerAtEnd_ReturnsZero()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = new ReadAheadStream(new RecordingStream([]), ReadOnlySpan<byte>.Empty);

        Assert.Equal(0, await stream.ReadAsync(new byte[14], ct));
    }

    /// <summary>A readable stream over fixed bytes that records the length of every read asked of it.</summary>
    private sealed class RecordingStream(byte[] data) : MemoryStream(data)
    {
        public List<int> RequestedLengths { get; } = [];

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            RequestedLengths.Add(buffer.Length);
            return base.ReadAsync(buffer, cancellationToken);
        }
    }
}
