namespace WsBalancer.Templates.Tests;

/// <summary>How long each kind of CLI run may take before it is killed: several times what it takes here.</summary>
internal static class Timeouts
{
    /// <summary>Restore, build, pack, test or publish of a small project.</summary>
    public static readonly TimeSpan Build = TimeSpan.FromSeconds(90);

    /// <summary>A <c>dotnet new</c> command, or a <c>dotnet nuget</c> query.</summary>
    public static readonly TimeSpan Template = TimeSpan.FromSeconds(30);
}
