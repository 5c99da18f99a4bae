namespace WsBalancer.Host.Admin;

/// <summary>What a caller of the admin API may do: everything, or only read (every GET).</summary>
internal enum AdminRole
{
    /// <summary>The admin token, or any caller when no token is configured.</summary>
    Admin,

    /// <summary>The read-only token: GET and HEAD requests only.</summary>
    Read,
}
