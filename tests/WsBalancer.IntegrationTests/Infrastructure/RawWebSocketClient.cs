using System.Net.Sockets;
using System.Text;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>
/// A WebSocket client written by hand over a <see cref="TcpClient"/>, for what <see cref="System.Net.WebSockets.ClientWebSocket"/>
/// cannot do: send a ping or an unsolicited pong, interleave a control frame between fragments, choose the exact
/// request target, key and handshake header lines. Every read is bounded by <see cref="Timeouts.Default"/>.
/// </summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private RawWebSocketClient(TcpClient tcp, string key, RawHttpHead response)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        Key = key;
        Response = response;
    }

    /// <summary>The Sec-WebSocket-Key this client sent.</summary>
    public string Key { get; }

    /// <summary>The 101 response head.</summary>
    public RawHttpHead Response { get; }

    /// <summary>The connection itself, for bytes that are not frames at all.</summary>
    public Stream Stream => _stream;

    /// <summary>The TCP socket, to half-close or reset it as a broken client would.</summary>
    public System.Net.Sockets.Socket Socket => _tcp.Client;

    /// <summary>
    /// Opens a TCP connection to <paramref name="frontendUri"/>'s host and port and upgrades <paramref name="target"/> (sent
    /// verbatim). Throws unless the answer is 101 with the right Sec-WebSocket-Accept.
    /// </summary>
    /// <param name="headers">
    /// Extra header lines, in order; a name may repeat. Host, Upgrade, Connection and Sec-WebSocket-Version given here
    /// replace the defaults; the key is always generated (<see cref="Key"/>).
    /// </param>
    public static async Task<RawWebSocketClient> ConnectAsync(
        Uri frontendUri,
        string target,
        CancellationToken cancellationToken,
        IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(frontendUri.Host, frontendUri.Port, timeout.Token);
            var key = RawWebSocketProtocol.NewKey();
            List<KeyValuePair<string, string>> extra = [.. headers ?? []];
            var request = new StringBuilder().Append($"GET {target} HTTP/1.1\r\n");
            foreach (var (name, value) in (KeyValuePair<string, string>[])
                [new("Host", frontendUri.Authority), new("Upgrade", "websocket"), new("Connection", "Upgrade"), new("Sec-WebSocket-Version", "13")])
            {
                // A default line is left out when the test sends its own value for that header.
                if (!extra.Any(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    request.Append($"{name}: {value}\r\n");
                }
            }

            request.Append($"Sec-WebSocket-Key: {key}\r\n");
            foreach (var (name, value) in extra)
            {
                request.Append($"{name}: {value}\r\n");
            }

            request.Append("\r\n");
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), timeout.Token);
            var response = await RawWebSocketProtocol.ReadHeadAsync(stream, timeout.Token);
            if (response.StartLine.Split(' ') is not [_, "101", ..])
            {
                throw new InvalidOperationException($"expected 101, got '{response.StartLine}'");
            }

            if (response.Value("Sec-WebSocket-Accept") != RawWebSocketProtocol.AcceptFor(key))
            {
                throw new InvalidOperationException($"wrong Sec-WebSocket-Accept '{response.Value("Sec-WebSocket-Accept")}'");
            }

            return new RawWebSocketClient(tcp, key, response);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends one masked frame.</summary>
    public async Task SendFrameAsync(RawOpcode opcode, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken, bool fin = true)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        await _writeLock.WaitAsync(timeout.Token);
        try
        {
            await RawWebSocketProtocol.WriteFrameAsync(_stream, opcode, payload, fin, mask: true, timeout.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task SendTextAsync(string text, CancellationToken cancellationToken) =>
        SendFrameAsync(RawOpcode.Text, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Reads the next frame, whatever it is (bounded).</summary>
    public async Task<RawFrame> ReceiveFrameAsync(CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        return await RawWebSocketProtocol.ReadFrameAsync(_stream, timeout.Token);
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
