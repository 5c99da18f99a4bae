using System.Runtime.Loader;
using McMaster.NETCore.Plugins;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Plugins;

/// <summary>A plugin type the host discovered, as <c>/plugin/list</c> shows it.</summary>
internal sealed record PluginTypeInfo(string Kind, string Name);

/// <summary>One instance the host created from a plugin version, with the roles it plays.</summary>
internal sealed record PluginInstance(object Instance, string TypeName, string TypeShortName);

/// <summary>
/// One loaded version of a plugin: its own unloadable load context, the instances created from it, and a count of who
/// holds it (the published snapshot while it is current, plus every session that started with it or dialed with it).
/// When the count reaches zero the version is retired: instances disposed, loader disposed, and the context's
/// collection watched through a weak reference.
/// </summary>
internal sealed class PluginVersion
{
    private PluginLoader? _loader;
    private IReadOnlyList<PluginInstance> _instances;
    private int _holds = 1; // the snapshot that publishes it
    private int _sessions;
    private int _retired;

    public PluginVersion(
        string name,
        string version,
        int sequence,
        string sourcePath,
        string copyPath,
        DateTimeOffset loadedAt,
        PluginManifest? manifest,
        PluginLoader loader,
        AssemblyLoadContext context,
        IReadOnlyList<PluginInstance> instances,
        IReadOnlyList<PluginTypeInfo> types)
    {
        Name = name;
        Version = version;
        Sequence = sequence;
        SourcePath = sourcePath;
        CopyPath = copyPath;
        LoadedAt = loadedAt;
        Manifest = manifest;
        _loader = loader;
        Context = new WeakReference(context);
        _instances = instances;
        Types = types;
    }

    public string Name { get; }

    public string Version { get; }

    /// <summary>1 for the first version this process loaded of the plugin, then 2, …: tells apart rebuilds with one version string.</summary>
    public int Sequence { get; }

    public string SourcePath { get; }

    /// <summary>The immutable copy it was loaded from.</summary>
    public string CopyPath { get; }

    public DateTimeOffset LoadedAt { get; }

    public PluginManifest? Manifest { get; }

    public IReadOnlyList<PluginTypeInfo> Types { get; }

    /// <summary>Alive until the runtime has collected the load context.</summary>
    public WeakReference Context { get; }

    public IReadOnlyList<PluginInstance> Instances => Volatile.Read(ref _instances);

    /// <summary>Sessions that hold this version.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    public bool IsRetired => Volatile.Read(ref _retired) == 1;

    public DateTimeOffset? RetiredAt { get; private set; }

    /// <summary>When the stuck-unload warning was given, so it is given once.</summary>
    public bool UnloadStuckReported { get; set; }

    /// <summary>How many forced collections the catalog has spent on this version's unload.</summary>
    public int CollectAttempts { get; set; }

    /// <summary>Takes a hold for a session; false when the version was already released by everyone (retiring).</summary>
    public bool TryHoldForSession()
    {
        var holds = Volatile.Read(ref _holds);
        while (holds > 0)
        {
            var seen = Interlocked.CompareExchange(ref _holds, holds + 1, holds);
            if (seen == holds)
            {
                Interlocked.Increment(ref _sessions);
                return true;
            }

            holds = seen;
        }

        return false;
    }

    /// <summary>Releases a session's hold; true when that was the last hold and the caller must retire the version.</summary>
    public bool ReleaseSession()
    {
        Interlocked.Decrement(ref _sessions);
        return Interlocked.Decrement(ref _holds) == 0;
    }

    /// <summary>Releases the publishing snapshot's hold; true when no session holds it either.</summary>
    public bool ReleasePublication() => Interlocked.Decrement(ref _holds) == 0;

    /// <summary>
    /// Disposes the instances (each a fault barrier) and the loader, which unloads the context. Returns the failures
    /// as (type name, exception). Called once, by the catalog, after the last hold is gone.
    /// </summary>
    public async Task<IReadOnlyList<(string TypeName, Exception Error)>> RetireAsync(DateTimeOffset now)
    {
        if (Interlocked.Exchange(ref _retired, 1) == 1)
        {
            return [];
        }

        RetiredAt = now;
        var failures = await DisposeInstancesAsync(Interlocked.Exchange(ref _instances, []));
        Interlocked.Exchange(ref _loader, null)?.Dispose();
        return failures;
    }

    /// <summary>Disposes instances in reverse creation order; used for retirement and for a load that failed half way.</summary>
    public static async Task<IReadOnlyList<(string TypeName, Exception Error)>> DisposeInstancesAsync(IReadOnlyList<PluginInstance> instances)
    {
        var failures = new List<(string, Exception)>();
        for (var i = instances.Count - 1; i >= 0; i--)
        {
            try
            {
                switch (instances[i].Instance)
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync();
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
            catch (Exception ex)
            {
                failures.Add((instances[i].TypeName, ex));
            }
        }

        return failures;
    }

    public IEnumerable<T> InstancesOf<T>()
        where T : class
    {
        foreach (var instance in Instances)
        {
            if (instance.Instance is T typed)
            {
                yield return typed;
            }
        }
    }

    /// <summary>The dialer type named <paramref name="typeName"/> (simple or full name), or null.</summary>
    public IBackendDialer? FindDialer(string typeName)
    {
        foreach (var instance in Instances)
        {
            if (instance.Instance is IBackendDialer dialer
                && (instance.TypeName.Equals(typeName, StringComparison.Ordinal) || instance.TypeShortName.Equals(typeName, StringComparison.Ordinal)))
            {
                return dialer;
            }
        }

        return null;
    }
}
