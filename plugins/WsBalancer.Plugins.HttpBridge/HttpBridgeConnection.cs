using System.Collections.Frozen;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>
/// One session's leg to an HTTP backend: each client message is POSTed, up to <c>max-in-flight</c> at once, and the
/// answers go to the client strictly in the order the messages came.
/// </summary>
/// <remarks>
/// Two loops. The read loop takes a message from Receive only when a slot is free, starts its POST and queues it;
/// the delivery loop awaits the queued POSTs in order, writes each reply to Send and then frees the slot, so a
/// slow client holds back new POSTs too. The queue ends with one marker saying how the leg closes. Only the
/// delivery loop writes to Send, so exactly one closure message is ever written.
/// </remarks>
internal sealed class HttpBridgeConnection : IBackendConnection
{
    private static readonly IReadOnlyList<WsMessage> NoMessages = [];

    private readonly BridgeHttp _http;
    private readonly BackendTarget _target;
    private readonly Uri _url;
    private readonly ForwardedHeaders _headers;
    private readonly ChannelReader<WsMessage> _receive;
    private readonly ChannelWriter<WsMessage> _send;
    private readonly ClientErrorPolicy _onClientError;
    private readonly int _maxResponseBytes;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly Channel<Exchange> _exchanges;
    // Neither source ever has a timer, so neither needs disposing; disposing would race a late CloseAsync.
    private readonly CancellationTokenSource _stopReading = new();
    private readonly CancellationTokenSource _stopRequests = new();
    private readonly Lock _gate = new();
    private List<WsMessage>? _unsent;
    private Task _readLoop = Task.CompletedTask;
    private Task? _closing;
    private bool _started;

