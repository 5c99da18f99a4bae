using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace WsBalancer.Host.Configuration;

/// <summary>Reads the <c>server</c> and <c>upstream</c> sections of the optional appsettings.json beside the binary.</summary>
internal static class AppSettingsFile
{
    public const string FileName = "appsettings.json";

    private static readonly string[] Sections = ["server", "upstream"];

    public static ConfigurationLayer Load(string baseDirectory)
    {
        var layer = new ConfigurationLayer();
        var path = Path.Combine(baseDirectory, FileName);
        if (!File.Exists(path))
        {
            return layer;
        }

        IConfigurationRoot json;
        try
        {
            using var stream = File.OpenRead(path);
            json = new ConfigurationBuilder().AddJsonStream(stream).Build();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationErrorException(FileName, path, $"a readable JSON file ({ex.Message})");
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidDataException)
        {
            // Depending on the provider version the JsonException, which carries the line and byte position, may be wrapped.
            throw new ConfigurationErrorException(FileName, path, $"valid JSON ({ex.InnerException?.Message ?? ex.Message})");
        }

        foreach (var (key, value) in json.AsEnumerable())
        {
            var section = key.Split(':')[0];
            if (!Sections.Contains(section, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            // A null or empty scalar is not set, as in the YAML file. The provider reports [] as a null value, which is
            // kept for the value lists (as "") so that an empty list replaces a lower layer's.
            if (value is { Length: > 0 })
            {
                layer.Set(key, value);
            }
            else if (value is null && ConfigKey.Normalize(key, out _) is var normalized && ConfigKey.ValueListRoot(normalized) == normalized)
            {
                layer.Set(key, "");
            }
        }

        return layer;
    }
}
