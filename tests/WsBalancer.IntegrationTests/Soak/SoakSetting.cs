using System.Globalization;

namespace WsBalancer.IntegrationTests.Soak;

/// <summary>The soak and stress tests' sizes, from the environment: a whole number above 0, or the default.</summary>
internal static class SoakSetting
{
    public static int Get(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
