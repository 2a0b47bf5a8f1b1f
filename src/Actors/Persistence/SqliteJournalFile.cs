using Microsoft.Data.Sqlite;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// Checks and prepares the SQLite journal file before the actor system touches it, so a damaged or unwritable
/// database is a clear start-up error rather than a plugin failure in the log — and is never replaced silently.
/// </summary>
public static class SqliteJournalFile
{
    private static readonly byte[] Magic = "SQLite format 3\0"u8.ToArray();

    /// <summary>
    /// Creates the file (incremental auto-vacuum, WAL) when missing; otherwise verifies it is a readable SQLite
    /// database we may write. Throws <see cref="JournalStartupException"/> with the path and the reason.
    /// </summary>
    public static void Prepare(string path)
    {
        if (Directory.Exists(path)) throw new JournalStartupException($"journal database {path} is a directory");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalStartupException($"cannot create the journal directory {dir}: {e.Message}");
        }

        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (exists) CheckHeader(path);
        try
        {
            var cs = new SqliteConnectionStringBuilder(JournalBootstrap.SqliteConnectionString(path))
            {
                Mode = exists ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadWriteCreate,
                Pooling = false, // the probe must not keep the file open
            };
            using var c = new SqliteConnection(cs.ToString());
            c.Open();
            // Before any table exists: lets pruning give pages back to the file system (disk-full recovery).
            if (!exists) Exec(c, "PRAGMA auto_vacuum=INCREMENTAL;");
            var mode = Scalar(c, "PRAGMA journal_mode=WAL;");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new JournalStartupException($"journal database {path} cannot use WAL mode (journal_mode is {mode})");
            Scalar(c, "SELECT count(*) FROM sqlite_master;");
            // A write in a rolled-back transaction proves the file (and its -wal/-shm) are writable, changing nothing.
            using var tx = c.BeginTransaction();
            Exec(c, "CREATE TABLE fsaudit_write_probe(x);", tx);
            tx.Rollback();
        }
        catch (SqliteException e)
        {
            throw new JournalStartupException(Describe(path, e));
        }
    }

    /// <summary>Verifies the database can be opened for reading (replay, status without a daemon).</summary>
    public static void CheckReadable(string path)
    {
        if (!File.Exists(path)) throw new JournalStartupException($"no journal at {path}");
        CheckHeader(path);
        try
        {
            using var c = new SqliteConnection(JournalBootstrap.SqliteConnectionString(path, readOnly: true) + ";Pooling=False");
            c.Open();
            Scalar(c, "SELECT count(*) FROM sqlite_master;");
        }
        catch (SqliteException e)
        {
            throw new JournalStartupException(Describe(path, e));
        }
    }

    /// <summary>False for a database the journal plugin has not initialized yet (nothing was ever written).</summary>
    public static bool HasJournalTable(string path)
    {
        using var c = new SqliteConnection(JournalBootstrap.SqliteConnectionString(path, readOnly: true) + ";Pooling=False");
        c.Open();
        return Scalar(c, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='event_journal';") != "0";
    }

    /// <summary>Bytes in use (allocated pages minus free pages) and the file's size, WAL included.</summary>
    public static (long UsedBytes, long FileBytes) Size(string path)
    {
        using var c = new SqliteConnection(JournalBootstrap.SqliteConnectionString(path, readOnly: true));
        c.Open();
        long pageSize = long.Parse(Scalar(c, "PRAGMA page_size;")!);
        long pages = long.Parse(Scalar(c, "PRAGMA page_count;")!);
        long free = long.Parse(Scalar(c, "PRAGMA freelist_count;")!);
        long file = new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
        return ((pages - free) * pageSize, file);
    }

    /// <summary>Returns free pages to the file system and truncates the WAL (after pruning).</summary>
    public static void Compact(string path)
    {
        using var c = new SqliteConnection(JournalBootstrap.SqliteConnectionString(path));
        c.Open();
        Exec(c, "PRAGMA busy_timeout=30000; PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private static void CheckHeader(string path)
    {
        var head = new byte[Magic.Length];
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n < head.Length || !head.AsSpan().SequenceEqual(Magic))
                throw new JournalStartupException(
                    $"journal database {path} is not a SQLite database (damaged or a different file); it was left untouched — move it away to start a new journal");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalStartupException($"cannot read journal database {path}: {e.Message}");
        }
    }

    private static string Describe(string path, SqliteException e) => e.SqliteErrorCode switch
    {
        8 => $"journal database {path} is read-only (or on a read-only file system): {e.Message}",
        11 or 26 => $"journal database {path} is damaged; it was left untouched — move it away to start a new journal ({e.Message})",
        13 => $"journal database {path}: the disk is full ({e.Message})",
        14 => WriteProbe(path) is { } why
            ? $"journal database {path} is not writable ({why}); it was left untouched"
            : $"cannot open journal database {path}: {e.Message}",
        _ => $"journal database {path}: {e.Message}",
    };

    /// <summary>Why the file cannot be opened for writing (e.g. a read-only file system); null when it can.</summary>
    private static string? WriteProbe(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) ? "read-only file system" : e.Message;
        }
    }

    private static void Exec(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    private static string? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>The journal cannot be used; the message says which file and why.</summary>
public sealed class JournalStartupException(string message, Exception? inner = null) : Exception(message, inner);
