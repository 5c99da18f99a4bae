namespace WsBalancer.Plugins.RateLimit;

/// <summary>Which messages the limits apply to.</summary>
internal enum LimitedDirection
{
    /// <summary>Client → backend only; the backend's messages pass untouched.</summary>
    Client,

    /// <summary>Both directions, counted together against the same limits.</summary>
    Both,
}

/// <summary>What happens to a session that goes over a limit.</summary>
internal enum ExcessAction
{
    /// <summary>The message is dropped; the session goes on.</summary>
    Drop,

    /// <summary>The message is dropped and the session is closed with 1008 (policy violation).</summary>
    Close,
}

/// <summary>The plugin's settings, read once when the provider is created.</summary>
internal sealed record RateLimitSettings
{
    internal const int MaxBurst = 10_000_000;
    internal const double MaxRate = 10_000_000;
    internal const long MaxMessageBytesLimit = 1L << 30;

    /// <summary>Messages per second per session, refilled continuously. Default 100.</summary>
    public double MessagesPerSecond { get; init; } = 100;

    /// <summary>Messages a session may send at once after being quiet. Default: <see cref="MessagesPerSecond"/>.</summary>
    public int Burst { get; init; } = 100;

    /// <summary>Messages per second of all sessions of one remote address; 0 turns the limit off. Default 1000.</summary>
    public double AddressMessagesPerSecond { get; init; } = 1000;

    /// <summary>The address limit's burst. Default: <see cref="AddressMessagesPerSecond"/>.</summary>
    public int AddressBurst { get; init; } = 1000;

    /// <summary>Messages larger than this many bytes are excess; 0 turns the limit off. Default 0.</summary>
    public long MaxMessageBytes { get; init; }

    /// <summary>Default <see cref="LimitedDirection.Client"/>.</summary>
    public LimitedDirection Direction { get; init; } = LimitedDirection.Client;

    /// <summary>Default <see cref="ExcessAction.Drop"/>.</summary>
    public ExcessAction OnExcess { get; init; } = ExcessAction.Drop;

    /// <summary>Remote addresses with their own limit at most; beyond it new addresses share one. Default 100 000.</summary>
    public int MaxAddresses { get; init; } = 100_000;

    /// <exception cref="ArgumentException">A setting is malformed, out of range or unknown; the message names it.</exception>
    public static RateLimitSettings Read(string pluginName, IReadOnlyDictionary<string, string> values)
    {
        var reader = new SettingsReader(pluginName, values);
        var defaults = new RateLimitSettings();
        var rate = reader.Rate("messages-per-second", defaults.MessagesPerSecond, zeroAllowed: false, MaxRate);
        var addressRate = reader.Rate("address-messages-per-second", defaults.AddressMessagesPerSecond, zeroAllowed: true, MaxRate);
        var settings = new RateLimitSettings
        {
            MessagesPerSecond = rate,
            Burst = reader.Int32("burst", BurstFor(rate), 1, MaxBurst),
            AddressMessagesPerSecond = addressRate,
            AddressBurst = reader.Int32("address-burst", BurstFor(addressRate), 1, MaxBurst),
            MaxMessageBytes = reader.Bytes("max-message-bytes", defaults.MaxMessageBytes, 0, MaxMessageBytesLimit),
            Direction = Enum.Parse<LimitedDirection>(reader.Choice("direction", "client", "client", "both"), ignoreCase: true),
            OnExcess = Enum.Parse<ExcessAction>(reader.Choice("on-excess", "drop", "drop", "close"), ignoreCase: true),
            MaxAddresses = reader.Int32("max-addresses", defaults.MaxAddresses, 1, 10_000_000),
        };
        reader.RejectUnknown();
        return settings;
    }

    // A burst of one second's worth, and at least one message so that a slow rate still lets anything through.
    private static int BurstFor(double rate) => (int)Math.Clamp(Math.Ceiling(rate), 1, MaxBurst);
}
