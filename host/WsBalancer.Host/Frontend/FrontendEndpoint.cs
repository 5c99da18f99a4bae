using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Sessions;
using WsBalancer.Host.Sessions.Relay;
using WsBalancer.Host.Upstream;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Frontend;

/// <summary>
/// Every request on the frontend listener: admission, then dial-first-then-accept (the client gets the backend's
/// subprotocol and pass-headers in its 101), then the session runs until it ends: relayed frame by frame when
/// nothing needs its messages (<see cref="RelayEligibility"/>), otherwise message by message.
/// </summary>
internal sealed class FrontendEndpoint
{
    private readonly FrontendState _state;
    private readonly UpstreamHeaders _headers;
    private readonly SessionServices _services;
    private readonly ServerSettings _settings;
    private readonly WebSocketUpstream _upstream;
    private readonly SessionAdmission _admission;
    private readonly ILogger _logger;

    public FrontendEndpoint(
        FrontendState state,
        ServerSettings settings,
        SessionServices services,
        WebSocketUpstream upstream,
        SessionAdmission admission,
        ILogger<FrontendEndpoint> logger)
    {
        _upstream = upstream;
        _admission = admission;
        _state = state;
        _settings = settings;
        _headers = new UpstreamHeaders(settings);
        _services = services;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (HandshakeCheck.Find(context) is { } problem)
        {
            await RefuseHandshakeAsync(context, problem);
            return;
        }

        if (_state.Draining)
        {
            FrontendLog.ShuttingDown(_logger);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, "balancer is shutting down");
            return;
        }

