using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.WebSockets;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Upstream;

/// <summary>
/// One live leg to a backend over a client-side <see cref="WebSocket"/>: a write loop (Receive → backend) and a read
/// loop (backend → Send), with the closure rules of the SDK contract.
/// </summary>
internal sealed class WebSocketBackendConnection : IBackendConnection, IUpstreamConnection
{
    private static readonly IReadOnlyList<WsMessage> NoMessages = [];

    private readonly WebSocket _socket;
    private readonly UpstreamBackend _backend;
    private readonly ChannelReader<WsMessage> _receive;
    private readonly ChannelWriter<WsMessage> _send;
    private readonly int _maxMessageBytes;
    private readonly TimeSpan _closeTimeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _writerStop = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _unsentGate = new();
    private List<WsMessage>? _unsent;
    private Task _writeLoop = Task.CompletedTask;
    private Task _readLoop = Task.CompletedTask;
    private Task? _closing;
    private int _started;
    private int _deadlineArmed;
    private int _released;

    public WebSocketBackendConnection(
        string id,
        WebSocket socket,
        UpstreamBackend backend,
        BackendDialContext context,
        IReadOnlyDictionary<string, string[]> additionalHeaders,
        int maxMessageBytes,
        TimeSpan closeTimeout,
        ILogger logger)
    {
        Id = id;
        _socket = socket;
        _backend = backend;
        _receive = context.Receive;
        _send = context.Send;
        AdditionalHeaders = additionalHeaders;
        _maxMessageBytes = maxMessageBytes;
        _closeTimeout = closeTimeout;
        _logger = logger;
    }

    public string Id { get; }

    public string BackendId => _backend.Id;

    public UpstreamBackend Backend => _backend;

    public string? Subprotocol => _socket.SubProtocol;

