using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>A message as the backend received it: exact type and bytes.</summary>
public sealed record ReceivedFrame(WebSocketMessageType Type, byte[] Data)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Data);
}

/// <summary>One connection accepted by a <see cref="TestBackend"/>.</summary>
public sealed class BackendConnection
{
    private readonly WebSocket _socket;
    private readonly Func<bool> _echo;
    private readonly Action _abort;
    private readonly ConcurrentQueue<ReceivedFrame> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lifetimeGate = new();
    private volatile bool _closing;
    private bool _finished;

    public BackendConnection(string backendName, WebSocket socket, string target, IReadOnlyDictionary<string, string> headers, string[] offeredSubprotocols, string? subprotocol, Func<bool> echo, Action abort)
    {
        BackendName = backendName;
        _socket = socket;
        Target = target;
        Headers = headers;
        OfferedSubprotocols = offeredSubprotocols;
        Subprotocol = subprotocol;
        _echo = echo;
        _abort = abort;
    }

    public string BackendName { get; }

    /// <summary>The request target (path and query) the backend was dialed with.</summary>
    public string Target { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public string[] OfferedSubprotocols { get; }

    public string? Subprotocol { get; }

    public IReadOnlyList<ReceivedFrame> Received => [.. _received];

    /// <summary>Messages that arrived after this backend started closing (it no longer echoes them).</summary>
    public ConcurrentQueue<ReceivedFrame> ReceivedWhileClosing { get; } = new();

    public Task Ended => _ended.Task;

    /// <summary>Runs when the balancer's close arrives, before this backend answers it (e.g. to send late replies).</summary>
    public Func<BackendConnection, Task>? BeforeCloseReply { get; set; }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    public async Task<ReceivedFrame> WaitForMessageAsync(int index, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (_received.Count <= index)
        {
            await _arrived.WaitAsync(timeout.Token);
        }

        return _received.ElementAt(index);
    }

    public async Task SendTextAsync(string text, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task CloseAsync(WebSocketCloseStatus code, string reason)
    {
        _closing = true;
        await _sendLock.WaitAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseOutputAsync(code, reason, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Drops the TCP connection. A no-op once the request has finished: Kestrel recycles its context.</summary>
    public void Abort()
    {
        lock (_lifetimeGate)
        {
            _closing = true;
            if (_finished)
            {
                return;
            }

            _abort();
            _socket.Abort();
        }
    }

    internal async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1024 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (BeforeCloseReply is { } beforeCloseReply)
                    {
                        await beforeCloseReply(this);
                    }

                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _sendLock.WaitAsync(cancellationToken);
                        try
                        {
                            await _socket.CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, _socket.CloseStatusDescription, cancellationToken);
                        }
                        finally
                        {
                            _sendLock.Release();
                        }
                    }

                    return;
                }

                var frame = new ReceivedFrame(result.MessageType, buffer[..count]);
                if (_closing)
                {
                    ReceivedWhileClosing.Enqueue(frame);
                    continue;
                }

                _received.Enqueue(frame);
                _arrived.Release();
                if (_echo())
                {
                    await _sendLock.WaitAsync(cancellationToken);
                    try
                    {
                        if (!_closing)
                        {
                            await _socket.SendAsync(frame.Data, frame.Type, true, cancellationToken);
                        }
                        else
                        {
                            ReceivedWhileClosing.Enqueue(frame); // taken but never answered: in flight inside a dying backend
                        }
                    }
                    finally
                    {
                        _sendLock.Release();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            lock (_lifetimeGate)
            {
                _finished = true;
            }

            _ended.TrySetResult();
        }
    }
}
