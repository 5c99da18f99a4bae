using System.Globalization;
using System.Text.Json;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>
/// The JSON-lines copy of the records for log shippers: one file per UTC day, <c>export/audit-YYYY-MM-DD.jsonl</c>,
/// one record per line, appended as batches are written.
/// </summary>
internal sealed class AuditExport
{
    public const string FolderName = "export";
    private const string Prefix = "audit-";
    private const string Extension = ".jsonl";
    private const string DateFormat = "yyyy-MM-dd";

    private readonly string _directory;

    public AuditExport(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    public static string FileNameFor(DateOnly day) => Prefix + day.ToString(DateFormat, CultureInfo.InvariantCulture) + Extension;

    /// <summary>Appends one line per record to the file of the record's UTC day.</summary>
    public void Append(IReadOnlyList<AuditRecord> records)
    {
        FileStream? file = null;
        DateOnly? fileDay = null;
        try
        {
            foreach (var record in records)
            {
                var day = DateOnly.FromDateTime(record.At.UtcDateTime);
                if (day != fileDay)
                {
                    file?.Dispose();

                    // FileShare.Read: a shipper may tail the file while it grows.
                    file = new FileStream(Path.Combine(_directory, FileNameFor(day)), FileMode.Append, FileAccess.Write, FileShare.Read);
                    fileDay = day;
                }

                file!.Write(JsonSerializer.SerializeToUtf8Bytes(record, AuditJsonContext.Default.AuditRecord));
                file.WriteByte((byte)'\n');
            }
        }
        finally
        {
            file?.Dispose();
        }
    }

    /// <summary>Deletes the day files whose every record is older than <paramref name="cutoff"/>.</summary>
    /// <returns>How many files were deleted.</returns>
    public int DeleteOlderThan(DateTimeOffset cutoff)
    {
        var deleted = 0;
        foreach (var path in Directory.EnumerateFiles(_directory, Prefix + "*" + Extension))
        {
            var name = Path.GetFileName(path);
            var datePart = name.AsSpan(Prefix.Length, name.Length - Prefix.Length - Extension.Length);
            if (DateOnly.TryParseExact(datePart, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) <= cutoff)
            {
                File.Delete(path);
                deleted++;
            }
        }

        return deleted;
    }
}
