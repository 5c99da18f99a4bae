using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Plugins;

/// <summary>
/// Loads one copied plugin folder into its own unloadable load context and creates its types. Every failure is a
/// <see cref="PluginLoadException"/> whose message tells the operator what is wrong; nothing half-loaded survives one.
/// </summary>
internal sealed class PluginActivator
{
    private const string SdkAssemblyName = "WsBalancer.Sdk";

    // Only the contract and the logging abstractions it exposes are unified with the host; everything else a plugin
    // ships stays its own, so two plugins (or two versions) can carry different versions of one library.
    private static readonly Type[] SharedTypes = [typeof(IBackendDialer), typeof(ILogger)];

    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    public PluginActivator(ILoggerFactory loggerFactory, TimeProvider time)
    {
        _loggerFactory = loggerFactory;
        _time = time;
    }

    /// <summary>The contract version this host implements; plugins must be built against the same major, not newer.</summary>
    public static Version HostSdkVersion { get; } = typeof(IBackendDialer).Assembly.GetName().Version!;

    public PluginVersion Load(string name, int sequence, string sourcePath, string copyPath, IReadOnlyDictionary<string, string> settings, string dataDirectory)
    {
        var assemblyPath = Path.Combine(copyPath, name + ".dll");
        if (!File.Exists(assemblyPath))
        {
            throw new PluginLoadException($"no {name}.dll in the folder (a plugin folder <Name>/ holds <Name>.dll and its dependencies)");
        }

        var manifest = PluginManifest.Read(copyPath);
        var informationalVersion = CheckAssembly(assemblyPath, manifest);
        var version = manifest?.Version ?? informationalVersion;

        PluginLoader loader;
        Assembly assembly;
        try
        {
            loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, isUnloadable: true, SharedTypes);
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or InvalidOperationException or ArgumentException)
        {
            throw new PluginLoadException($"cannot create a load context: {ex.Message}", ex);
        }

