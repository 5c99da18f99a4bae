namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>Every wait in the tests is bounded: one generous limit, far above what a passing test needs.</summary>
public static class Timeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    public static CancellationTokenSource Linked(CancellationToken cancellationToken, TimeSpan? limit = null)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(limit ?? Default);
        return source;
    }
}
