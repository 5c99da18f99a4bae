using System.Diagnostics;
using System.Net.WebSockets;
using WsBalancer.Host.WebSockets;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// The client side of a session: the accepted server WebSocket. Sends are serialized (a WebSocket allows one at a
/// time) and each is bounded by the frontend write timeout, past which the client is dropped as too slow.
/// Plugins see the session's live figures (<see cref="ISessionDetails"/>) and end it (<see cref="ISessionControl"/>) through this leg.
/// </summary>
internal sealed class ClientLeg : IFrontendConnection, ISessionDetails, ISessionControl
{
    private readonly ISessionDetails _details;
    private readonly ISessionControl _control;
    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TimeSpan _writeTimeout;
    private long _sendStartedAt;
    private int _closeSent;

    public ClientLeg(string id, string frontendId, Uri requestUri, IReadOnlyDictionary<string, string[]> headers, string? remoteAddress, ISessionDetails details, ISessionControl control, WebSocket socket, TimeSpan writeTimeout)
    {
        _details = details;
        _control = control;
        Id = id;
        FrontendId = frontendId;
        RequestUri = requestUri;
        Headers = headers;
        RemoteAddress = remoteAddress;
        _socket = socket;
        _writeTimeout = writeTimeout;
    }

    public string Id { get; }

    public string FrontendId { get; }

    public Uri RequestUri { get; }

    public IReadOnlyDictionary<string, string[]> Headers { get; }

    public string? RemoteAddress { get; }

    public DateTimeOffset StartedAt => _details.StartedAt;

    public long MessagesReceived => _details.MessagesReceived;

    public long MessagesSent => _details.MessagesSent;

    public int Reconnects => _details.Reconnects;

    public string? EndReason => _details.EndReason;

    public void Close(int code, string? reason) => _control.Close(code, reason);

    public WebSocket Socket => _socket;

    public bool CloseSent => Volatile.Read(ref _closeSent) == 1;

    /// <summary>The session drives this leg itself; there is nothing to start.</summary>
    public void Start()
    {
    }

    /// <summary>Closes the client normally (1000).</summary>
    public ValueTask CloseAsync() => new(CloseAsync(1000, null));

    /// <summary>
    /// Sends one message; throws the socket's exceptions. The write timeout is enforced from outside by
    /// <see cref="SlowClientWatchdog"/> (it aborts the socket), so a send arms no timer and registers no token.
    /// </summary>
    public async ValueTask SendAsync(WsMessage message)
    {
        await _sendLock.WaitAsync();
        try
        {
            Volatile.Write(ref _sendStartedAt, Stopwatch.GetTimestamp());
            await _socket.SendAsync(message.Data, message.Type.ToSocketType(), endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            Volatile.Write(ref _sendStartedAt, 0);
            _sendLock.Release();
        }
    }

    /// <summary>True when a send has been in progress for longer than the write timeout.</summary>
    public bool IsSendOverdue(long now)
    {
        var started = Volatile.Read(ref _sendStartedAt);
        return started != 0 && Stopwatch.GetElapsedTime(started, now) > _writeTimeout;
    }

    /// <summary>Sends a close frame once; later calls and a broken socket are ignored.</summary>
    public async Task CloseAsync(int code, string? reason)
    {
        if (Interlocked.Exchange(ref _closeSent, 1) == 1)
        {
            return;
        }

        await _sendLock.WaitAsync();
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(_writeTimeout);
                await _socket.CloseOutputAsync(WsMessageTypes.ToWireCloseStatus(code), WsMessageTypes.TrimCloseReason(reason), timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            _socket.Abort();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Abort() => _socket.Abort();
}
