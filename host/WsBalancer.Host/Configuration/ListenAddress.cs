using System.Globalization;
using System.Net;

namespace WsBalancer.Host.Configuration;

/// <summary>A Go-style listen address: <c>host:port</c>, where an empty host means every interface.</summary>
internal sealed record ListenAddress(string Host, int Port)
{
    /// <summary>Parses <c>:8080</c>, <c>127.0.0.1:8081</c>, <c>localhost:0</c>, <c>[::1]:9000</c>.</summary>
    /// <exception cref="FormatException">The text is not host:port with a port in 0–65535.</exception>
    public static ListenAddress Parse(string text)
    {
        if (!TryParse(text, out var address))
        {
            throw new FormatException($"'{text}' is not a listen address; expected host:port such as :8080 or 127.0.0.1:8081.");
        }

        return address;
    }

    public static bool TryParse(string? text, out ListenAddress address)
    {
        address = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        var host = text[..colon].Trim();
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        if (host.Length > 0 && !IsLocalhost(host) && !IPAddress.TryParse(host, out _) && Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            return false;
        }

        address = new ListenAddress(host, port);
        return true;
    }

    /// <summary>True when only this machine can reach the address.</summary>
    public bool IsLoopback => IsLocalhost(Host) || (IPAddress.TryParse(Host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>The addresses to bind: every interface for an empty host, loopback for localhost, else the resolved host.</summary>
    public IReadOnlyList<IPAddress> ResolveBindAddresses()
    {
        if (Host.Length == 0 || Host is "0.0.0.0" or "::")
        {
            return [IPAddress.IPv6Any];
        }

        if (IsLocalhost(Host))
        {
            return [IPAddress.Loopback];
        }

        return IPAddress.TryParse(Host, out var ip) ? [ip] : Dns.GetHostAddresses(Host);
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    private static bool IsLocalhost(string host) => host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
}
