using System.Threading.Channels;

namespace WsBalancer.Sdk;

/// <summary>Everything a dialer needs to open a backend connection for a session.</summary>
public sealed class BackendDialContext
{
    /// <summary>Creates a dial context.</summary>
    /// <param name="url">The client's request URI (path and query are what matter).</param>
    /// <param name="destHeaders">Headers to send to the backend, already filtered by the host.</param>
    /// <param name="receive">Messages from the client to the backend.</param>
    /// <param name="send">Where the connection writes messages from the backend to the client.</param>
    /// <param name="oldConnection">The connection being replaced on a failover, or null on a first dial.</param>
    public BackendDialContext(
        Uri url,
        IReadOnlyDictionary<string, string[]> destHeaders,
        ChannelReader<WsMessage> receive,
        ChannelWriter<WsMessage> send,
        IBackendConnection? oldConnection)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(destHeaders);
        ArgumentNullException.ThrowIfNull(receive);
        ArgumentNullException.ThrowIfNull(send);
        Url = url;
        DestHeaders = destHeaders;
        Receive = receive;
        Send = send;
        OldConnection = oldConnection;
    }

    /// <summary>The client's request URI. A WebSocket dialer appends its path and query to the backend's base URL.</summary>
    public Uri Url { get; }

    /// <summary>
    /// Headers for the backend handshake (case-insensitive): the client's headers minus hop-by-hop, handshake and
    /// blocked ones, plus <c>X-Forwarded-For</c>, plus the reconnect header on a failover. The client's offered
    /// subprotocols are under <see cref="WsHeaders.Subprotocol"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string[]> DestHeaders { get; }

    /// <summary>Client → backend messages. When this connection starts, messages left unsent by
    /// <see cref="OldConnection"/> come out of it first.</summary>
    public ChannelReader<WsMessage> Receive { get; }

    /// <summary>Backend → client messages, and the closure signal that ends the connection.</summary>
    public ChannelWriter<WsMessage> Send { get; }

    /// <summary>The connection this dial replaces on a failover; null on the first dial of a session.</summary>
    public IBackendConnection? OldConnection { get; }
}
