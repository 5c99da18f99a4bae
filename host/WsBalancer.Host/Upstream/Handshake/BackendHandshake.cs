using System.Buffers;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace WsBalancer.Host.Upstream.Handshake;

/// <summary>What a successful backend handshake yields.</summary>
internal sealed record HandshakeOutcome(WebSocket Socket, HandshakeResponse Response, IReadOnlyList<string> SkippedHeaders);

/// <summary>
/// Opens a WebSocket to a backend: TCP (and TLS for wss://), the RFC 6455 opening handshake, then the runtime's
/// WebSocket over the bare connection stream.
/// </summary>
/// <remarks>
/// The balancer holds one backend connection per session for hours. An HTTP client connection would keep its own
/// read and write buffers (8 KiB) and request objects alive for that whole time and add a stream layer to every
/// message; over the socket's own stream (read ahead only while bytes flow) an idle leg holds no buffer at all.
/// </remarks>
internal static class BackendHandshake
{
    private const int FirstReadBytes = 1024;
    private const int MaxReplyBytes = 64 * 1024;

    /// <summary>Dials <paramref name="url"/>, a wss:// one trusting what the system trust store trusts.</summary>
    public static Task<HandshakeOutcome> ConnectAsync(Uri url, IReadOnlyDictionary<string, string[]> headers, TimeSpan keepAlive, CancellationToken cancellationToken) =>
        ConnectAsync(url, headers, keepAlive, BackendTrust.System, cancellationToken);

    /// <summary>Dials <paramref name="url"/>. Cancelling the token aborts whatever step is under way.</summary>
    /// <param name="trust">Decides which certificate a wss:// backend may present.</param>
    /// <exception cref="HandshakeException">The backend answered, but not with an acceptable upgrade.</exception>
    /// <exception cref="SocketException">The TCP connection could not be made.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">TLS failed (e.g. the certificate is not trusted).</exception>
    public static async Task<HandshakeOutcome> ConnectAsync(
        Uri url, IReadOnlyDictionary<string, string[]> headers, TimeSpan keepAlive, BackendTrust trust, CancellationToken cancellationToken)
    {
        var request = HandshakeRequest.Build(url, headers); // throws ArgumentException for a bad subprotocol: the client's fault
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(url.IdnHost, url.Port, cancellationToken);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (url.Scheme == "wss")
            {
                // A failed handshake disposes the TLS stream and the network stream under it; the catch below then
                // disposes only the socket, which is harmless a second time.
                var network = stream;
                stream = null;
                stream = await trust.AuthenticateAsync(network, url.IdnHost, cancellationToken);
            }

            await stream.WriteAsync(request.Bytes, cancellationToken);
            var (response, leftover) = await ReadReplyAsync(stream, cancellationToken);
            Validate(response, request);
            var subprotocol = response.Get(Sdk.WsHeaders.Subprotocol) is { Length: > 0 } chosen ? chosen : null;
            var transport = new ReadAheadStream(stream, leftover);
            var webSocket = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions
            {
                IsServer = false,
                SubProtocol = subprotocol,
                KeepAliveInterval = keepAlive,
                // With a timeout the socket sends real pings and drops a backend that stops answering them.
                KeepAliveTimeout = keepAlive,
            });
            return new HandshakeOutcome(webSocket, response, request.SkippedHeaders);
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    private static async Task<(HandshakeResponse Response, byte[] Leftover)> ReadReplyAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(FirstReadBytes);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxReplyBytes)
                    {
                        throw new HandshakeException(0, $"the backend's handshake reply is larger than {MaxReplyBytes / 1024} KiB");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    throw new HandshakeException(0, "the backend closed the connection during the handshake");
                }

                // Search from a little before the new bytes: the blank line may straddle two reads.
                var searchFrom = Math.Max(0, length - 3);
                length += read;
                var end = HandshakeResponse.FindEnd(buffer.AsSpan(searchFrom, length - searchFrom));
                if (end >= 0)
                {
                    end += searchFrom;
                    var response = HandshakeResponse.Parse(buffer.AsSpan(0, end));
                    return (response, buffer.AsSpan(end, length - end).ToArray());
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Checks a reply against the request it answers (RFC 6455 §4.1, the client's checks).</summary>
    /// <exception cref="HandshakeException">The reply is not an acceptable upgrade.</exception>
    internal static void Validate(HandshakeResponse response, HandshakeRequest request)
    {
        if (response.StatusCode != 101)
        {
            throw new HandshakeException(response.StatusCode, $"the backend answered {response.StatusCode} instead of 101");
        }

        if (!response.HasToken("Upgrade", "websocket") || !response.HasToken("Connection", "upgrade"))
        {
            throw new HandshakeException(101, "the backend's 101 reply does not upgrade to websocket");
        }

        if (response.Get("Sec-WebSocket-Accept") != request.ExpectedAccept)
        {
            throw new HandshakeException(101, "the backend's Sec-WebSocket-Accept does not match the key sent");
        }

        if (response.Get("Sec-WebSocket-Extensions") is { Length: > 0 } extensions)
        {
            throw new HandshakeException(101, $"the backend chose extensions that were not offered: {extensions}");
        }

        var chosen = response.Get(Sdk.WsHeaders.Subprotocol);
        if (!string.IsNullOrEmpty(chosen) && !request.Subprotocols.Contains(chosen, StringComparer.OrdinalIgnoreCase))
        {
            throw new HandshakeException(101, $"the backend chose subprotocol '{chosen}', which was not offered");
        }
    }
}
