using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>The outcome of an administrative failover of one session.</summary>
internal readonly record struct FailoverResult(AdminResult Result, string? Reason)
{
    public static FailoverResult Success { get; } = new(AdminResult.Success, null);

    public static FailoverResult Failed(string reason) => new(AdminResult.Failed, reason);
}