    public HttpBridgeConnection(
        string id,
        BridgeHttp http,
        BackendTarget target,
        Uri url,
        ForwardedHeaders headers,
        BackendDialContext context,
        HttpBridgeSettings settings,
        ILogger logger)
    {
        Id = id;
        _http = http;
        _target = target;
        _url = url;
        _headers = headers;
        _receive = context.Receive;
        _send = context.Send;
        _onClientError = settings.OnClientError;
        _maxResponseBytes = settings.MaxResponseBytes;
        _logger = logger;
        _slots = new SemaphoreSlim(settings.MaxInFlight, settings.MaxInFlight);
        // A slot is freed only after its exchange left the queue, so the queue never holds more than every slot's
        // exchange plus the closing marker: a full queue is a bug, reported by TryWrite failing.
        _exchanges = Channel.CreateBounded<Exchange>(new BoundedChannelOptions(settings.MaxInFlight + 1)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Id { get; }

    public string BackendId => _target.Id;

    /// <summary>Always null: HTTP has no subprotocol to negotiate.</summary>
    public string? Subprotocol => null;

    public IReadOnlyDictionary<string, string[]> AdditionalHeaders => FrozenDictionary<string, string[]>.Empty;

    public void Start()
    {
        lock (_gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            _readLoop = Task.Run(ReadLoopAsync);
        }

        _ = Task.Run(DeliverLoopAsync);
    }

    /// <summary>
    /// Stops taking messages from Receive and returns once the read loop is over. The POSTs already started go on
    /// (each within <c>timeout</c>), their replies still reach Send, then a normal closure (1000).
    /// </summary>
    public ValueTask CloseAsync()
    {
        Task closing;
        var stop = false;
        lock (_gate)
        {
            if (_closing is null)
            {
                // Never started: nothing was taken and nothing will be delivered, so there is no closure to write.
                stop = _started;
                _started = true;
                _closing = _readLoop;
            }

            closing = _closing;
        }

        if (stop)
        {
            _stopReading.Cancel();
        }

        return new ValueTask(closing);
    }

    public IReadOnlyList<WsMessage> TakeUnsent()
    {
        lock (_gate)
        {
            var unsent = _unsent;
            _unsent = null;
            return unsent ?? NoMessages;
        }
    }

    private async Task ReadLoopAsync()
    {
        // What ends the queue, unless the client's own close comes first.
        var marker = new Exchange(WsMessage.NormalClosure(1000, null), null, FromClient: false);
        try
        {
            while (true)
            {
                // A slot first, then a message: a message is only taken when its POST can start at once.
                await _slots.WaitAsync(_stopReading.Token);
                if (!await _receive.WaitToReadAsync(_stopReading.Token))
                {
                    break; // the session detached this leg or completed Receive
                }

                if (!_receive.TryRead(out var message))
                {
                    _slots.Release();
                    continue;
                }

                if (message.Type == WsMessageType.RemoteConnectionNormalClosure)
                {
                    marker = new Exchange(message, null, FromClient: true);
                    break;
                }

                if (message.IsControl)
                {
                    _slots.Release(); // pings and the like have no meaning to a REST backend
                    continue;
                }

                if (!_exchanges.Writer.TryWrite(new Exchange(message, _http.PostAsync(_url, _headers, message, _stopRequests.Token), FromClient: false)))
                {
                    throw new InvalidOperationException("The exchange queue is over its bound.");
                }
            }
        }
        catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
            // Receive completed with an error: the session is over, the same as a plain completion.
        }
        catch (Exception ex)
        {
            // A fault barrier: a bug here must cost this leg, not the process.
            HttpBridgeLog.LoopFailed(_logger, Id, BackendId, ex);
        }
        finally
        {
            _exchanges.Writer.TryWrite(marker);
            _exchanges.Writer.TryComplete();
        }
    }

    private async Task DeliverLoopAsync()
    {
        WsMessage closure;
        try
        {
            closure = await DeliverAsync();
        }
        catch (ChannelClosedException)
        {
            // The session completed Send: nobody listens, so later answers are not worth waiting for.
            HttpBridgeLog.SessionGone(_logger, Id, await StopAsync(failed: null));
            return;
        }
        catch (Exception ex)
        {
            HttpBridgeLog.LoopFailed(_logger, Id, BackendId, ex);
            await StopAsync(failed: null);
            closure = WsMessage.AbnormalClosure();
        }

        HttpBridgeLog.Stopped(_logger, Id, BackendId, Describe(closure));
        try
        {
            // Unbounded wait is safe: the session completes Send when it stops listening.
            await _send.WriteAsync(closure, CancellationToken.None);
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>Delivers answers in order until the queue's marker or a failure; returns the closure to write.</summary>
    private async Task<WsMessage> DeliverAsync()
    {
        var exchanges = _exchanges.Reader;
        while (await exchanges.WaitToReadAsync(CancellationToken.None))
        {
            while (exchanges.TryRead(out var exchange))
            {
                if (exchange.Response is null)
                {
                    return exchange.FromClient ? ClosureFor(exchange.Message) : exchange.Message;
                }

                var outcome = await exchange.Response;
                switch (outcome.Status)
                {
                    case ExchangeStatus.Failed or ExchangeStatus.TooBig:
                        ReportFailure(outcome, await StopAsync(exchange.Message));
                        return WsMessage.AbnormalClosure();
                    case ExchangeStatus.Rejected when _onClientError == ClientErrorPolicy.Close:
                        HttpBridgeLog.ClosingOnRejection(_logger, Id, BackendId, outcome.StatusCode);
                        await StopAsync(failed: null);
                        return WsMessage.NormalClosure(1008, $"backend rejected a message ({outcome.StatusCode})");
                }

                HttpBridgeLog.Answered(_logger, Id, BackendId, exchange.Message.Data.Length, outcome.StatusCode, outcome.Reply?.Data.Length ?? 0);
                if (outcome.NotUtf8)
                {
                    HttpBridgeLog.TextNotUtf8(_logger, Id, BackendId);
                }

                if (outcome.Reply is { } reply)
                {
                    await _send.WriteAsync(reply, CancellationToken.None);
                }

                _slots.Release();
            }
        }

        // Unreachable: the read loop always queues a marker before completing the queue.
        return WsMessage.AbnormalClosure();
    }

    /// <summary>
    /// Stops the read loop, cancels the POSTs behind the current one (their answers would come out of order) and
    /// keeps their messages, after <paramref name="failed"/>, for the next connection. Returns how many are kept.
    /// </summary>
    private async Task<int> StopAsync(WsMessage? failed)
    {
        _stopReading.Cancel();
        await _readLoop;
        _stopRequests.Cancel();
        lock (_gate)
        {
            var unsent = _unsent ??= [];
            if (failed is not null)
            {
                unsent.Add(failed);
            }

            // The client's close is kept too: the next connection must end the session the same way.
            while (_exchanges.Reader.TryRead(out var later))
            {
                if (later.Response is not null || later.FromClient)
                {
                    unsent.Add(later.Message);
                }
            }

            return unsent.Count;
        }
    }

    private void ReportFailure(ExchangeOutcome outcome, int unsent)
    {
        if (!_target.RequestWarnings.TryEnter(out var suppressed))
        {
            return;
        }

        if (outcome.Status == ExchangeStatus.TooBig)
        {
            HttpBridgeLog.ResponseTooBig(_logger, Id, BackendId, outcome.StatusCode, _maxResponseBytes, unsent, suppressed);
        }
        else
        {
            HttpBridgeLog.RequestFailed(_logger, Id, BackendId, outcome.StatusCode, outcome.Reason ?? "unknown", unsent, suppressed);
        }
    }

    /// <summary>The client's close passed on: its code, except the ones no endpoint may send (1005, 1006, 1015).</summary>
    private static WsMessage ClosureFor(WsMessage clientClose)
    {
        var (code, reason) = clientClose.GetCloseStatus();
        return WsMessage.NormalClosure(code is < 1000 or > 4999 or 1005 or 1006 or 1015 ? 1000 : code, reason);
    }

    private static string Describe(WsMessage closure) =>
        closure.Type == WsMessageType.RemoteConnectionAbnormalClosure ? "abnormal closure" : $"normal closure {closure.GetCloseStatus().Code}";

    /// <summary>A queued message and its POST; a null <see cref="Response"/> is the closing marker, whose message is the closure.</summary>
    /// <param name="FromClient">The marker is the client's own close (kept for the next connection on a failure).</param>
    private readonly record struct Exchange(WsMessage Message, Task<ExchangeOutcome>? Response, bool FromClient);
}
