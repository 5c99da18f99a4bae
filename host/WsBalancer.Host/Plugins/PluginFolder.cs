using System.Globalization;
using System.Text;

namespace WsBalancer.Host.Plugins;

/// <summary>
/// A plugin folder the user writes to (<c>plugins/&lt;Name&gt;/</c>). The host never loads from it: a version is copied
/// into an immutable folder first (overwriting a loaded DLL in place can crash the process on Linux, and a half-written
/// one fails to load), and only once its files have stopped changing.
/// </summary>
internal static class PluginFolder
{
    /// <summary>Files beyond this many, or bytes beyond this total, make the folder a failed plugin instead of a huge copy.</summary>
    public const int MaxFiles = 2000;
    public const long MaxBytes = 512L * 1024 * 1024;

    /// <summary>True when the folder holds a project (<c>*.csproj</c>): a source folder, not a built plugin.</summary>
    public static bool IsSourceProject(string folder)
    {
        try
        {
            return Directory.EnumerateFiles(folder, "*.csproj", SearchOption.TopDirectoryOnly).Any();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Names, sizes and write times of every file under the folder, as one comparable string; null when the folder
    /// cannot be read (it is being deleted or replaced).
    /// </summary>
    public static string? Fingerprint(string folder)
    {
        try
        {
            var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
            Array.Sort(files, StringComparer.Ordinal);
            var text = new StringBuilder(files.Length * 64);
            foreach (var file in files)
            {
                var info = new FileInfo(file);
                text.Append(Path.GetRelativePath(folder, file)).Append('|')
                    .Append(info.Length.ToString(CultureInfo.InvariantCulture)).Append('|')
                    .Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            return text.ToString();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Copies the folder to <paramref name="destination"/> (created; must not exist). Throws <see cref="PluginLoadException"/> past the limits.</summary>
    public static void Copy(string source, string destination)
    {
        var files = Directory.GetFiles(source, "*", SearchOption.AllDirectories);
        if (files.Length > MaxFiles)
        {
            throw new PluginLoadException($"the folder holds {files.Length} files, more than the limit of {MaxFiles}");
        }

        long total = 0;
        foreach (var file in files)
        {
            total += new FileInfo(file).Length;
        }

        if (total > MaxBytes)
        {
            throw new PluginLoadException($"the folder holds {total} bytes, more than the limit of {MaxBytes}");
        }

        Directory.CreateDirectory(destination);
        foreach (var file in files)
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A copy that cannot be deleted now is deleted with the versions folder at the next start.
        }
    }
}
