using System.IO.Pipelines;
using System.Net.Sockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>Frames the session writes itself, on a leg whose pump has ended (so the writer is free).</summary>
internal static class RelayFrames
{
    /// <summary>
    /// Reads (and drops) what a leg still sends until its connection ends, within <paramref name="timeout"/>: after our
    /// close, the peer closes the TCP connection first (RFC 6455 §7.1.1), so ours is not closed on bytes it has not read,
    /// which would reset it and could make the peer's kernel drop what it had not read yet.
    /// </summary>
    public static async Task AwaitEndAsync(PipeReader input, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(deadline.Token);
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException or InvalidOperationException)
        {
        }
    }

    /// <summary>Writes and flushes a close frame; false when the leg is gone or did not take it within <paramref name="timeout"/>.</summary>
    public static async Task<bool> TryCloseAsync(PipeWriter writer, bool masked, int code, string? reason, TimeSpan timeout)
    {
        try
        {
            FrameWriter.WriteClose(writer, WsMessageTypes.ToWireCloseStatus(code), WsMessageTypes.TrimCloseReason(reason), masked);
            using var deadline = new CancellationTokenSource(timeout);
            var flush = await writer.FlushAsync(deadline.Token);
            if (flush.IsCanceled)
            {
                // The pump that used this writer last was abandoned, which cancels the next flush when none is
                // pending: that was this one, and the close is still in the writer.
                flush = await writer.FlushAsync(deadline.Token);
            }

            return !flush.IsCompleted && !flush.IsCanceled;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException or InvalidOperationException)
        {
            // InvalidOperationException: the writer was completed (the leg is being torn down).
            return false;
        }
    }
}
