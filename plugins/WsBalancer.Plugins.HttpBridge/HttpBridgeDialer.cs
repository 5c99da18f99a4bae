using System.Globalization;
using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>
/// Bridges WebSocket sessions to HTTP REST backends: a dial probes a backend URL, and every client message becomes a
/// POST whose response body is the reply. Configured under <c>plugins.HttpBridge.settings</c> (see the README).
/// </summary>
public sealed class HttpBridgeDialer : IBackendDialer, IDisposable
{
    private readonly HttpBridgeSettings _settings;
    private readonly BackendTarget[] _targets;
    private readonly BridgeHttp _http;
    private readonly ILogger _logger;
    private uint _cursor = uint.MaxValue;
    private long _connectionCounter;

    /// <summary>Creates the dialer from the plugin's settings.</summary>
    /// <param name="context">The plugin context the host gives.</param>
    /// <exception cref="ArgumentException">A setting is missing or invalid; the message names it.</exception>
    public HttpBridgeDialer(IPluginContext context)
        : this(context, TimeProvider.System)
    {
    }

    internal HttpBridgeDialer(IPluginContext context, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(time);
        _settings = HttpBridgeSettings.Parse(context);
        _logger = context.Logger;
        _targets = new BackendTarget[_settings.Urls.Count];
        for (var i = 0; i < _targets.Length; i++)
        {
            _targets[i] = new BackendTarget(_settings.Urls[i], time);
        }

        _http = new BridgeHttp(_settings, time);
    }

    /// <summary>
    /// Tries each backend URL at most once, in round robin from the next one, the URL of the connection being
    /// replaced last: 2xx to the probe connects, 3xx/4xx declines the client, 5xx or no answer in time tries the next.
    /// </summary>
    /// <inheritdoc />
    public async ValueTask<IBackendConnection> DialUpstreamAsync(BackendDialContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        var start = (int)(Interlocked.Increment(ref _cursor) % (uint)_targets.Length);
        var leaving = context.OldConnection?.BackendId;
        var headers = ForwardedHeaders.From(context.DestHeaders);
        SystemUnavailableException? last = null;
        // Two rounds: the first skips the backend the session is leaving (it just failed, or is being drained),
        // the second tries only that one, so a lone backend is still re-dialed.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < _targets.Length; i++)
            {
                var target = _targets[(start + i) % _targets.Length];
                if ((target.Id == leaving) != (round == 1))
                {
                    continue;
                }

                try
                {
                    return await DialAsync(target, context, headers, cancellationToken);
                }
                catch (SystemUnavailableException ex)
                {
                    last = ex;
                }
            }
        }

        throw new SystemUnavailableException(
            last?.Id ?? _targets[start].Id,
            last?.Code ?? 0,
            $"none of {_targets.Length} HTTP backend URL(s) could be used; last: {last?.Message}",
            last);
    }

    /// <summary>Releases the HTTP client and its pooled connections.</summary>
    public void Dispose() => _http.Dispose();

    private async Task<IBackendConnection> DialAsync(BackendTarget target, BackendDialContext context, ForwardedHeaders headers, CancellationToken cancellationToken)
    {
        Uri url;
        try
        {
            url = target.UrlFor(context.Url);
        }
        catch (UriFormatException ex)
        {
            // The client's request cannot be expressed to this backend: its fault, not the backend's.
            throw new ConnectionDeclinedException(target.Id, 400, $"request cannot be forwarded: {ex.Message}", ex);
        }

        HttpBridgeLog.Dialing(_logger, target.Id);
        foreach (var skipped in headers.Skipped)
        {
            HttpBridgeLog.HeaderSkipped(_logger, skipped, target.Id);
        }

        if (_settings.OpenMethod is { } method)
        {
            var (status, failure) = await _http.ProbeAsync(method, url, headers, cancellationToken);
            if (failure is null && status is >= 300 and < 500)
            {
                HttpBridgeLog.Declined(_logger, target.Id, status);
                throw new ConnectionDeclinedException(target.Id, status, $"HTTP backend {target.Id} declined with status {status}");
            }

            if (failure is not null || status is < 200 or >= 300)
            {
                var reason = failure ?? string.Create(CultureInfo.InvariantCulture, $"probe answered {status}");
                if (target.DialWarnings.TryEnter(out var suppressed))
                {
                    HttpBridgeLog.DialFailed(_logger, target.Id, status, reason, suppressed);
                }

                throw new SystemUnavailableException(target.Id, status, $"HTTP backend {target.Id}: {reason}");
            }
        }

        var id = string.Create(CultureInfo.InvariantCulture, $"{target.Id}.{Interlocked.Increment(ref _connectionCounter):x}");
        HttpBridgeLog.Connected(_logger, id, target.Id);
        return new HttpBridgeConnection(id, _http, target, url, headers, context, _settings, _logger);
    }
}
