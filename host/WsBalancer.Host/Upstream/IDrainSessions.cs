namespace WsBalancer.Host.Upstream;

/// <summary>The live sessions as a backend drain sees them (the host's session registry implements it).</summary>
internal interface IDrainSessions
{
    /// <summary>The ids of the sessions served by <paramref name="backendId"/> now.</summary>
    IReadOnlyList<string> SessionsOn(string backendId);

    /// <summary>Moves one session off <paramref name="backendId"/> make-before-break (the client sees nothing).</summary>
    Task<DrainMove> MoveAsync(string sessionId, string backendId);
}

/// <summary>What one move of a drain did.</summary>
internal enum DrainMove
{
    /// <summary>The session serves from another backend now.</summary>
    Moved,

    /// <summary>No other backend took it; it still serves from the draining one and is tried again later.</summary>
    Failed,

    /// <summary>The session ended, or had left the backend, before it was moved.</summary>
    Gone,
}
