using System.Buffers;
using System.IO.Pipelines;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>
/// A pipe reader over fixed bytes that delivers them in exactly the chunk sizes a test chooses: every read adds
/// the next chunk to what is left unconsumed. Reads complete synchronously, so a pump over it runs deterministically.
/// </summary>
internal sealed class ChunkedPipeReader : PipeReader
{
    private readonly byte[] _data;
    private readonly Func<int> _nextChunk;
    private int _start;
    private int _end;
    private bool _cancelPending;

    public ChunkedPipeReader(byte[] data, Func<int> nextChunk)
    {
        _data = data;
        _nextChunk = nextChunk;
    }

    public int Reads { get; private set; }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) =>
        _start = consumed.GetInteger(); // positions of an array-backed sequence are indexes into the array

    public override void CancelPendingRead() => _cancelPending = true;

    public override void Complete(Exception? exception = null)
    {
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        TryRead(out var result);
        return ValueTask.FromResult(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        Reads++;
        var canceled = _cancelPending;
        _cancelPending = false;
        if (!canceled)
        {
            _end = Math.Min(_data.Length, _end + Math.Max(1, _nextChunk()));
        }

        result = new ReadResult(new ReadOnlySequence<byte>(_data, _start, _end - _start), canceled, isCompleted: _end == _data.Length);
        return true;
    }
}
