using System.Globalization;
using System.Net;
using System.Text;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>The HTTP side of the bridge: one pooled client per dialer, the dial probe and the per-message POST.</summary>
internal sealed class BridgeHttp : IDisposable
{
    private readonly HttpClient _client;
    private readonly HttpBridgeSettings _settings;
    private readonly TimeProvider _time;
    private readonly string _timeoutText;

    public BridgeHttp(HttpBridgeSettings settings, TimeProvider time)
    {
        _settings = settings;
        _time = time;
        _timeoutText = string.Create(CultureInfo.InvariantCulture, $"timed out after {settings.Timeout.TotalMilliseconds}ms");
        var handler = new SocketsHttpHandler
        {
            // A 3xx at dial is the backend's answer to the client; following it would hide that.
            AllowAutoRedirect = false,
            // Recycled so that a backend name that moves to a new address is picked up (DNS) within minutes.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = settings.Timeout,
            // One handler serves every session: a shared cookie jar would hand one client's cookies to another.
            UseCookies = false,
            // Backends are addressed directly; an environment proxy would surprise an operator of a reverse proxy.
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            // Kestrel gives the host header values decoded from UTF-8; this hands the backend the client's own bytes.
            RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Sends the dial probe; the status, or a failure reason when there was no answer in time.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<(int Status, string? Failure)> ProbeAsync(HttpMethod method, Uri url, ForwardedHeaders headers, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_settings.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        using var request = new HttpRequestMessage(method, url);
        headers.CopyTo(request.Headers);
        try
        {
            // Headers only: a GET probe's body is of no use, and disposing the response ends it.
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            return ((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return (0, _timeoutText);
        }
        catch (HttpRequestException ex)
        {
            return ((int?)ex.StatusCode ?? 0, Describe(ex));
        }
    }

    /// <summary>POSTs one message and reads the answer; every way it can end is an <see cref="ExchangeOutcome"/>.</summary>
    /// <param name="stop">Cancelled when the connection no longer wants the answer.</param>
    public async Task<ExchangeOutcome> PostAsync(Uri url, ForwardedHeaders headers, WsMessage message, CancellationToken stop)
    {
        using var deadline = new CancellationTokenSource(_settings.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stop);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(message.Data) };
        request.Content.Headers.TryAddWithoutValidation(
            "Content-Type", message.Type == WsMessageType.Text ? _settings.TextContentType : _settings.BinaryContentType);
        headers.CopyTo(request.Headers);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            if (status is < 200 or >= 500)
            {
                return new ExchangeOutcome(ExchangeStatus.Failed, status, null, string.Create(CultureInfo.InvariantCulture, $"backend answered {status}"));
            }

            var body = await ReplyBody.ReadAsync(response.Content, _settings.MaxResponseBytes, linked.Token);
            if (body is null)
            {
                return new ExchangeOutcome(ExchangeStatus.TooBig, status, null, "response too big");
            }

            var notUtf8 = false;
            var reply = body.Length == 0 ? null : ReplyBody.ToMessage(body, response.Content.Headers.ContentType, out notUtf8);
            return new ExchangeOutcome(status < 300 ? ExchangeStatus.Answered : ExchangeStatus.Rejected, status, reply, null) { NotUtf8 = notUtf8 };
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return new ExchangeOutcome(ExchangeStatus.Failed, 0, null, "cancelled");
        }
        catch (OperationCanceledException)
        {
            return new ExchangeOutcome(ExchangeStatus.Failed, 0, null, _timeoutText);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or ObjectDisposedException)
        {
            // ObjectDisposedException: the dialer was disposed under a live connection (the host unloading the plugin).
            return new ExchangeOutcome(ExchangeStatus.Failed, 0, null, Describe(ex));
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The outer message plus the innermost cause ("An error occurred…: Connection refused").</summary>
    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message}: {inner.Message}";
    }
}
