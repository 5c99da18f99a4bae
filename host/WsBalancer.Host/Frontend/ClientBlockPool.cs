using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace WsBalancer.Host.Frontend;

/// <summary>
/// The memory Kestrel's socket transport reads client bytes into and writes them from, on the frontend listener:
/// pinned blocks of <see cref="BlockBytes"/> instead of Kestrel's 4 KiB ones.
/// </summary>
/// <remarks>
/// Why: one receive fills at most one block, so with 4 KiB blocks a 64 KiB client message took 16 receives (and as many
/// flushes to the backend) where HAProxy, with its 16 KiB buffers, takes 4; small messages still share a block. Only a
/// read in progress or bytes not yet sent hold a block: an idle connection waits with a zero-byte read and holds none
/// (<c>WaitForDataBeforeAllocatingBuffer</c>), so idle memory does not grow with the block size. The blocks are pinned
/// (allocated on the pinned object heap), so a socket operation does not pin them each time, and the pool keeps at
/// most <see cref="MaxRetainedBlocks"/> free ones: a burst beyond that allocates, and its blocks go to the GC after.
/// </remarks>
internal sealed class ClientBlockPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new ClientBlockPool();
}

/// <summary>A pool of pinned blocks of one size, keeping a bounded number of free ones.</summary>
internal sealed class ClientBlockPool : MemoryPool<byte>
{
    /// <summary>Each block's size: the backend leg reads in blocks of the same size.</summary>
    public const int BlockBytes = 16 * 1024;

    /// <summary>Free blocks kept for reuse (8 MiB); more come back only in a burst, and are let go.</summary>
    public const int MaxRetainedBlocks = 512;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;
    private volatile bool _disposed;

    public override int MaxBufferSize => BlockBytes;

    /// <summary>Free blocks held now (for tests and diagnostics).</summary>
    public int FreeBlocks => Volatile.Read(ref _freeCount);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockBytes);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Lease();
            return block;
        }

        return new Block(this);
    }

    private void Return(Block block)
    {
        if (_disposed)
        {
            return; // dropped: the GC takes it
        }

        // Counted before it is queued, so that concurrent returns never keep more than the bound.
        if (Interlocked.Increment(ref _freeCount) > MaxRetainedBlocks)
        {
            Interlocked.Decrement(ref _freeCount);
            return;
        }

        _free.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _free.Clear();
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly ClientBlockPool _pool;
        private int _leased = 1;

        public Block(ClientBlockPool pool)
        {
            _pool = pool;
            // Created over a pinned array, the memory's Pin() costs nothing: no handle per socket operation.
            Memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BlockBytes, pinned: true), 0, BlockBytes);
        }

        public Memory<byte> Memory { get; }

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            // A second dispose must not put the block in the pool twice: two renters would then share it.
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                _pool.Return(this);
            }
        }
    }
}
