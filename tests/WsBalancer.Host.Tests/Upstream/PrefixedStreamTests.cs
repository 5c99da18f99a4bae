using Bogus;
using WsBalancer.Host.Upstream.Handshake;

namespace WsBalancer.Host.Tests.Upstream;

public sealed class PrefixedStreamTests
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
        await using var stream = new PrefixedStream(prefix, new MemoryStream(rest));

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
        await using var stream = new PrefixedStream(new byte[] { 1, 2, 3 }, new MemoryStream([4, 5, 6]));
        var buffer = new byte[16];

        var first = await stream.ReadAsync(buffer, ct);

        Assert.Equal([1, 2, 3], buffer[..first]);
    }

    [Fact]
    public async Task ReadAsync_ZeroLengthBuffer_PrefixKept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = new PrefixedStream(new byte[] { 9, 8 }, new MemoryStream());

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty, ct));
        var buffer = new byte[2];
        await stream.ReadExactlyAsync(buffer, ct);
        Assert.Equal([9, 8], buffer);
    }

    [Fact]
    public async Task ReadSync_PrefixThenInner()
    {
        using var stream = new PrefixedStream(new byte[] { 1 }, new MemoryStream([2]));
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
        await using var stream = new PrefixedStream(new byte[] { 1, 2 }, inner);

        await stream.WriteAsync(data.AsMemory(0, 10), ct);
        await stream.WriteAsync(data, 10, 10, ct);
        await stream.FlushAsync(ct);

        Assert.Equal(data, inner.ToArray());
    }

    [Fact]
    public async Task DisposeAsync_Always_DisposesInnerStream()
    {
        var inner = new MemoryStream();
        var stream = new PrefixedStream(new byte[] { 1 }, inner);

        await stream.DisposeAsync();

        Assert.False(inner.CanRead);
    }

    [Fact]
    public void Dispose_Always_DisposesInnerStream()
    {
        var inner = new MemoryStream();
        var stream = new PrefixedStream(new byte[] { 1 }, inner);

        stream.Dispose();

        Assert.False(inner.CanRead);
    }
}