    public IReadOnlyDictionary<string, string[]> AdditionalHeaders { get; }

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        _writeLoop = Task.Run(WriteLoopAsync);
        _readLoop = Task.Run(ReadLoopAsync);
        _ = ReleaseAfterLoopsAsync();
    }

    public IReadOnlyList<WsMessage> TakeUnsent()
    {
        lock (_unsentGate)
        {
            var unsent = _unsent;
            _unsent = null;
            return unsent ?? NoMessages;
        }
    }

    /// <summary>
    /// Stops consuming Receive (waiting for a write in progress), then sends a normal close. The read loop keeps
    /// delivering the backend's last messages until its close arrives or <c>closeTimeout</c> passes.
    /// </summary>
    public ValueTask CloseAsync()
    {
        lock (_unsentGate)
        {
            _closing ??= CloseCoreAsync(WebSocketCloseStatus.NormalClosure, null);
        }

        return new ValueTask(_closing);
    }

    private async Task CloseCoreAsync(WebSocketCloseStatus status, string? reason)
    {
        if (Volatile.Read(ref _started) == 0)
        {
            // Dialed but never started (the client left during the handshake): nothing to drain.
            Interlocked.Exchange(ref _started, 1);
            _socket.Abort();
            Release();
            return;
        }

        await StopWritingAsync();
        await CloseOutputAsync(status, reason);
        ArmCloseDeadline();
    }

    private async Task StopWritingAsync()
    {
        _writerStop.Cancel();
        if (await Task.WhenAny(_writeLoop, Task.Delay(_closeTimeout)) != _writeLoop)
        {
            // A write stuck on a backend that stopped reading: aborting fails it, and the message goes to unsent.
            _socket.Abort();
            await _writeLoop;
        }
    }

    private async Task CloseOutputAsync(WebSocketCloseStatus status, string? reason)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_closeTimeout);
            await _socket.CloseOutputAsync(status, WsMessageTypes.TrimCloseReason(reason), timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            _socket.Abort();
        }
    }

    /// <summary>Once a close is sent, the backend has <c>closeTimeout</c> to answer it before the socket is aborted.</summary>
    private void ArmCloseDeadline()
    {
        if (Interlocked.Exchange(ref _deadlineArmed, 1) == 0)
        {
            _ = EnforceCloseDeadlineAsync();
        }
    }

    private async Task EnforceCloseDeadlineAsync()
    {
        if (await Task.WhenAny(_readLoop, Task.Delay(_closeTimeout)) != _readLoop)
        {
            UpstreamLog.CloseTimedOut(_logger, Id, BackendId);
            _lifetime.Cancel();
            _socket.Abort();
        }
    }

    private async Task ReleaseAfterLoopsAsync()
    {
        try
        {
            await Task.WhenAll(_writeLoop, _readLoop);
        }
        finally
        {
            // Whatever ended the loops, the connection is counted out and its socket freed exactly once.
            Release();
        }
    }

    private async Task WriteLoopAsync()
    {
        WsMessage? inFlight = null;
        try
        {
            while (await _receive.WaitToReadAsync(_writerStop.Token))
            {
                while (!_writerStop.IsCancellationRequested && _receive.TryRead(out inFlight))
                {
                    if (inFlight.Type == WsMessageType.RemoteConnectionNormalClosure)
                    {
                        // The client is gone: pass its close on and stop consuming; the read loop collects the reply.
                        var (code, reason) = inFlight.GetCloseStatus();
                        inFlight = null;
                        _writerStop.Cancel();
                        await CloseOutputAsync(WsMessageTypes.ToWireCloseStatus(code), reason);
                        ArmCloseDeadline();
                        return;
                    }

                    if (!inFlight.IsControl)
                    {
                        await _socket.SendAsync(inFlight.Data, inFlight.Type.ToSocketType(), endOfMessage: true, CancellationToken.None);
                    }

                    inFlight = null;
                }
            }
        }
        catch (OperationCanceledException) when (_writerStop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or ChannelClosedException or OperationCanceledException)
        {
            UpstreamLog.WriteFailed(_logger, Id, BackendId, ex.Message);
            // The read loop sees the same broken transport and reports the abnormal closure.
            _socket.Abort();
        }
        catch (Exception ex)
        {
            // A fault barrier: a bug here must cost this leg (the session fails over), not the process.
            UpstreamLog.LoopFailed(_logger, Id, BackendId, ex);
            _socket.Abort();
        }
        finally
        {
            if (inFlight is not null)
            {
                lock (_unsentGate)
                {
                    (_unsent ??= []).Add(inFlight);
                }
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var receiver = new MessageReceiver(_socket, _backend.Settings.ReadBufferSize, _maxMessageBytes);
        WsMessage closure;
        try
        {
            while (true)
            {
                // No token: a cancellable receive registers a callback per call; the close deadline aborts the socket instead.
                var received = await receiver.ReceiveAsync(CancellationToken.None);
                if (received.Status == ReceiveStatus.Message)
                {
                    await _send.WriteAsync(received.Message!, _lifetime.Token);
                    continue;
                }

                if (received.Status == ReceiveStatus.TooBig)
                {
                    UpstreamLog.MessageTooBig(_logger, Id, BackendId, _maxMessageBytes);
                    _writerStop.Cancel();
                    await CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big");
                    closure = WsMessage.NormalClosure((int)WebSocketCloseStatus.MessageTooBig, "backend message too big");
                    break;
                }

                // The backend closed. Stop writing at once: whatever is not yet on the wire stays unsent for the successor.
                _writerStop.Cancel();
                var code = (int?)_socket.CloseStatus ?? 1005;
                closure = _backend.IsAbnormalClose(code)
                    ? WsMessage.AbnormalClosure()
                    : WsMessage.NormalClosure(code, _socket.CloseStatusDescription);
                UpstreamLog.BackendClosed(_logger, Id, BackendId, code, _backend.IsAbnormalClose(code));
                await CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null);
                break;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _writerStop.Cancel();
            UpstreamLog.TransportLost(_logger, Id, BackendId, ex.Message);
            closure = WsMessage.AbnormalClosure();
        }
        catch (ChannelClosedException)
        {
            // The session is over and no longer listens.
            _writerStop.Cancel();
            _socket.Abort();
            return;
        }
        catch (Exception ex)
        {
            UpstreamLog.LoopFailed(_logger, Id, BackendId, ex);
            _writerStop.Cancel();
            _socket.Abort();
            closure = WsMessage.AbnormalClosure();
        }

        try
        {
            // Unbounded wait is safe: the session completes this channel when it stops listening.
            await _send.WriteAsync(closure, CancellationToken.None);
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>Runs once, after both loops are over: counts the connection closed and frees the socket.</summary>
    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return;
        }

        _backend.ConnectionClosed();
        _socket.Dispose();
    }
}
