using System.IO.Pipelines;
using System.Net.Sockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>Frames the session writes itself, on a leg whose pump has ended (so the writer is free).</summary>
internal static class RelayFrames
{
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
