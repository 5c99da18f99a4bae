using System.Threading.Channels;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>One backend leg of a session: what it reads (Receive), where it writes (Send), and, once dialed, the connection.</summary>
internal sealed class BackendLeg
{
    // Backend → client messages wait here while the client is written to; the bound turns a slow client into
    // TCP back-pressure on the backend instead of memory growth.
    private const int SendCapacity = 16;

    public BackendLeg(PendingQueue queue)
    {
        Reader = new LegReader(queue);
        Send = Channel.CreateBounded<WsMessage>(new BoundedChannelOptions(SendCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            // The backend's reader hands a message to the pump, which writes it to the client on the same thread.
            AllowSynchronousContinuations = true,
        });
    }

    public LegReader Reader { get; }

    public Channel<WsMessage> Send { get; }

    public IBackendConnection Connection { get; set; } = null!;

    public BackendDialContext CreateDialContext(Uri requestUri, IReadOnlyDictionary<string, string[]> headers, IBackendConnection? oldConnection) =>
        new(requestUri, headers, Reader, Send.Writer, oldConnection);
}
