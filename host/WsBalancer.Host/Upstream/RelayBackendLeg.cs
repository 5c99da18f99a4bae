using System.IO.Pipelines;
using WsBalancer.Host.Upstream.Handshake;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Upstream;

/// <summary>
/// A built-in upstream connection as the frame relay uses it: the backend's pipes, past its 101, plus what the
/// session and the admin API need to know of it. It is an <see cref="IBackendConnection"/> only so that valve
/// providers and session listeners see the same pair type on both paths; it carries no messages of its own
/// (the relay writes and reads <see cref="Transport"/>), so <see cref="TakeUnsent"/> is always empty.
/// </summary>
internal sealed class RelayBackendLeg : IBackendConnection, IUpstreamConnection, IAsyncDisposable
{
    private readonly PipeBackendLeg _leg;
    private int _released;

    public RelayBackendLeg(string id, UpstreamBackend backend, PipeBackendLeg leg, IReadOnlyDictionary<string, string[]> additionalHeaders)
    {
        Id = id;
        Backend = backend;
        _leg = leg;
        AdditionalHeaders = additionalHeaders;
    }

    public string Id { get; }

    public string BackendId => Backend.Id;

    public UpstreamBackend Backend { get; }

    public string? Subprotocol => _leg.Subprotocol;

    public IReadOnlyDictionary<string, string[]> AdditionalHeaders { get; }

    /// <summary>Frames to the backend (masked) and from it (unmasked); the input starts at the first frame after the 101.</summary>
    public IDuplexPipe Transport => _leg.Transport;

    /// <summary>The backend's 101.</summary>
    public HandshakeResponse Response => _leg.Response;

    /// <summary>Whether a close code from this backend means "failed" (fail over) rather than "done" (passed to the client).</summary>
    public bool IsAbnormalClose(int code) => Backend.IsAbnormalClose(code);

    /// <summary>The relay runs the leg: nothing to start.</summary>
    public void Start()
    {
    }

    /// <summary>Drops the connection (a plugin asking a relay leg to close): the session sees its backend lost and fails over.</summary>
    public ValueTask CloseAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<WsMessage> TakeUnsent() => [];

    /// <summary>Drops the TCP connection at once: pending reads and writes on <see cref="Transport"/> end.</summary>
    public void Abort() => _leg.Abort();

    /// <summary>
    /// Ends a leg left inside a frame, where no close frame can follow: a FIN after what was written, so the backend
    /// still reads every whole message it was sent (a reset would make its kernel drop them), then the connection's end.
    /// </summary>
    public void EndMidFrame() => _leg.ShutdownSend();

    /// <summary>Closes the connection and counts it out of its backend (once).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return;
        }

        Backend.ConnectionClosed();
        await _leg.DisposeAsync();
    }
}
