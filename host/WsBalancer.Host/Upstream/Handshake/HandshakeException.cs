namespace WsBalancer.Host.Upstream.Handshake;

/// <summary>A backend's opening handshake failed after the TCP (and TLS) connection was made.</summary>
internal sealed class HandshakeException : IOException
{
    /// <param name="statusCode">The backend's HTTP status, or 0 when it sent no (valid) status line.</param>
    /// <param name="message">What went wrong, for logs and the dial error.</param>
    public HandshakeException(int statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>The backend's HTTP status (101 when the upgrade was answered but is not acceptable), or 0.</summary>
    public int StatusCode { get; }
}
