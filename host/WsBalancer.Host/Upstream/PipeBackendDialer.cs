using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using WsBalancer.Host.Upstream.Handshake;

namespace WsBalancer.Host.Upstream;

/// <summary>
/// The backend leg of the frame relay: dials a ws:// or wss:// backend, performs the RFC 6455 opening handshake
/// over a pipe pair and hands the pipes back, positioned at the first byte after the backend's 101.
/// </summary>
/// <remarks>
/// <para>
/// Why: the pipes wrap the connection's stream (a <see cref="NetworkStream"/>, or the <see cref="SslStream"/> over it for
/// wss://): one receive fills a pooled block, the relay parses every frame in it in place and flushes once per batch,
/// and an idle connection holds no buffer (a zero-byte read waits for data before a block is taken). No
/// <see cref="System.Net.WebSockets.WebSocket"/> sits on top: it would read a frame header per call and copy each
/// payload into a caller's buffer. A stream pipe writer, unlike Kestrel's socket transport
/// (<c>SocketConnectionContextFactory</c>, whose flush completes once its send loop holds the bytes), completes a flush
/// only once the stream's write
/// did, i.e. once the kernel took the bytes: that is what tells the relay which client messages reached the backend's
/// socket and which a failover must replay.
/// </para>
/// <para>
/// The request is today's (<see cref="HandshakeRequest"/>: target, Host, forwarded headers, the reconnect header,
/// subprotocols offered) and the reply gets today's checks (<see cref="BackendHandshake.Validate"/>), so a failure
/// reads the same: a <see cref="HandshakeException"/> with the backend's status. One deadline, the backend's
/// handshake timeout, bounds connect, TLS and handshake together, as the upstream's dial does today; it ends in a
/// <see cref="TimeoutException"/>. The reply head is bounded (<see cref="MaxReplyBytes"/>), and the reader is advanced
/// exactly past it, so frames the backend sent in the same segment as its 101 stay in the pipe.
/// </para>
/// <para>
/// Not covered here: keep-alive pings and the close handshake (the session's), permessage-deflate (never offered),
/// proxies.
/// </para>
/// </remarks>
internal sealed class PipeBackendDialer
{
    /// <summary>Longest reply head (status line and header fields) accepted from a backend.</summary>
    public const int MaxReplyBytes = 64 * 1024;

    // Each read asks for a block of this much: a backend's small frames fit many to a block, and a large message
    // arrives in a few reads (4 KiB blocks took 16 receives per 64 KiB message). Only a read in progress holds one:
    // an idle leg waits with a zero-byte read, and a block goes back to the pool once its frames are forwarded.
    private const int ReadBlockBytes = 16 * 1024;

    private readonly BackendTrust _trust;
    private readonly TimeProvider _time;

