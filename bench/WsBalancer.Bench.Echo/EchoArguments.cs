using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace WsBalancer.Bench.Echo;

/// <summary>Command line of the echo backend.</summary>
internal sealed record EchoArguments(int Port, string Name, int? ControlPort)
{
    public const string Usage = "usage: WsBalancer.Bench.Echo --port P [--name NAME] [--control-port P2]";

    public static bool TryParse(string[] args, [NotNullWhen(true)] out EchoArguments? arguments, out string? error)
    {
        arguments = null;
        error = null;
        int? port = null;
        int? controlPort = null;
        var name = "echo";
        for (var i = 0; i < args.Length; i++)
        {
            var key = args[i];
            if (key is "-h" or "--help")
            {
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"missing value for {key}";
                return false;
            }

            var value = args[++i];
            switch (key)
            {
                case "--port":
                    port = ParsePort(value, ref error);
                    break;
                case "--control-port":
                    controlPort = ParsePort(value, ref error);
                    break;
                case "--name":
                    name = value;
                    break;
                default:
                    error = $"unknown option {key}";
                    return false;
            }

            if (error is not null)
            {
                return false;
            }
        }

        if (port is null)
        {
            error = "--port is required";
            return false;
        }

        arguments = new EchoArguments(port.Value, name, controlPort);
        return true;
    }

    private static int? ParsePort(string value, ref string? error)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            return port;
        }

        error = $"'{value}' is not a TCP port";
        return null;
    }
}
