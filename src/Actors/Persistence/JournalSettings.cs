using Akka.Configuration;

namespace FsAudit.Actors.Persistence;

public enum JournalPlugin
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// The validated <c>fsaudit.journal</c> section. Defaults are the embedded SQLite journal under the state directory.
/// </summary>
public sealed record JournalSettings
{
    /// <summary>
    /// Off: live delivery only. No database is opened, events are numbered from 1 at each start, a subscriber that
    /// falls behind catches up from the recent window only (older events become a gap notice), and acks are not kept
    /// (nothing to resume from).
    /// </summary>
    public bool Enabled { get; init; } = true;

    public JournalPlugin Plugin { get; init; } = JournalPlugin.Sqlite;

    /// <summary>SQLite: the database file (absolute).</summary>
    public string DatabasePath { get; init; } = "";

    /// <summary>PostgreSQL: the Npgsql connection string (required). Unused for SQLite (built from <see cref="DatabasePath"/>).</summary>
    public string ConnectionString { get; init; } = "";

    /// <summary>linq2db provider for PostgreSQL (e.g. <c>PostgreSQL.15</c>).</summary>
    public string PostgreSqlProvider { get; init; } = "PostgreSQL.15";

    /// <summary>A journal write holds at most this many events: a pipeline batch up to this size is written whole when the journal waits for it.</summary>
    public int MaxBatchEvents { get; init; } = 512;

    /// <summary>While a write is in progress, pipeline batches wait until about this many events wait (≤ <see cref="MaxBatchEvents"/>); then the pipeline is held back.</summary>
    public int CatchUpBatchEvents { get; init; } = 256;

    /// <summary>... and at most about this many bytes of record text.</summary>
    public long MaxBatchBytes { get; init; } = 2 << 20;

    /// <summary>How each journal write's events are stored: zstd by default (audit text shrinks tens of times).</summary>
    public JournalCompression Compression { get; init; } = JournalCompression.Zstd;

    /// <summary>zstd level when <see cref="Compression"/> is zstd (negative = zstd's faster, larger levels).</summary>
    public int CompressionLevel { get; init; } = EventBatchCodec.DefaultZstdLevel;

    /// <summary>The writer saves its state every this many journal writes, bounding recovery after a crash.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>One journal write that takes longer than this has failed (the writer then retries).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait before retrying after a failed write (doubles up to <see cref="RetryMaxBackoff"/>).</summary>
    public TimeSpan RetryMinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryMaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Events older than this are pruned; null keeps them regardless of age.</summary>
    public TimeSpan? RetentionMaxAge { get; init; }

