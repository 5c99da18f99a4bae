namespace WsBalancer.TestPlugins.DependencyLib;

/// <summary>A type the NeedsDependency plugin uses from its own dependency, which the host does not have.</summary>
public static class Greeting
{
    public static string Prefix => "dep: ";
}