    /// <param name="trust">
    /// For wss://: which certificate a backend may present; null (the default) is the system trust store alone, as
    /// for the message path's dial.
    /// </param>
    /// <param name="time">Runs the handshake deadline; the system clock when null.</param>
    public PipeBackendDialer(BackendTrust? trust = null, TimeProvider? time = null)
    {
        _trust = trust ?? BackendTrust.System;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Dials <paramref name="url"/> with the session's forwarded <paramref name="headers"/> (the reconnect header included on a failover dial).</summary>
    /// <param name="handshakeTimeout">Bounds connect, TLS and handshake together.</param>
    /// <exception cref="ArgumentException">The headers offer an invalid or repeated subprotocol (the client's fault).</exception>
    /// <exception cref="HandshakeException">The backend answered, but not with an acceptable upgrade.</exception>
    /// <exception cref="SocketException">The TCP connection could not be made.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">TLS failed (e.g. the certificate is not trusted).</exception>
    /// <exception cref="TimeoutException">The dial took longer than <paramref name="handshakeTimeout"/>.</exception>
    public async Task<PipeBackendLeg> DialAsync(Uri url, IReadOnlyDictionary<string, string[]> headers, TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        if (url.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"'{url.Scheme}' is not a WebSocket scheme", nameof(url));
        }

        var request = HandshakeRequest.Build(url, headers);
        using var timer = new CancellationTokenSource(handshakeTimeout, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Transport? transport = null;
        try
        {
            await socket.ConnectAsync(url.IdnHost, url.Port, deadline.Token);
            transport = url.Scheme == "wss"
                ? await Transport.TlsAsync(socket, url.IdnHost, _trust, deadline.Token)
                : Transport.Plain(socket);
            await transport.Pipe.Output.WriteAsync(request.Bytes, deadline.Token);
            var response = await ReadReplyAsync(transport.Pipe.Input, deadline.Token);
            BackendHandshake.Validate(response, request);
            var subprotocol = response.Get(Sdk.WsHeaders.Subprotocol) is { Length: > 0 } chosen ? chosen : null;
            return new PipeBackendLeg(transport, response, subprotocol, request.SkippedHeaders);
        }
        catch (Exception ex)
        {
            if (transport is not null)
            {
                await transport.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            if (ex is OperationCanceledException && timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the backend did not complete the handshake within {handshakeTimeout.TotalSeconds:0.###} s", ex);
            }

            throw;
        }
    }

    /// <summary>Reads the reply head and advances the reader exactly past its blank line.</summary>
    private static async Task<HandshakeResponse> ReadReplyAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8, advancePastDelimiter: true))
            {
                if (reader.Consumed > MaxReplyBytes)
                {
                    input.AdvanceTo(buffer.Start);
                    throw TooLarge();
                }

                // Once per dial, at most 64 KiB (the message path's limit too): parsing a contiguous copy keeps the parser today's.
                var bytes = buffer.Slice(0, reader.Position).ToArray();
                input.AdvanceTo(reader.Position);
                return HandshakeResponse.Parse(bytes);
            }

            if (buffer.Length > MaxReplyBytes)
            {
                input.AdvanceTo(buffer.Start);
                throw TooLarge();
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                throw new HandshakeException(0, "the backend closed the connection during the handshake");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static HandshakeException TooLarge() =>
        new(0, $"the backend's handshake reply is larger than {MaxReplyBytes / 1024} KiB");

    /// <summary>What owns the connection under a leg's pipes: the socket, and the TLS stream over it for wss://.</summary>
    internal sealed class Transport : IAsyncDisposable
    {
        private readonly Stream _stream;
        private readonly Socket _socket;

        private Transport(Stream stream, Socket socket)
        {
            _stream = stream;
            _socket = socket;
            // Zero-byte reads: an idle leg holds no block while it waits. The writer keeps nothing after a flush, and
            // writes each of its segments with one call: segments of the read block's size send a 64 KiB message in 4
            // calls, not the 16 of its default 4 KiB (a batch of small frames in one either way).
            Pipe = new StreamPipe(
                PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBlockBytes, minimumReadSize: ReadBlockBytes / 4, leaveOpen: true, useZeroByteReads: true)),
                PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: ReadBlockBytes, leaveOpen: true)));
        }

        public IDuplexPipe Pipe { get; }

        public static Transport Plain(Socket socket) => new(new NetworkStream(socket, ownsSocket: true), socket);

        public static async Task<Transport> TlsAsync(Socket socket, string host, BackendTrust trust, CancellationToken cancellationToken) =>
            new(await trust.AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), host, cancellationToken), socket);

        /// <summary>Drops the connection at once (no TLS close_notify, no FIN wait): pending reads and writes end.</summary>
        /// <remarks>With a read pending (a leg always has one), the runtime closes abortively: a reset, which makes the peer's kernel drop what it had not read yet.</remarks>
        public void Abort() => _socket.Dispose();

        /// <summary>
        /// Ends our direction after everything written so far (a FIN, no close frame): the peer reads all of it,
        /// then the connection's end. The read direction stays open, so the peer's own end can be awaited.
        /// </summary>
        public void ShutdownSend()
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already gone: nothing was owed.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Pipe.Input.CompleteAsync();
            try
            {
                await Pipe.Output.CompleteAsync();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
            {
                // Completing flushes what was left: on a broken connection that fails, and nothing is owed.
            }

            await _stream.DisposeAsync();
        }
    }

    private sealed class StreamPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>A backend connection past its 101: the pipes (the input positioned at the first frame) and the reply.</summary>
internal sealed class PipeBackendLeg : IAsyncDisposable
{
    private readonly PipeBackendDialer.Transport _transport;
    private int _disposed;

    internal PipeBackendLeg(PipeBackendDialer.Transport transport, HandshakeResponse response, string? subprotocol, IReadOnlyList<string> skippedHeaders)
    {
        _transport = transport;
        Response = response;
        Subprotocol = subprotocol;
        SkippedHeaders = skippedHeaders;
    }

    /// <summary>Frames to and from the backend: write masked frames to <c>Output</c>, read unmasked ones from <c>Input</c>.</summary>
    public IDuplexPipe Transport => _transport.Pipe;

    /// <summary>The backend's 101 (for pass-headers).</summary>
    public HandshakeResponse Response { get; }

    /// <summary>The subprotocol the backend chose (one that was offered), or null.</summary>
    public string? Subprotocol { get; }

    /// <summary>Forwarded header names left out of the request (see <see cref="HandshakeRequest.SkippedHeaders"/>).</summary>
    public IReadOnlyList<string> SkippedHeaders { get; }

    /// <summary>Drops the TCP connection without a close handshake; pending reads and writes end.</summary>
    public void Abort() => _transport.Abort();

    /// <summary>Sends a FIN after everything written (see <see cref="PipeBackendDialer.Transport.ShutdownSend"/>); the leg is still disposed later.</summary>
    public void ShutdownSend() => _transport.ShutdownSend();

    /// <summary>Completes both pipes and closes the connection (idempotent).</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _transport.DisposeAsync() : ValueTask.CompletedTask;
}
