using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Hosting;

/// <summary>Maps the ancestor's logging-level names (and .NET's own) to a <see cref="LogLevel"/>.</summary>
internal static class LogLevels
{
    public static bool TryParse(string? text, out LogLevel level)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "TRACE": level = LogLevel.Trace; return true;
            case "DEBUG": level = LogLevel.Debug; return true;
            case "INFO" or "INFORMATION": level = LogLevel.Information; return true;
            case "WARN" or "WARNING": level = LogLevel.Warning; return true;
            case "ERROR": level = LogLevel.Error; return true;
            case "FATAL" or "PANIC" or "CRITICAL": level = LogLevel.Critical; return true;
            case "NONE": level = LogLevel.None; return true;
            default: level = LogLevel.Warning; return false;
        }
    }
}
