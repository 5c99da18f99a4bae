namespace WsBalancer.Sdk;

/// <summary>Opens backend connections for sessions: on the first dial and on every failover.</summary>
/// <remarks>
/// The host calls the dialer from a thread-pool thread. With the host's inline I/O on (its default), code after an
/// await on a socket may resume on one of the runtime's socket event threads, which serve many connections: never
/// block there; move long or blocking work to the thread pool (for example with <c>Task.Run</c>).
/// </remarks>
public interface IBackendDialer
{
    /// <summary>Opens a connection to a backend chosen by the dialer. The connection is not started.</summary>
    /// <param name="context">The session's request, headers and channels.</param>
    /// <param name="cancellationToken">Cancelled when the session ends or the host stops.</param>
    /// <returns>The open, not yet started connection.</returns>
    /// <exception cref="ConnectionDeclinedException">The backend refused the client (3xx/4xx): the host fails the
    /// client's handshake with <see cref="RemoteSystemException.Code"/> as the HTTP status.</exception>
    /// <exception cref="SystemUnavailableException">No backend could be reached: the host answers 502, or closes a
    /// live client with 1011.</exception>
    ValueTask<IBackendConnection> DialUpstreamAsync(BackendDialContext context, CancellationToken cancellationToken);
}

/// <summary>A dialer whose backends the admin API can manage. Every method acts on backend state only.</summary>
/// <remarks>
/// Methods returning a string return JSON, which the admin API passes to the operator unchanged. Ending the live
/// connections of a deleted backend is the host's job, done after <see cref="DeleteBackend"/> succeeds.
/// </remarks>
public interface IBackendAdministrator : IBackendDialer
{
    /// <summary>Lists every backend as a JSON array of
    /// <c>{url,id,activeConnections,enabled,tripped,totalConnections,totalFailures}</c>.</summary>
    /// <returns>The JSON array.</returns>
    string ListBackends();

    /// <summary>Adds a backend from a JSON definition (<c>url</c>, <c>id</c>, <c>ping-time</c>, …).</summary>
    /// <param name="data">The UTF-8 JSON request body.</param>
    /// <returns><c>{"result":"success"}</c> or <c>{"result":"failed","reason":"…"}</c>.</returns>
    string AddBackend(ReadOnlyMemory<byte> data);

    /// <summary>The configuration of one backend as JSON.</summary>
    /// <param name="id">The backend id.</param>
    /// <returns>The backend's configuration, or <c>{"result":"failed","reason":"…"}</c> for an unknown id.</returns>
    string BackendConfig(string id);

    /// <summary>Stops choosing the backend for new sessions; live sessions stay.</summary>
    /// <param name="id">The backend id.</param>
    /// <returns>Success, NoActionRequired when already disabled, or Failed for an unknown id.</returns>
    AdminResult DisableBackend(string id);

    /// <summary>Lets the backend be chosen again.</summary>
    /// <param name="id">The backend id.</param>
    /// <returns>Success, NoActionRequired when already enabled, or Failed for an unknown id.</returns>
    AdminResult EnableBackend(string id);

    /// <summary>Removes the backend so that it is never chosen again.</summary>
    /// <param name="id">The backend id.</param>
    /// <returns>Success, or Failed for an unknown id.</returns>
    AdminResult DeleteBackend(string id);

    /// <summary>Clears the backend's circuit breaker and failure streak.</summary>
    /// <param name="id">The backend id.</param>
    /// <returns>Success, or Failed for an unknown id.</returns>
    AdminResult ResetBackend(string id);
}

/// <summary>A failure reported by a remote system (a backend).</summary>
public class RemoteSystemException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="id">The id of the remote system, usually the backend id.</param>
    /// <param name="code">An HTTP status, or 0 when there was none (a network error).</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public RemoteSystemException(string id, int code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Id = id;
        Code = code;
    }

    /// <summary>The id of the remote system, usually the backend id.</summary>
    public string Id { get; }

    /// <summary>An HTTP status, or 0 when there was none.</summary>
    public int Code { get; }
}

/// <summary>The backend could not be used (network error, handshake timeout, 5xx, open circuit): try the next one.</summary>
public sealed class SystemUnavailableException : RemoteSystemException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="id">The backend id.</param>
    /// <param name="code">The HTTP status, or 0 when there was none.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public SystemUnavailableException(string id, int code, string message, Exception? innerException = null)
        : base(id, code, message, innerException)
    {
    }
}

/// <summary>The backend answered and refused the client (3xx/4xx): the client's handshake fails with <see cref="RemoteSystemException.Code"/>.</summary>
public sealed class ConnectionDeclinedException : RemoteSystemException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="id">The backend id.</param>
    /// <param name="code">The HTTP status the backend answered with.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public ConnectionDeclinedException(string id, int code, string message, Exception? innerException = null)
        : base(id, code, message, innerException)
    {
    }
}
