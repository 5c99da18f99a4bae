using System.Buffers;
using System.Runtime.CompilerServices;

namespace WsBalancer.Host.Upstream.Handshake;

/// <summary>
/// The backend connection's read side, buffered only while bytes are flowing. The WebSocket reads a frame header
/// (a few bytes) and then its payload; unbuffered, that is two system calls per message, and pipelined messages
/// cannot share one. A small read first waits for data with a zero-byte read, then fills a pooled chunk with
/// whatever has arrived and serves reads from it; the chunk goes back to the pool as soon as it is drained, so an
/// idle connection holds none. Bytes read past the handshake reply start out as the first chunk. Writes go
/// straight through.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    /// <summary>Reads this large or larger skip the chunk: copying through it would gain nothing.</summary>
    public const int ChunkBytes = 4096;

    private readonly Stream _inner;
    private byte[]? _chunk;
    private int _start;
    private int _end;

    public ReadAheadStream(Stream inner, ReadOnlySpan<byte> alreadyRead)
    {
        _inner = inner;
        if (!alreadyRead.IsEmpty)
        {
            _chunk = ArrayPool<byte>.Shared.Rent(Math.Max(ChunkBytes, alreadyRead.Length));
            alreadyRead.CopyTo(_chunk);
            _end = alreadyRead.Length;
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_end > _start)
        {
            return ValueTask.FromResult(CopyOut(buffer.Span)); // a zero-byte read only asks whether data is there: it is
        }

        return buffer.Length == 0 || buffer.Length >= ChunkBytes
            ? _inner.ReadAsync(buffer, cancellationToken)
            : FillAndCopyAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FillAndCopyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        // Wait for data without holding a chunk. The count is 0 whether data arrived or the stream ended; the read below tells.
#pragma warning disable CA2022 // a zero-byte read is a wait, not an inexact read
        await _inner.ReadAsync(Memory<byte>.Empty, cancellationToken);
#pragma warning restore CA2022
        var chunk = _chunk ??= ArrayPool<byte>.Shared.Rent(ChunkBytes);
        var read = await _inner.ReadAsync(chunk.AsMemory(0, ChunkBytes), cancellationToken);
        _start = 0;
        _end = read;
        return CopyOut(buffer.Span);
    }

    private int CopyOut(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _end - _start);
        _chunk.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        if (_start == _end && _chunk is { } drained)
        {
            _chunk = null;
            _start = _end = 0;
            ArrayPool<byte>.Shared.Return(drained);
        }

        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // A chunk is not returned to the pool here: a read still in progress on another thread may be filling it.
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => _inner.DisposeAsync();
}
