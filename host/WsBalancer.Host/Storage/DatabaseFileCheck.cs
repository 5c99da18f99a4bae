namespace WsBalancer.Host.Storage;

/// <summary>
/// Refuses, before LiteDB sees it, an existing file that is not a LiteDB 5 data file.
/// </summary>
/// <remarks>
/// LiteDB 5.0.21 does not refuse such files safely: it crops a file whose length is not a multiple of its 8 KiB page and
/// then initializes a file it finds empty, so a short file of any content is silently overwritten with a new database;
/// a longer one fails with whatever exception its header bytes provoke (ArgumentOutOfRangeException for a bad date).
/// </remarks>
internal static class DatabaseFileCheck
{
    public const int PageSize = 8192;

    // LiteDB's HeaderPage: HEADER_INFO at byte 32, FILE_VERSION at byte 59, byte 0 = 1 for an encrypted file.
    private const int HeaderInfoOffset = 32;
    private const int FileVersionOffset = 59;
    private const byte FileVersion = 8;
    private static readonly byte[] HeaderInfo = "** This is a LiteDB file **"u8.ToArray();

    // LiteDB's BasePage header: PageID (uint32) at 0, PageType at 4 (Empty 0 … Data 4), IsConfirmed (bool) at 18.
    private const int PageTypeOffset = 4;
    private const byte MaxPageType = 4;
    private const int IsConfirmedOffset = 18;

    /// <summary>
    /// Null when the write-ahead log beside the data file is missing, empty, or every whole page in it has a plausible
    /// LiteDB page header; else why not.
    /// </summary>
    /// <remarks>
    /// LiteDB 5 has no page checksums and replays every committed page of its log when it opens the data file, so a
    /// damaged log would be copied into the database (and backends silently lost). A trailing partial page is a torn
    /// last write, which LiteDB ignores, so it is not held against the file.
    /// </remarks>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static string? LogProblem(string logPath, long dataLength)
    {
        if (!File.Exists(logPath))
        {
            return null;
        }

        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var pages = stream.Length / PageSize;
        // Every page a transaction creates passes through the log, so no page id can lie beyond both files together.
        var maxPageId = (dataLength / PageSize) + pages;
        var page = new byte[PageSize];
        for (var i = 0L; i < pages; i++)
        {
            stream.ReadExactly(page);
            var pageId = BitConverter.ToUInt32(page, 0);
            if (page[PageTypeOffset] > MaxPageType || page[IsConfirmedOffset] > 1 || pageId > maxPageId)
            {
                return $"page {i} of the write-ahead log is not a LiteDB page (id {pageId}, type {page[PageTypeOffset]})";
            }
        }

        return null;
    }

    /// <summary>Null when <paramref name="path"/> is missing, empty (LiteDB initializes it) or starts with a LiteDB 5 header; else why not.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static string? Problem(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // FileShare.ReadWrite takes only a shared lock, as LiteDB's own opens do, so this read conflicts with nothing.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length == 0)
        {
            return null;
        }

        if (stream.Length < PageSize)
        {
            return $"{stream.Length} bytes is shorter than one {PageSize}-byte LiteDB page";
        }

        var header = new byte[PageSize];
        stream.ReadExactly(header);
        if (header[0] == 1)
        {
            return "it is an encrypted LiteDB file, and WsBalancer uses no password";
        }

        return header.AsSpan(HeaderInfoOffset, HeaderInfo.Length).SequenceEqual(HeaderInfo) && header[FileVersionOffset] == FileVersion
            ? null
            : "it has no LiteDB 5 file header";
    }
}
