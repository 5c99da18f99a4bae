namespace WsBalancer.IntegrationTests.Upstream;

/// <summary>A variable number of <see cref="TestBackend"/>s (b1, b2, …) disposed together, for theories over the backend count.</summary>
internal sealed class BackendGroup : IAsyncDisposable
{
    private readonly List<TestBackend> _backends = [];

    public IReadOnlyList<TestBackend> All => _backends;

    public TestBackend this[int index] => _backends[index];

    public static async Task<BackendGroup> StartAsync(int count, CancellationToken cancellationToken)
    {
        var group = new BackendGroup();
        try
        {
            for (var i = 1; i <= count; i++)
            {
                group._backends.Add(await TestBackend.StartAsync($"b{i}", cancellationToken));
            }
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }

        return group;
    }

    /// <summary>
    /// A backend that was started and stopped again: its loopback port now refuses connections, as a crashed
    /// backend's would. It is already disposed; the caller only uses its name and URL.
    /// </summary>
    public static async Task<TestBackend> StoppedAsync(string name, CancellationToken cancellationToken)
    {
        var backend = await TestBackend.StartAsync(name, cancellationToken);
        await backend.DisposeAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}
