using System.Globalization;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>One configured base URL: its id and its warning gates.</summary>
internal sealed class BackendTarget
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);
    private readonly string _baseUrl;

    public BackendTarget(Uri baseUrl, TimeProvider time)
    {
        _baseUrl = baseUrl.OriginalString.TrimEnd('/');
        // Host and port stay readable in logs and metrics; IPv6 literals keep their brackets.
        Id = string.Create(CultureInfo.InvariantCulture, $"{baseUrl.Host}-{baseUrl.Port}");
        DialWarnings = new WarningGate(time, WarningInterval);
        RequestWarnings = new WarningGate(time, WarningInterval);
    }

    public string Id { get; }

    public WarningGate DialWarnings { get; }

    public WarningGate RequestWarnings { get; }

    /// <summary>The backend URL for a client request: base URL + the client's path and query, as the built-in dialer joins them.</summary>
    /// <exception cref="UriFormatException">The client's path and query cannot form a URL.</exception>
    public Uri UrlFor(Uri clientRequest)
    {
        var pathAndQuery = clientRequest.IsAbsoluteUri ? clientRequest.PathAndQuery : clientRequest.OriginalString;
        return new Uri(_baseUrl + pathAndQuery);
    }
}
