using System.Text.Json;
using System.Text.Json.Serialization;

namespace WsBalancer.Host.Plugins;

/// <summary>The optional <c>plugin.json</c> beside a plugin's DLL.</summary>
/// <example><c>{ "version": "1.2.0", "description": "Redacts card numbers", "sdk": "[1.1,2.0)", "order": 10 }</c></example>
internal sealed record PluginManifest
{
    public const string FileName = "plugin.json";

    /// <summary>The version shown in <c>/plugin/list</c>; default: the assembly's informational version.</summary>
    public string? Version { get; init; }

    public string? Description { get; init; }

    /// <summary>The SDK versions the plugin supports, as a <see cref="SdkVersionRange"/>.</summary>
    public string? Sdk { get; init; }

    /// <summary>Position among plugins not named by <c>plugins.order</c>: lower runs first; default 0, then by name.</summary>
    public int Order { get; init; }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Reads the manifest of a plugin folder: null when there is none; throws <see cref="PluginLoadException"/> when it is bad.</summary>
    public static PluginManifest? Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var manifest = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllBytes(path), Options)
                ?? throw new PluginLoadException($"{FileName} is empty (null)");
            if (manifest.Sdk is not null && !SdkVersionRange.TryParse(manifest.Sdk, out _))
            {
                throw new PluginLoadException($"{FileName}: sdk '{manifest.Sdk}' is not a version range such as 1.1 or [1.1,2.0)");
            }

            return manifest;
        }
        catch (JsonException ex)
        {
            throw new PluginLoadException($"{FileName} is not valid JSON ({ex.Message})");
        }
    }
}

/// <summary>An expected reason a plugin version cannot be loaded; the message is shown to the operator as is.</summary>
internal sealed class PluginLoadException(string message, Exception? innerException = null) : Exception(message, innerException);
