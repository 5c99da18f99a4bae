using System.Net;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Http;

namespace WsBalancer.Host.Frontend;

/// <summary>Which limit refused a new session.</summary>
internal enum SessionRefusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary><see cref="ServerSettings.FrontendMaxSessions"/>: the frontend holds as many sessions as it may.</summary>
    SessionLimit,

    /// <summary><see cref="ServerSettings.FrontendMaxSessionsPerAddress"/>: the client's address holds as many as it may.</summary>
    AddressLimit,
}

/// <summary>
/// Counts the frontend's sessions, all together and per remote address (as <see cref="RemoteAddressKey"/> counts
/// them), and refuses one over <see cref="ServerSettings.FrontendMaxSessions"/> or
/// <see cref="ServerSettings.FrontendMaxSessionsPerAddress"/>. A session holds its <see cref="SessionSlot"/> from
/// admission (before its dial, so dials in flight count) until it ended, whichever way.
/// </summary>
internal sealed class SessionAdmission
{
    private readonly Lock _gate = new();

    // Only addresses holding a slot: an entry leaves when its last slot is given back, so the table is never larger
    // than the live sessions, however many addresses came and went. Null when the per-address limit is off.
    private readonly Dictionary<string, int>? _perAddress;
    private int _count;

    public SessionAdmission(ServerSettings settings)
    {
        MaxSessions = settings.FrontendMaxSessions;
        MaxSessionsPerAddress = settings.FrontendMaxSessionsPerAddress;
        _perAddress = MaxSessionsPerAddress > 0 ? new Dictionary<string, int>(StringComparer.Ordinal) : null;
    }

    /// <summary>Most sessions at once; 0: no limit.</summary>
    public int MaxSessions { get; }

    /// <summary>Most sessions at once from one address; 0: no limit.</summary>
    public int MaxSessionsPerAddress { get; }

    /// <summary>Slots held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Addresses holding at least one slot now (0 when the per-address limit is off).</summary>
    public int TrackedAddresses
    {
        get
        {
            lock (_gate)
            {
                return _perAddress?.Count ?? 0;
            }
        }
    }

    /// <summary>A slot for a session from <paramref name="address"/>, or null and the limit that refused it.</summary>
    public SessionSlot? TryAdmit(IPAddress? address, out SessionRefusal refusal)
    {
        var key = _perAddress is null ? null : RemoteAddressKey.Of(address);
        // One lock for both counts: a slot is taken on both or on neither, and a release can never be seen half done.
        lock (_gate)
        {
            if (MaxSessions > 0 && _count >= MaxSessions)
            {
                refusal = SessionRefusal.SessionLimit;
                return null;
            }

            if (_perAddress is not null)
            {
                var held = _perAddress.GetValueOrDefault(key!);
                if (held >= MaxSessionsPerAddress)
                {
                    refusal = SessionRefusal.AddressLimit;
                    return null;
                }

                _perAddress[key!] = held + 1;
            }

            _count++;
        }

        refusal = SessionRefusal.None;
        return new SessionSlot(this, key);
    }

    private void Release(string? key)
    {
        lock (_gate)
        {
            _count--;
            if (_perAddress is not null)
            {
                var left = _perAddress[key!] - 1;
                if (left == 0)
                {
                    _perAddress.Remove(key!);
                }
                else
                {
                    _perAddress[key!] = left;
                }
            }
        }
    }

    /// <summary>One admitted session's place in the counts; disposing gives it back (a second dispose does nothing).</summary>
    internal sealed class SessionSlot : IDisposable
    {
        private readonly SessionAdmission _admission;
        private readonly string? _key;
        private int _released;

        public SessionSlot(SessionAdmission admission, string? key)
        {
            _admission = admission;
            _key = key;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _admission.Release(_key);
            }
        }
    }
}