    /// <summary>The journal is pruned, oldest first, to stay below this many bytes; null means no size limit. SQLite only.</summary>
    public long? RetentionMaxBytes { get; init; }

    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the live query of a catching-up reader polls (also the query plugin's refresh interval).</summary>
    public TimeSpan QueryRefresh { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Journal rows fetched per query round-trip (each row is one batch, up to <see cref="MaxBatchBytes"/>).</summary>
    public int QueryPageRows { get; init; } = 8;

    /// <summary>Threads that decode and serialize journal reads for subscribers catching up (shared by all of them).</summary>
    public int CatchUpThreads { get; init; } = 1;

    /// <summary>Nice value of those threads: above the live pipeline's, so catching up never starves it.</summary>
    public int CatchUpNice { get; init; } = 10;

    /// <summary>A SQLite journal in <paramref name="stateDirectory"/> with defaults.</summary>
    public static JournalSettings SqliteIn(string stateDirectory) =>
        new() { DatabasePath = Path.Combine(stateDirectory, "journal.db") };

    public const string DefaultHocon = """
        journal {
          enabled = on                   # off: live delivery only (no database; catch-up from the recent window only; no resume)
          plugin = sqlite                # sqlite | postgresql
          path = "journal.db"            # sqlite database file; relative to state-directory
          connection-string = ""         # postgresql: required (Npgsql syntax); sqlite: must stay empty
          postgresql-provider = "PostgreSQL.15"
          batch {
            max-events = 512             # events per journal write, at most (a pipeline batch up to this goes whole)
            catch-up-events = 256        # events that wait while a write is in progress, about (then the pipeline is held back)
            max-bytes = 2MiB             # record text per journal write, about
          }
          compression = zstd             # zstd | zlib | none: how each journal write's events are stored
          compression-level = -1         # zstd only, -7..19 (negative: faster, larger); zlib is always its fastest
          snapshot-every = 100           # journal writes between writer snapshots (bounds crash recovery)
          write-timeout = 30s
          retry-backoff { min = 500ms, max = 10s }
          retention {
            max-age = 0s                 # 0 = keep regardless of age, e.g. 30d
            max-size = 0                 # 0 = no size limit, e.g. 20GiB (sqlite only)
            interval = 1m                # how often pruning runs
          }
          query {
            refresh-interval = 100ms     # poll interval of readers that follow the journal's head
            page-rows = 8                # journal rows per read round-trip
            catch-up-threads = 1         # threads decoding journal reads for subscribers that fell behind
            catch-up-nice = 10           # their nice value (-20..19): catching up yields to the live path
          }
        }
        """;

    /// <summary>
    /// Reads <c>fsaudit.journal</c> (null = all defaults). Throws <see cref="JournalConfigException"/> naming the
    /// key for unknown keys, wrong types and out-of-range values.
    /// </summary>
    public static JournalSettings FromConfig(Config? journal, string stateDirectory)
    {
        var defaults = ConfigurationFactory.ParseString(DefaultHocon).GetConfig("journal");
        var c = journal == null ? defaults : journal.WithFallback(defaults);
        CheckKeys(c, defaults, "fsaudit.journal");

        string plugin = Str(c, "plugin");
        var p = plugin switch
        {
            "sqlite" => JournalPlugin.Sqlite,
            "postgresql" => JournalPlugin.PostgreSql,
            _ => throw new JournalConfigException($"fsaudit.journal.plugin must be sqlite or postgresql (found \"{plugin}\")"),
        };
        string path = Str(c, "path");
        string cs = Str(c, "connection-string");
        if (p == JournalPlugin.PostgreSql && cs.Length == 0)
            throw new JournalConfigException("fsaudit.journal.connection-string is required when plugin = postgresql");
        if (p == JournalPlugin.Sqlite && cs.Length > 0)
            throw new JournalConfigException("fsaudit.journal.connection-string is for postgresql; the sqlite journal is set with fsaudit.journal.path");
        if (p == JournalPlugin.Sqlite && path.Length == 0)
            throw new JournalConfigException("fsaudit.journal.path must not be empty");

        string compression = Str(c, "compression");
        var compressionKind = compression switch
        {
            "zstd" => JournalCompression.Zstd,
            "zlib" => JournalCompression.Zlib,
            "none" => JournalCompression.None,
            _ => throw new JournalConfigException($"fsaudit.journal.compression must be zstd, zlib or none (found \"{compression}\")"),
        };
        long level = Int(c, "compression-level");
        if (level is < EventBatchCodec.MinZstdLevel or > EventBatchCodec.MaxZstdLevel)
            throw new JournalConfigException(
                $"fsaudit.journal.compression-level must be between {EventBatchCodec.MinZstdLevel} and {EventBatchCodec.MaxZstdLevel} (found {level})");
        long maxAge = (long)Duration(c, "retention.max-age").TotalMilliseconds;
        long maxSize = Bytes(c, "retention.max-size");
        if (maxSize > 0 && p != JournalPlugin.Sqlite)
            throw new JournalConfigException("fsaudit.journal.retention.max-size is only supported with plugin = sqlite (use max-age)");

        var s = new JournalSettings
        {
            Enabled = Bool(c, "enabled"),
            Plugin = p,
            DatabasePath = p == JournalPlugin.Sqlite ? (Path.IsPathRooted(path) ? path : Path.Combine(stateDirectory, path)) : "",
            ConnectionString = cs,
            PostgreSqlProvider = Str(c, "postgresql-provider"),
            Compression = compressionKind,
            CompressionLevel = (int)level,
            MaxBatchEvents = (int)Positive(c, "batch.max-events", Int(c, "batch.max-events"), 1_000_000),
            CatchUpBatchEvents = (int)Positive(c, "batch.catch-up-events", Int(c, "batch.catch-up-events"), 1_000_000),
            MaxBatchBytes = Positive(c, "batch.max-bytes", Bytes(c, "batch.max-bytes"), 256L << 20),
            SnapshotEvery = (int)Positive(c, "snapshot-every", Int(c, "snapshot-every"), 1_000_000),
            WriteTimeout = PositiveDuration(c, "write-timeout"),
            RetryMinBackoff = PositiveDuration(c, "retry-backoff.min"),
            RetryMaxBackoff = PositiveDuration(c, "retry-backoff.max"),
            RetentionMaxAge = maxAge > 0 ? TimeSpan.FromMilliseconds(maxAge) : null,
            RetentionMaxBytes = maxSize > 0 ? maxSize : null,
            PruneInterval = PositiveDuration(c, "retention.interval"),
            QueryRefresh = PositiveDuration(c, "query.refresh-interval"),
            QueryPageRows = (int)Positive(c, "query.page-rows", Int(c, "query.page-rows"), 10_000),
            CatchUpThreads = (int)Positive(c, "query.catch-up-threads", Int(c, "query.catch-up-threads"), 64),
            CatchUpNice = (int)Int(c, "query.catch-up-nice") is var nice and >= -20 and <= 19 ? nice
                : throw new JournalConfigException($"fsaudit.journal.query.catch-up-nice must be between -20 and 19 (found {Int(c, "query.catch-up-nice")})"),
        };
        if (s.CatchUpBatchEvents > s.MaxBatchEvents)
            throw new JournalConfigException(
                $"fsaudit.journal.batch.catch-up-events ({s.CatchUpBatchEvents}) must not be above batch.max-events ({s.MaxBatchEvents})");
        if (s.RetryMaxBackoff < s.RetryMinBackoff)
            throw new JournalConfigException("fsaudit.journal.retry-backoff.max must not be below retry-backoff.min");
        return s;
    }

    private static void CheckKeys(Config c, Config defaults, string path)
    {
        foreach (var kv in c.Root.GetObject().Items)
        {
            var d = defaults.Root.GetObject().Items.TryGetValue(kv.Key, out var dv) ? dv : null;
            if (d == null)
                throw new JournalConfigException($"unknown key {path}.{kv.Key} (known: {string.Join(", ", defaults.Root.GetObject().Items.Keys)})");
            if (d.IsObject())
            {
                if (!kv.Value.IsObject()) throw new JournalConfigException($"{path}.{kv.Key} must be an object");
                CheckKeys(c.GetConfig(kv.Key), defaults.GetConfig(kv.Key), $"{path}.{kv.Key}");
            }
        }
    }

    private static string Str(Config c, string key)
    {
        try { return c.GetString(key) ?? ""; }
        catch (Exception e) { throw new JournalConfigException($"fsaudit.journal.{key} must be a string: {e.Message}"); }
    }

    private static bool Bool(Config c, string key)
    {
        // HOCON booleans: on/off/true/false; anything else throws.
        try { return c.GetBoolean(key); }
        catch (Exception e) { throw new JournalConfigException($"fsaudit.journal.{key} must be on or off: {e.Message}"); }
    }

    private static long Int(Config c, string key)
    {
        try { return c.GetLong(key); }
        catch (Exception e) { throw new JournalConfigException($"fsaudit.journal.{key} must be an integer: {e.Message}"); }
    }

    private static long Bytes(Config c, string key)
    {
        long? v;
        try { v = c.GetByteSize(key); }
        catch (Exception e) { throw new JournalConfigException($"fsaudit.journal.{key} must be a size such as 512MiB: {e.Message}"); }
        if (v is null or < 0) throw new JournalConfigException($"fsaudit.journal.{key} must be a size such as 512MiB");
        return v.Value;
    }

    private static TimeSpan Duration(Config c, string key)
    {
        TimeSpan v;
        try { v = c.GetTimeSpan(key, allowInfinite: false); }
        catch (Exception e) { throw new JournalConfigException($"fsaudit.journal.{key} must be a duration such as 30s or 7d: {e.Message}"); }
        if (v < TimeSpan.Zero) throw new JournalConfigException($"fsaudit.journal.{key} must not be negative");
        return v;
    }

    private static TimeSpan PositiveDuration(Config c, string key)
    {
        var v = Duration(c, key);
        if (v <= TimeSpan.Zero) throw new JournalConfigException($"fsaudit.journal.{key} must be greater than 0");
        return v;
    }

    private static long Positive(Config c, string key, long v, long max)
    {
        if (v < 1 || v > max) throw new JournalConfigException($"fsaudit.journal.{key} must be between 1 and {max} (found {v})");
        return v;
    }
}

/// <summary>A bad <c>fsaudit.journal</c> setting.</summary>
public sealed class JournalConfigException(string message) : Exception(message);
