using System.Collections.Immutable;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Upstream.Handshake;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Upstream;

/// <summary>
/// The built-in upstream: round robin over enabled WebSocket backends, each behind a circuit breaker. It uses the
/// same SDK interfaces a plugin dialer would, and nothing else of the host.
/// </summary>
internal sealed partial class WebSocketUpstream : IBackendAdministrator
{
    private readonly IBackendStore? _store;
    private readonly IUpstreamObserver? _observer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxMessageBytes;
    private readonly TimeSpan _closeTimeout;
    private readonly Lock _writeGate = new();
    private readonly BackendTrust _trust;
    private readonly PipeBackendDialer _pipeDialer;
    private ImmutableArray<UpstreamBackend> _backends = [];
    private ImmutableArray<UpstreamBackend> _rotation = [];
    private uint _cursor = uint.MaxValue;
    private long _connectionCounter;

    public WebSocketUpstream(
        IEnumerable<InitialBackend> backends,
        IBackendStore? store,
        IUpstreamObserver? observer,
        ServerSettings server,
        BackendTrust trust,
        TimeProvider time,
        ILogger<WebSocketUpstream> logger)
    {
        _trust = trust;
        _pipeDialer = new PipeBackendDialer(trust);
        _store = store;
        _observer = observer;
        _time = time;
        _logger = logger;
        _maxMessageBytes = server.MaxMessageBytes;
        _closeTimeout = server.FailoverDrainTimeout;
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

    public async ValueTask<IBackendConnection> DialUpstreamAsync(BackendDialContext context, CancellationToken cancellationToken) =>
        await SelectAndDialAsync(context.OldConnection?.BackendId, backend => DialAsync(backend, context, cancellationToken));

    /// <summary>
    /// The frame relay's dial (an internal fast path beside the SDK's channel model): the same choice of backend,
    /// breaker, counters and failures as <see cref="DialUpstreamAsync"/>, but the leg is a pipe pair
    /// (<see cref="PipeBackendDialer"/>) that the session's relay reads and writes itself.
    /// </summary>
    /// <param name="requestUri">The client's request (path and query are forwarded).</param>
    /// <param name="headers">The headers to send (the reconnect header included on a re-dial).</param>
    /// <param name="leavingBackendId">On a re-dial, the backend the session leaves: tried last.</param>
    internal Task<RelayBackendLeg> DialRelayAsync(Uri requestUri, IReadOnlyDictionary<string, string[]> headers, string? leavingBackendId, CancellationToken cancellationToken) =>
        SelectAndDialAsync(leavingBackendId, backend => DialRelayAsync(backend, requestUri, headers, cancellationToken));

    private async Task<T> SelectAndDialAsync<T>(string? leaving, Func<UpstreamBackend, Task<T>> dial)
    {
        // Round robin over the enabled backends only, as the ancestor did, so disabling one shares its load evenly;
        // a drained backend is left out too.
        var backends = _rotation;
        if (backends.IsEmpty)
        {
            throw new SystemUnavailableException("upstream", 0, Backends.IsEmpty ? "no backend is configured" : "every backend is disabled");
        }

        var start = (int)(Interlocked.Increment(ref _cursor) % (uint)backends.Length);
        // A re-dial moves the session off the backend it is leaving when any other can take it: that backend
        // just failed, or an operator is draining it. It is still tried last, so a lone backend is re-dialed.
        SystemUnavailableException? last = null;
        var tried = 0;
        for (var i = 0; i <= backends.Length; i++)
        {
            var backend = i < backends.Length ? backends[(start + i) % backends.Length] : FindIn(backends, leaving);
            var isLeaving = backend is not null && backend.Id == leaving;
            // Checked again here: a drain or a disable may have begun since the rotation was read.
            if (backend is null || (isLeaving && i < backends.Length) || !backend.TakesSessions)
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
                return await dial(backend);
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

    private async Task<RelayBackendLeg> DialRelayAsync(UpstreamBackend backend, Uri requestUri, IReadOnlyDictionary<string, string[]> headers, CancellationToken cancellationToken)
    {
        var url = BackendUrl(backend, requestUri);
        UpstreamLog.Dialing(_logger, backend.Id, url);
        PipeBackendLeg leg;
        try
        {
            leg = await _pipeDialer.DialAsync(url, headers, backend.Settings.HandshakeTimeout, cancellationToken);
        }
        catch (Exception ex) when (DialFailure(backend, ex, cancellationToken) is { } failure)
        {
            throw failure;
        }

        var passHeaders = Connected(backend, leg.SkippedHeaders, leg.Response);
        return new RelayBackendLeg(NextConnectionId(backend), backend, leg, passHeaders);
    }

    private async Task<IBackendConnection> DialAsync(UpstreamBackend backend, BackendDialContext context, CancellationToken cancellationToken)
    {
        var url = BackendUrl(backend, context.Url);
        UpstreamLog.Dialing(_logger, backend.Id, url);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(backend.Settings.HandshakeTimeout);
        HandshakeOutcome outcome;
        try
        {
            outcome = await BackendHandshake.ConnectAsync(url, context.DestHeaders, backend.Settings.PingTime, _trust, handshake.Token);
        }
        catch (Exception ex) when (DialFailure(backend, ex, cancellationToken) is { } failure)
        {
            throw failure;
        }

        var passHeaders = Connected(backend, outcome.SkippedHeaders, outcome.Response);
        return new WebSocketBackendConnection(NextConnectionId(backend), outcome.Socket, backend, context, passHeaders, _maxMessageBytes, _closeTimeout, _logger);
    }

    /// <summary>The backend URL for the client's request; a request no backend URL can express is the client's fault (400).</summary>
    private static Uri BackendUrl(UpstreamBackend backend, Uri requestUri)
    {
        try
        {
            return backend.UrlFor(requestUri);
        }
        catch (UriFormatException ex)
        {
            // The client's fault, not the backend's, so the breaker's trial (if this was one) is handed back.
            backend.Breaker.Abandon();
            throw new ConnectionDeclinedException(backend.Id, 400, $"request cannot be forwarded: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// What a failed dial means: the client's fault (400), the caller's cancellation (null: rethrown as it is, the
    /// breaker's trial handed back), or the backend's failure (counted, breaker fed). Any other exception hands the
    /// trial back and is rethrown as it is.
    /// </summary>
    private Exception? DialFailure(UpstreamBackend backend, Exception ex, CancellationToken cancellationToken)
    {
        switch (ex)
        {
            case ArgumentException:
                backend.Breaker.Abandon();
                return new ConnectionDeclinedException(backend.Id, 400, $"request cannot be forwarded: {ex.Message}", ex);
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                backend.Breaker.Abandon();
                return null;
            case OperationCanceledException or TimeoutException or IOException or SocketException or AuthenticationException or WebSocketException:
                var timedOut = ex is OperationCanceledException or TimeoutException;
                var status = ex is HandshakeException handshakeFailure ? handshakeFailure.StatusCode : 0;
                return Failed(backend, status, timedOut ? "handshake timed out" : Describe(ex), timedOut, ex);
            default:
                backend.Breaker.Abandon();
                return null;
        }
    }

    /// <summary>A dial succeeded: closes the breaker, counts the connection, and picks the pass-headers.</summary>
    private IReadOnlyDictionary<string, string[]> Connected(UpstreamBackend backend, IReadOnlyList<string> skippedHeaders, HandshakeResponse response)
    {
        foreach (var skipped in skippedHeaders)
        {
            UpstreamLog.HeaderSkipped(_logger, skipped, backend.Id);
        }

        if (backend.Breaker.RecordSuccess())
        {
            UpstreamLog.BreakerClosed(_logger, backend.Id);
        }

        backend.ConnectionOpened();
        return PassHeaders(backend, response);
    }

    private string NextConnectionId(UpstreamBackend backend) =>
        string.Create(CultureInfo.InvariantCulture, $"{backend.Id}.{Interlocked.Increment(ref _connectionCounter):x}");

    private RemoteSystemException Failed(UpstreamBackend backend, int status, string reason, bool timedOut, Exception ex)
    {
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

    private static IReadOnlyDictionary<string, string[]> PassHeaders(UpstreamBackend backend, HandshakeResponse response)
    {
        if (!backend.HasPassHeaders)
        {
            return ImmutableDictionary<string, string[]>.Empty;
        }

        var passed = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in response.Headers)
        {
            if (backend.IsPassHeader(name))
            {
                if (!passed.TryGetValue(name, out var values))
                {
                    passed[name] = values = [];
                }

                values.Add(value);
            }
        }

        return passed.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
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
}
