using System.Net;
using System.Net.Sockets;

namespace WsBalancer.Host.Http;

/// <summary>
/// What counts as one client when a limit is kept per remote address: an IPv4 address (also IPv4-mapped IPv6, as a
/// dual-mode listener reports IPv4 clients), or an IPv6 /64 network, which one host usually holds whole.
/// </summary>
internal static class RemoteAddressKey
{
    /// <summary>The key of a connection without an IP peer; no real address can have it.</summary>
    public const string Unknown = "unknown";

    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