        if (_state.Paused)
        {
            FrontendLog.Paused(_logger);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, "frontend is paused");
            return;
        }

        if (_admission.TryAdmit(context.Connection.RemoteIpAddress, out var refusal) is not { } slot)
        {
            await RefuseAsync(context, refusal);
            return;
        }

        // The slot is given back however the session ends: dial failed, upgrade failed, session over, or a throw.
        using (slot)
        {
            await AdmittedAsync(context);
        }
    }

    /// <summary>An admitted upgrade: dial, accept, run the session until it ends.</summary>
    private async Task AdmittedAsync(HttpContext context)
    {
        var request = context.Request;
        var requestUri = RequestUri(context);
        var headers = _headers.Build(request.Headers, context.Connection.RemoteIpAddress);
        var lease = _services.Plugins.AcquireLease();
        var id = NewSessionId();
        if (RelayEligibility.Allows(_settings, lease.Snapshot, _upstream, _services.Scripts, requestUri.AbsolutePath)
            && PipeUpgrade.Check(context, _settings.Compression) == PipeUpgradeRefusal.None)
        {
            await RelayAsync(context, new RelaySession(id, requestUri, headers, _services, _upstream, lease), requestUri, headers);
            return;
        }

        var session = new BalancerSession(id, requestUri, headers, _services, lease);
        if (await DialAsync(context, session.DialFirstAsync) is not { } backend)
        {
            return;
        }

        WebSocket socket;
        try
        {
            foreach (var (name, values) in backend.AdditionalHeaders)
            {
                if (ResponseHeaders.CanWrite(name, values))
                {
                    context.Response.Headers[name] = values;
                }
                else
                {
                    // Kestrel would refuse it inside the upgrade; the session is worth more than one header.
                    FrontendLog.PassHeaderSkipped(_logger, name, backend.BackendId);
                }
            }

            socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = backend.Subprotocol,
                DangerousEnableCompression = _settings.Compression,
            });
        }
        catch (Exception ex) when (ex is IOException or WebSocketException or OperationCanceledException or InvalidOperationException)
        {
            await AcceptFailedAsync(context, session.Id, ex, session.AbandonAsync);
            return;
        }

        var client = new ClientLeg(
            session.Id,
            _state.Id,
            requestUri,
            headers.AsReadOnly(),
            RemoteAddress(context),
            session,
            session,
            socket,
            _settings.Frontend.WriteTimeout);
        await session.RunAsync(client, context.Features.Get<ClientReadActivity>(), context.RequestAborted);
    }

    /// <summary>The frame relay: dial, answer the upgrade on the connection's own pipes, relay until the session ends.</summary>
    private async Task RelayAsync(HttpContext context, RelaySession session, Uri requestUri, Dictionary<string, string[]> headers)
    {
        if (await DialAsync(context, session.DialFirstAsync) is not { } backend)
        {
            return;
        }

        PipeUpgradeResult upgrade;
        try
        {
            upgrade = await PipeUpgrade.UpgradeAsync(context, backend.Subprotocol, backend.AdditionalHeaders, _settings.Compression);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            await AcceptFailedAsync(context, session.Id, ex, session.AbandonAsync);
            return;
        }

        foreach (var skipped in upgrade.SkippedHeaders)
        {
            FrontendLog.PassHeaderSkipped(_logger, skipped, backend.BackendId);
        }

        var client = new RelayClient(session.Id, _state.Id, requestUri, headers.AsReadOnly(), RemoteAddress(context), session);
        await session.RunAsync(client, upgrade.Transport!, context.Abort, context.RequestAborted);
    }

    /// <summary>Dials the first backend leg; on failure answers the client (502, or the backend's refusal) and returns null.</summary>
    private async Task<T?> DialAsync<T>(HttpContext context, Func<CancellationToken, Task<T>> dial)
        where T : class
    {
        try
        {
            return await dial(context.RequestAborted);
        }
        catch (ConnectionDeclinedException ex)
        {
            FrontendLog.Declined(_logger, ex.Id, ex.Code);
            var status = ex.Code is >= 300 and < 500 ? ex.Code : StatusCodes.Status502BadGateway;
            await FailAsync(context, status, $"backend declined the connection ({ex.Code})");
        }
        catch (RemoteSystemException ex)
        {
            FrontendLog.NoBackend(_logger, context.Request.Path, ex.Message);
            await FailAsync(context, StatusCodes.Status502BadGateway, "no backend available");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A dialer (possibly a plugin) broke its contract: this client gets a 502, the balancer goes on.
            FrontendLog.DialerFailed(_logger, ex);
            await FailAsync(context, StatusCodes.Status502BadGateway, "no backend available");
        }

        return null;
    }

    private async Task RefuseAsync(HttpContext context, SessionRefusal refusal)
    {
        var (limit, reason) = refusal == SessionRefusal.AddressLimit
            ? (_admission.MaxSessionsPerAddress, "too many sessions from this address")
            : (_admission.MaxSessions, "session limit reached");
        FrontendLog.SessionRefused(_logger, RemoteAddress(context) ?? "unknown", refusal, limit);
        _services.Metrics.FrontendRefused(refusal);
        await FailAsync(context, StatusCodes.Status503ServiceUnavailable, $"{reason} (limit {limit.ToString(CultureInfo.InvariantCulture)})");
    }

    private Task RefuseHandshakeAsync(HttpContext context, HandshakeProblem problem)
    {
        if (problem.Reason == HandshakeCheck.NotAnUpgrade)
        {
            FrontendLog.NotWebSocket(_logger, context.Request.Path);
        }
        else
        {
            FrontendLog.BadHandshake(_logger, context.Request.Path, problem.Reason);
        }

        if (problem.VersionRequired)
        {
            context.Response.Headers.SecWebSocketVersion = HandshakeCheck.SupportedVersion; // RFC 6455 §4.4: the versions we speak
        }

        return FailAsync(context, problem.Status, problem.Reason);
    }

    private async Task AcceptFailedAsync(HttpContext context, string sessionId, Exception ex, Func<Task> abandon)
    {
        FrontendLog.AcceptFailed(_logger, sessionId, ex.Message);
        await abandon();
        if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // The upgrade was refused before anything was sent (e.g. a header Kestrel will not write): say so.
            await FailAsync(context, StatusCodes.Status502BadGateway, "the upgrade could not be completed");
        }
    }

    private static string? RemoteAddress(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : null;

    /// <summary>The client's request target exactly as sent (path and query), on the client-facing host.</summary>
    private static Uri RequestUri(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            target = context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        }

        var host = context.Request.Host.HasValue ? context.Request.Host.ToUriComponent() : "localhost";
        return Uri.TryCreate($"ws://{host}{target}", UriKind.Absolute, out var uri) ? uri : new Uri($"ws://localhost{target}");
    }

    private static string NewSessionId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static Task FailAsync(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { result = "failed", reason });
    }
}
