using WsBalancer.Host.Frontend;

namespace WsBalancer.Host.Tests.Frontend;

public sealed class ClientBlockPoolTests
{
    [Fact]
    public void Rent_AnySizeUpToTheBlock_WholePinnedBlock()
    {
        using var pool = new ClientBlockPool();

        using var small = pool.Rent(1);
        using var whole = pool.Rent(ClientBlockPool.BlockBytes);
        using var unspecified = pool.Rent();

        Assert.All([small, whole, unspecified], b => Assert.Equal(ClientBlockPool.BlockBytes, b.Memory.Length));
        Assert.Equal(ClientBlockPool.BlockBytes, pool.MaxBufferSize);
    }

    [Fact]
    public void Rent_MoreThanABlock_Throws()
    {
        using var pool = new ClientBlockPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(ClientBlockPool.BlockBytes + 1));
    }

    [Fact]
    public void ReturnedBlock_IsReused()
    {
        using var pool = new ClientBlockPool();
        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();

        using var second = pool.Rent();

        Assert.True(second.Memory.Span.Overlaps(memory.Span));
        Assert.Equal(0, pool.FreeBlocks);
    }

    [Fact]
    public void DisposedTwice_ReturnedOnce_NeverHandedToTwoRenters()
    {
        using var pool = new ClientBlockPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();

        using var a = pool.Rent();
        using var b = pool.Rent();

        Assert.False(a.Memory.Span.Overlaps(b.Memory.Span));
        Assert.Equal(0, pool.FreeBlocks);
    }

    [Fact]
    public void ManyReturned_AtMostTheBoundKept()
    {
        using var pool = new ClientBlockPool();
        var blocks = Enumerable.Range(0, ClientBlockPool.MaxRetainedBlocks + 100).Select(_ => pool.Rent()).ToList();

        Parallel.ForEach(blocks, b => b.Dispose());

        Assert.Equal(ClientBlockPool.MaxRetainedBlocks, pool.FreeBlocks);
    }

    [Fact]
    public void DisposedPool_RentThrows_ReturnsDropped()
    {
        var pool = new ClientBlockPool();
        var block = pool.Rent();
        pool.Dispose();

        block.Dispose();

        Assert.Equal(0, pool.FreeBlocks);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }
}
