using System.Globalization;
using System.Net.Http.Headers;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>What a 3xx/4xx answer to a client message does.</summary>
internal enum ClientErrorPolicy
{
    /// <summary>The response body goes to the client as a reply would; the session goes on.</summary>
    Reply,

    /// <summary>The session ends with 1008 (policy violation).</summary>
    Close,
}

/// <summary>The validated settings under <c>plugins.&lt;Name&gt;.settings</c>; an invalid one fails the plugin's creation.</summary>
internal sealed class HttpBridgeSettings
{
    public const int DefaultMaxInFlight = 4;
    public const int MaxMaxInFlight = 64;
    public const int DefaultMaxResponseBytes = 4 * 1024 * 1024;
    public const int MaxMaxResponseBytes = 1024 * 1024 * 1024;
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    public const string DefaultTextContentType = "text/plain; charset=utf-8";
    public const string DefaultBinaryContentType = "application/octet-stream";
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(24);

    private static readonly string[] Known =
    [
        "url", "timeout", "max-in-flight", "open-method", "text-content-type", "binary-content-type",
        "max-response-bytes", "on-client-error",
    ];

    /// <summary>The backend base URLs, in round-robin order. Never empty.</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }

    /// <summary>Per request (the dial probe and each message's POST, body included). Default: 10 s.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>POSTs outstanding per session. Default: 4.</summary>
    public int MaxInFlight { get; init; } = DefaultMaxInFlight;

    /// <summary>The probe sent at dial time, or null for none. Default: HEAD.</summary>
    public HttpMethod? OpenMethod { get; init; } = HttpMethod.Head;

    /// <summary>The Content-Type of a POST carrying a text message.</summary>
    public string TextContentType { get; init; } = DefaultTextContentType;

    /// <summary>The Content-Type of a POST carrying a binary message.</summary>
    public string BinaryContentType { get; init; } = DefaultBinaryContentType;

    /// <summary>The largest response body read, in bytes. Default: 4 MiB.</summary>
    public int MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    public ClientErrorPolicy OnClientError { get; init; } = ClientErrorPolicy.Reply;

    /// <summary>Reads and checks every setting; throws naming the first bad key, its value and what is expected.</summary>
    /// <exception cref="ArgumentException">A setting is missing, unknown or invalid.</exception>
    public static HttpBridgeSettings Parse(IPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var prefix = $"plugins.{context.PluginName}.settings.";
        var settings = new Dictionary<string, string>(context.Settings.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in context.Settings)
        {
            if (Array.IndexOf(Known, key.ToLowerInvariant()) < 0)
            {
                throw new ArgumentException($"{prefix}{key}: unknown setting; expected one of {string.Join(", ", Known)}");
            }

            settings[key] = value.Trim();
        }

        string? Get(string key) => settings.TryGetValue(key, out var value) && value.Length > 0 ? value : null;
        ArgumentException Bad(string key, string value, string expected) => new($"{prefix}{key}='{value}': expected {expected}");

        return new HttpBridgeSettings
        {
            Urls = ParseUrls(Get("url") ?? throw new ArgumentException(
                $"{prefix}url is required: one or more comma-separated http:// or https:// base URLs"), Bad),
            Timeout = Get("timeout") is { } timeout
                ? GoDuration.TryParse(timeout, out var parsed) && parsed > TimeSpan.Zero && parsed <= MaxTimeout
                    ? parsed
                    : throw Bad("timeout", timeout, "a duration such as 500ms, 10s or 1m30s, above 0 and at most 24h")
                : DefaultTimeout,
            MaxInFlight = Get("max-in-flight") is { } maxInFlight
                ? ParseInt(maxInFlight, 1, MaxMaxInFlight) ?? throw Bad("max-in-flight", maxInFlight, $"an integer from 1 to {MaxMaxInFlight}")
                : DefaultMaxInFlight,
            OpenMethod = Get("open-method") is { } method
                ? method.ToUpperInvariant() switch
                {
                    "HEAD" => HttpMethod.Head,
                    "GET" => HttpMethod.Get,
                    "NONE" => null,
                    _ => throw Bad("open-method", method, "HEAD, GET or none"),
                }
                : HttpMethod.Head,
            TextContentType = Get("text-content-type") is { } textType
                ? MediaTypeHeaderValue.TryParse(textType, out _) ? textType : throw Bad("text-content-type", textType, "a media type such as text/plain; charset=utf-8")
                : DefaultTextContentType,
            BinaryContentType = Get("binary-content-type") is { } binaryType
                ? MediaTypeHeaderValue.TryParse(binaryType, out _) ? binaryType : throw Bad("binary-content-type", binaryType, "a media type such as application/octet-stream")
                : DefaultBinaryContentType,
            MaxResponseBytes = Get("max-response-bytes") is { } maxBytes
                ? ParseInt(maxBytes, 1, MaxMaxResponseBytes) ?? throw Bad("max-response-bytes", maxBytes, $"an integer number of bytes from 1 to {MaxMaxResponseBytes}")
                : DefaultMaxResponseBytes,
            OnClientError = Get("on-client-error") is { } onClientError
                ? onClientError.ToLowerInvariant() switch
                {
                    "reply" => ClientErrorPolicy.Reply,
                    "close" => ClientErrorPolicy.Close,
                    _ => throw Bad("on-client-error", onClientError, "reply or close"),
                }
                : ClientErrorPolicy.Reply,
        };
    }

    private static List<Uri> ParseUrls(string value, Func<string, string, string, ArgumentException> bad)
    {
        const string Expected = "comma-separated absolute http:// or https:// base URLs without user info, query or fragment";
        var urls = new List<Uri>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            // The client's path and query are appended to the base, so a base with its own query or fragment
            // could not be joined; user info would end up in logs and is not how HttpClient authenticates.
            if (!Uri.TryCreate(part, UriKind.Absolute, out var url)
                || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                || url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
            {
                throw bad("url", part, Expected);
            }

            urls.Add(url);
        }

        return urls;
    }

    private static int? ParseInt(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max ? parsed : null;
}