        var instances = new List<PluginInstance>();
        try
        {
            assembly = loader.LoadDefaultAssembly();
            var context = AssemblyLoadContext.GetLoadContext(assembly)
                ?? throw new PluginLoadException("the assembly has no load context");
            var pluginTypes = Discover(assembly);
            var pluginContext = new PluginContext(name, version, settings, _loggerFactory.CreateLogger($"WsBalancer.Plugins.{name}"), dataDirectory);
            var types = new List<PluginTypeInfo>();
            foreach (var type in pluginTypes)
            {
                instances.Add(new PluginInstance(Create(type, pluginContext), type.FullName ?? type.Name, type.Name));
                types.AddRange(KindsOf(type).Select(kind => new PluginTypeInfo(kind, type.FullName ?? type.Name)));
            }

            return new PluginVersion(name, version, sequence, sourcePath, copyPath, _time.GetUtcNow(), manifest, loader, context, instances, types);
        }
        catch (Exception ex)
        {
            // Whatever was created is disposed and the context unloaded: a failed version leaves nothing running.
            PluginVersion.DisposeInstancesAsync(instances).GetAwaiter().GetResult();
            loader.Dispose();
            throw ex as PluginLoadException ?? new PluginLoadException(Describe(ex), ex);
        }
    }

    /// <summary>
    /// Reads the assembly's metadata without loading it: a .NET assembly, referencing a contract this host can serve.
    /// Returns its informational version.
    /// </summary>
    private static string CheckAssembly(string assemblyPath, PluginManifest? manifest)
    {
        Version? sdkReference = null;
        string? informationalVersion = null;
        Version assemblyVersion;
        try
        {
            using var stream = File.OpenRead(assemblyPath);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                throw new PluginLoadException("not a .NET assembly (no metadata)");
            }

            var metadata = pe.GetMetadataReader();
            assemblyVersion = metadata.GetAssemblyDefinition().Version;
            foreach (var handle in metadata.AssemblyReferences)
            {
                var reference = metadata.GetAssemblyReference(handle);
                if (metadata.StringComparer.Equals(reference.Name, SdkAssemblyName))
                {
                    sdkReference = reference.Version;
                }
            }

            informationalVersion = InformationalVersion(metadata);
        }
        catch (BadImageFormatException ex)
        {
            throw new PluginLoadException($"not a valid .NET assembly ({ex.Message})", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new PluginLoadException($"not a valid .NET assembly ({ex.Message})", ex);
        }

        if (sdkReference is null)
        {
            throw new PluginLoadException($"the assembly does not reference {SdkAssemblyName}, so it holds no plugin types");
        }

        var host = HostSdkVersion;
        if (sdkReference.Major != host.Major || sdkReference > host)
        {
            throw new PluginLoadException(sdkReference > host
                ? $"built against {SdkAssemblyName} {Short(sdkReference)}, newer than this host's {Short(host)}: upgrade the balancer or rebuild the plugin against {Short(host)}"
                : $"built against {SdkAssemblyName} {Short(sdkReference)}, an older major version than this host's {Short(host)}: rebuild the plugin against {Short(host)}");
        }

        if (manifest?.Sdk is { } rangeText && SdkVersionRange.TryParse(rangeText, out var range) && !range.Contains(host))
        {
            throw new PluginLoadException($"{PluginManifest.FileName} supports {SdkAssemblyName} {rangeText}, but this host has {Short(host)}");
        }

        // The SDK adds a "+<commit>" suffix to informational versions; operators compare the version itself.
        var text = informationalVersion ?? Short(assemblyVersion);
        var plus = text.IndexOf('+');
        return plus > 0 ? text[..plus] : text;
    }

    private static string? InformationalVersion(MetadataReader metadata)
    {
        foreach (var handle in metadata.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = metadata.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            var constructor = metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (constructor.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            var type = metadata.GetTypeReference((TypeReferenceHandle)constructor.Parent);
            if (!metadata.StringComparer.Equals(type.Name, nameof(AssemblyInformationalVersionAttribute)))
            {
                continue;
            }

            // Custom attribute blob: prolog 0x0001, then one SerString argument.
            var blob = metadata.GetBlobReader(attribute.Value);
            if (blob.Length >= 2 && blob.ReadUInt16() == 1)
            {
                return blob.ReadSerializedString();
            }
        }

        return null;
    }

    private static List<Type> Discover(Assembly assembly)
    {
        Type[] exported;
        try
        {
            exported = assembly.GetExportedTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            var first = ex.LoaderExceptions.FirstOrDefault(e => e is not null);
            throw new PluginLoadException($"its types cannot be loaded: {first?.Message ?? ex.Message}", ex);
        }

        var found = new List<Type>();
        foreach (var type in exported)
        {
            if (type is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && KindsOf(type).Any())
            {
                found.Add(type);
            }
        }

        if (found.Count == 0)
        {
            throw new PluginLoadException("no public non-abstract type implements IBackendDialer, IValveProvider or ISessionListener");
        }

        found.Sort((a, b) => string.CompareOrdinal(a.FullName, b.FullName));
        return found;
    }

    private static IEnumerable<string> KindsOf(Type type)
    {
        if (typeof(IBackendAdministrator).IsAssignableFrom(type))
        {
            yield return "administrator";
        }
        else if (typeof(IBackendDialer).IsAssignableFrom(type))
        {
            yield return "dialer";
        }

        if (typeof(IValveProvider).IsAssignableFrom(type))
        {
            yield return "valve-provider";
        }

        if (typeof(ISessionListener).IsAssignableFrom(type))
        {
            yield return "session-listener";
        }
    }

    private static object Create(Type type, IPluginContext context)
    {
        var withContext = type.GetConstructor([typeof(IPluginContext)]);
        var parameterless = withContext is null ? type.GetConstructor(Type.EmptyTypes) : null;
        if (withContext is null && parameterless is null)
        {
            throw new PluginLoadException($"{type.FullName} has no public constructor taking IPluginContext or nothing");
        }

        try
        {
            return withContext is not null ? withContext.Invoke([context]) : parameterless!.Invoke(null);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            var inner = ex.InnerException;
            throw new PluginLoadException(inner is FileNotFoundException or FileLoadException
                ? $"a dependency is missing or cannot be loaded (in the constructor of {type.FullName}): {inner.Message}"
                : $"the constructor of {type.FullName} threw {inner.GetType().Name}: {inner.Message}", inner);
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException or FileLoadException => $"a dependency is missing or cannot be loaded: {ex.Message}",
        BadImageFormatException => $"not a valid .NET assembly ({ex.Message})",
        TypeLoadException => $"a type cannot be loaded: {ex.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static string Short(Version v) => $"{v.Major}.{Math.Max(v.Minor, 0)}.{Math.Max(v.Build, 0)}";
}
