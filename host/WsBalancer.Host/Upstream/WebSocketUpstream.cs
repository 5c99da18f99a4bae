using System.Collections.Immutable;
using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Upstream;

/// <summary>
/// The built-in upstream: round robin over enabled WebSocket backends, each behind a circuit breaker. It uses the
/// same SDK interfaces a plugin dialer would, and nothing else of the host.
/// </summary>
internal sealed partial class WebSocketUpstream : IBackendAdministrator, IDisposable
{
    private readonly IBackendStore? _store;
    private readonly IUpstreamObserver? _observer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxMessageBytes;
    private readonly TimeSpan _closeTimeout;
    private readonly HttpMessageInvoker _invoker;
    private readonly Lock _writeGate = new();
    private ImmutableArray<UpstreamBackend> _backends = [];
    private ImmutableArray<UpstreamBackend> _rotation = [];
    private uint _cursor = uint.MaxValue;
    private long _connectionCounter;

    public WebSocketUpstream(
        IEnumerable<InitialBackend> backends,
        IBackendStore? store,
        IUpstreamObserver? observer,
        ServerSettings server,
        TimeProvider time,
        ILogger<WebSocketUpstream> logger)
    {
        _store = store;
        _observer = observer;
        _time = time;
        _logger = logger;
        _maxMessageBytes = server.MaxMessageBytes;
        _closeTimeout = server.FailoverDrainTimeout;

        // One handler for every dial: each upgrade takes its own connection, but the handler's settings are shared.
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
        });
        foreach (var initial in backends)
        {
            var backend = new UpstreamBackend(initial.Settings, time);
            backend.SetEnabled(initial.Enabled);
            _backends = _backends.Add(backend);
        }

        PublishRotation();
    }

    /// <summary>The current backends, in round-robin order.</summary>
    // A single-reference struct: reads and writes are atomic; writers are serialized by _writeGate.
    public ImmutableArray<UpstreamBackend> Backends => _backends;

    public async ValueTask<IBackendConnection> DialUpstreamAsync(BackendDialContext context, CancellationToken cancellationToken)
    {
        // Round robin over the enabled backends only, as the ancestor did, so disabling one shares its load evenly.
        var backends = _rotation;
        if (backends.IsEmpty)
        {
            throw new SystemUnavailableException("upstream", 0, Backends.IsEmpty ? "no backend is configured" : "every backend is disabled");
        }

        var start = (int)(Interlocked.Increment(ref _cursor) % (uint)backends.Length);
        // A re-dial moves the session off the backend it is leaving when any other can take it: that backend
        // just failed, or an operator is draining it. It is still tried last, so a lone backend is re-dialed.
        var leaving = context.OldConnection?.BackendId;
        SystemUnavailableException? last = null;
        var tried = 0;
        for (var i = 0; i <= backends.Length; i++)
        {
            var backend = i < backends.Length ? backends[(start + i) % backends.Length] : FindIn(backends, leaving);
            var isLeaving = backend is not null && backend.Id == leaving;
            if (backend is null || (isLeaving && i < backends.Length) || !backend.Enabled)
            {
                continue;
            }

            if (!backend.Breaker.TryAcquire())
            {
                _observer?.DialFailed(backend.Id, "circuit_open");
                continue;
            }

            tried++;
            try
            {
                return await DialAsync(backend, context, cancellationToken);
            }
            catch (SystemUnavailableException ex)
            {
                last = ex;
            }
        }

        var reason = tried == 0
            ? "no enabled backend with a closed circuit"
            : $"none of {tried} backend(s) could be reached; last: {last?.Message}";
        throw new SystemUnavailableException("upstream", last?.Code ?? 0, reason, last);
    }

    private async Task<IBackendConnection> DialAsync(UpstreamBackend backend, BackendDialContext context, CancellationToken cancellationToken)
    {
        ClientWebSocket socket;
        Uri url;
        try
        {
            url = backend.UrlFor(context.Url);
            socket = CreateSocket(backend, context.DestHeaders);
        }
        catch (Exception ex) when (ex is ArgumentException or UriFormatException)
        {
            // The client's request cannot be expressed to a backend (an invalid subprotocol or path): its fault,
            // not the backend's, so the breaker's trial (if this was one) is handed back.
            backend.Breaker.Abandon();
            throw new ConnectionDeclinedException(backend.Id, 400, $"request cannot be forwarded: {ex.Message}", ex);
        }

        UpstreamLog.Dialing(_logger, backend.Id, url);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(backend.Settings.HandshakeTimeout);
        try
        {
            await socket.ConnectAsync(url, _invoker, handshake.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            backend.Breaker.Abandon();
            throw;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException or IOException)
        {
            var timedOut = ex is OperationCanceledException;
            throw Failed(backend, socket, timedOut ? "handshake timed out" : Describe(ex), timedOut, ex);
        }
        catch
        {
            socket.Dispose();
            backend.Breaker.Abandon();
            throw;
        }

        if (backend.Breaker.RecordSuccess())
        {
            UpstreamLog.BreakerClosed(_logger, backend.Id);
        }

        var passHeaders = PassHeaders(backend, socket);
        socket.HttpResponseHeaders = null; // the rest of the response headers are not needed for the connection's lifetime
        backend.ConnectionOpened();
        var id = string.Create(CultureInfo.InvariantCulture, $"{backend.Id}.{Interlocked.Increment(ref _connectionCounter):x}");
        return new WebSocketBackendConnection(id, socket, backend, context, passHeaders, _maxMessageBytes, _closeTimeout, _logger);
    }

    private RemoteSystemException Failed(UpstreamBackend backend, ClientWebSocket socket, string reason, bool timedOut, Exception ex)
    {
        var status = (int)socket.HttpStatusCode;
        socket.Dispose();
        _observer?.DialFailed(backend.Id, status is >= 300 and < 500 ? "declined" : timedOut ? "timeout" : "unavailable");
        if (status is >= 300 and < 500)
        {
            // The backend is alive and chose to refuse this client: not a failure of the backend.
            if (backend.Breaker.RecordSuccess())
            {
                UpstreamLog.BreakerClosed(_logger, backend.Id);
            }

            UpstreamLog.Declined(_logger, backend.Id, status);
            return new ConnectionDeclinedException(backend.Id, status, $"backend {backend.Id} declined with status {status}", ex);
        }

        backend.DialFailed();
        UpstreamLog.DialFailed(_logger, backend.Id, status, reason);
        if (backend.Breaker.RecordFailure())
        {
            UpstreamLog.BreakerOpened(_logger, backend.Id, backend.Breaker.ConsecutiveFailures);
        }

        return new SystemUnavailableException(backend.Id, status, $"backend {backend.Id}: {reason}", ex);
    }

    private ClientWebSocket CreateSocket(UpstreamBackend backend, IReadOnlyDictionary<string, string[]> headers)
    {
        var socket = new ClientWebSocket();
        var options = socket.Options;
        options.CollectHttpResponseDetails = true;
        options.KeepAliveInterval = backend.Settings.PingTime;
        // With a timeout set the socket sends real pings (not unsolicited pongs) and drops a backend that stops answering.
        options.KeepAliveTimeout = backend.Settings.PingTime;
        options.SetBuffer(backend.Settings.ReadBufferSize, backend.Settings.WriteBufferSize);
        foreach (var (name, values) in headers)
        {
            if (name.Equals(WsHeaders.Subprotocol, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var value in values)
                {
                    foreach (var protocol in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        options.AddSubProtocol(protocol);
                    }
                }

                continue;
            }

            try
            {
                options.SetRequestHeader(name, values.Length == 1 ? values[0] : string.Join(", ", values));
            }
            catch (ArgumentException)
            {
                UpstreamLog.HeaderSkipped(_logger, name, backend.Id);
            }
        }

        return socket;
    }

    private static IReadOnlyDictionary<string, string[]> PassHeaders(UpstreamBackend backend, ClientWebSocket socket)
    {
        if (!backend.HasPassHeaders || socket.HttpResponseHeaders is null)
        {
            return ImmutableDictionary<string, string[]>.Empty;
        }

        var passed = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in socket.HttpResponseHeaders)
        {
            if (backend.IsPassHeader(name))
            {
                passed[name] = [.. values];
            }
        }

        return passed;
    }

    /// <summary>The outer message plus the innermost cause ("Unable to connect…: Connection refused").</summary>
    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message}: {inner.Message}";
    }

    private static UpstreamBackend? FindIn(ImmutableArray<UpstreamBackend> backends, string? id)
    {
        foreach (var backend in backends)
        {
            if (backend.Id == id)
            {
                return backend;
            }
        }

        return null;
    }

    public void Dispose() => _invoker.Dispose();
}
