using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using FsAudit.Actors.Persistence;
using FsAudit.Actors.Sinks;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Enrichment;
using FsAudit.Host.Metrics;
using FsAudit.Host.Server;

namespace FsAudit.Host.Configuration;

/// <summary>
/// The shape of the <c>fsaudit</c> section: every key, its type, nothing else. Binding walks the
/// merged HOCON, rejects unknown keys and wrong types with the key's path, and builds
/// <see cref="FsAuditSettings"/>.
/// </summary>
public static class ConfigSchema
{
    private static readonly string[] TopKeys =
        ["watches", "rules", "state-directory", "socket-path", "subscribers", "stats-interval", "kernel", "audit-log", "enrichment", "metrics",
         "journal", "correlation", "pipeline", "classes"];
    private static readonly string[] AuditLogKeys = ["enabled", "path", "max-file-size", "num-logs", "flush", "freq"];
    private static readonly string[] EnrichmentKeys =
        ["enabled", "names", "parent-exe", "container", "name-ttl", "process-ttl", "process-cache-size"];
    private static readonly string[] MetricsKeys = ["enabled", "address", "port", "allow-non-loopback"];
    private static readonly string[] SubscriberKeys =
        ["socket-mode", "socket-group", "allowed-uids", "allowed-gids", "max-subscribers", "max-request-line", "buffer-size", "request-timeout", "recent-window", "total-buffer-size"];
    private static readonly string[] KernelKeys =
        ["mode", "backlog-limit", "backlog-wait-time", "rate-limit", "receive-buffer", "failure", "registration-check-interval"];
    private static readonly string[] CorrelationKeys = ["timeout", "max-in-flight"];
    private static readonly string[] PipelineKeys = ["buffer-records", "spill-directory", "read-coalesce", "reader-nice", "daemon-nice"];
    private static readonly string[] WatchKeys = ["path", "perm", "key"];

    public static FsAuditSettings Bind(Config config)
    {
        var root = config.Root.GetObject();
        var fs = Object(root, "fsaudit", "fsaudit");
        Known(fs, TopKeys, "fsaudit");
        var kernel = Object(fs, "kernel", "fsaudit.kernel");
        Known(kernel, KernelKeys, "fsaudit.kernel");
        var correlation = Object(fs, "correlation", "fsaudit.correlation");
        Known(correlation, CorrelationKeys, "fsaudit.correlation");
        var pipeline = Object(fs, "pipeline", "fsaudit.pipeline");
        Known(pipeline, PipelineKeys, "fsaudit.pipeline");

        var classes = Classes(fs);
        ClassCatalog catalog;
        try { catalog = ClassCatalog.Build(classes); }
        catch (ClassCatalogException e) { throw new ConfigException(e.Message); }

        var subscribers = Object(fs, "subscribers", "fsaudit.subscribers");
        Known(subscribers, SubscriberKeys, "fsaudit.subscribers");
        string socketPath = NonEmpty(fs, "socket-path", "fsaudit");

        string mode = Enum(kernel, "mode", "fsaudit.kernel", "daemon", "multicast");
        string failure = Enum(kernel, "failure", "fsaudit.kernel", "silent", "printk");

        var watches = Watches(fs);
        var rules = StringList(fs, "rules", "fsaudit");
        if (mode == "multicast" && (watches.Count > 0 || rules.Count > 0))
            throw new ConfigException("fsaudit.kernel.mode: multicast reads alongside another audit daemon, which owns the rules: " +
                                      "leave fsaudit.watches and fsaudit.rules empty (or use mode = daemon)");

        string stateDirectory = NonEmpty(fs, "state-directory", "fsaudit");
        JournalSettings journal;
        try { journal = JournalSettings.FromConfig(config.GetConfig("fsaudit.journal"), stateDirectory); }
        catch (JournalConfigException e) { throw new ConfigException(e.Message); }

        return new FsAuditSettings(
            Watches: watches,
            Rules: rules,
            StateDirectory: stateDirectory,
            Journal: journal,
            SocketPath: socketPath,
            Subscribers: Subscribers(subscribers, socketPath),
            StatsInterval: Duration(fs, "stats-interval", "fsaudit"),
            Kernel: new KernelSettings(
                mode,
                (uint)Integer(kernel, "backlog-limit", "fsaudit.kernel", 1, uint.MaxValue),
                (uint)Integer(kernel, "backlog-wait-time", "fsaudit.kernel", 0, 600 * 1000),
                (uint)Integer(kernel, "rate-limit", "fsaudit.kernel", 0, uint.MaxValue),
                (int)Size(kernel, "receive-buffer", "fsaudit.kernel", 64 * 1024, int.MaxValue),
                failure == "silent" ? 0u : 1u,
                Duration(kernel, "registration-check-interval", "fsaudit.kernel")),
            AuditLog: AuditLog(Object(fs, "audit-log", "fsaudit.audit-log")),
            Enrichment: Enrichment(Object(fs, "enrichment", "fsaudit.enrichment")),
            Metrics: Metrics(Object(fs, "metrics", "fsaudit.metrics")),
            Correlation: new CorrelationSettings(
                Duration(correlation, "timeout", "fsaudit.correlation"),
                (int)Integer(correlation, "max-in-flight", "fsaudit.correlation", 16, 10_000_000)),
            Pipeline: new PipelineBufferSettings(
                (int)Integer(pipeline, "buffer-records", "fsaudit.pipeline", 1024, 100_000_000),
                NonEmpty(pipeline, "spill-directory", "fsaudit.pipeline"),
                ReadCoalesce(pipeline),
                (int)Integer(pipeline, "reader-nice", "fsaudit.pipeline", -20, 19),
                (int)Integer(pipeline, "daemon-nice", "fsaudit.pipeline", -20, 19)),
            Classes: classes,
            Catalog: catalog,
            Hocon: config);
    }

    private static HoconObject Object(HoconObject parent, string key, string path)
    {
        if (!parent.Items.TryGetValue(key, out var value) || !value.IsObject())
            throw new ConfigException($"{path}: expected an object {{ ... }}");
        return value.GetObject();
    }

    private static void Known(HoconObject obj, string[] known, string path)
    {
        foreach (var key in obj.Items.Keys)
            if (Array.IndexOf(known, key) < 0)
                throw new ConfigException($"{path}.{key}: unknown key (known keys: {string.Join(", ", known)})");
    }

    private static HoconValue Value(HoconObject obj, string key, string path) =>
        obj.Items.TryGetValue(key, out var v) && !v.IsEmpty ? v : throw new ConfigException($"{path}.{key}: missing");

    /// <summary>A list's items, accepting every form Akka's HOCON gives an empty list.</summary>
    private static IList<HoconValue> ListItems(HoconObject obj, string key, string path, string expected)
    {
        if (!obj.Items.TryGetValue(key, out var v)) throw new ConfigException($"{path}.{key}: missing");
        if (v.IsEmpty) return [];
        if (v.IsArray()) return v.GetArray();
        // Akka's parser keeps `[]` as an empty array element plus a whitespace literal, which IsArray() rejects.
        bool onlyEmptyArrays = v.Values.All(e => e is HoconArray { Count: 0 } || (e is HoconLiteral l && string.IsNullOrWhiteSpace(l.Value)));
        return onlyEmptyArrays ? [] : throw new ConfigException($"{path}.{key}: expected {expected}");
    }

    private static string Scalar(HoconObject obj, string key, string path)
    {
        var v = Value(obj, key, path);
        if (!v.IsString()) throw new ConfigException($"{path}.{key}: expected a single value, not an object or list");
        return v.GetString();
    }

    private static string NonEmpty(HoconObject obj, string key, string path)
    {
        var s = Scalar(obj, key, path);
        return s.Length > 0 ? s : throw new ConfigException($"{path}.{key}: must not be empty");
    }

    private static string Enum(HoconObject obj, string key, string path, params string[] allowed)
    {
        var s = Scalar(obj, key, path);
        return Array.IndexOf(allowed, s) >= 0
            ? s
            : throw new ConfigException($"{path}.{key}: '{s}' is not one of {string.Join(", ", allowed)}");
    }

    private static long Integer(HoconObject obj, string key, string path, long min, long max)
    {
        var s = Scalar(obj, key, path);
        if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n))
            throw new ConfigException($"{path}.{key}: expected an integer, got '{s}'");
        if (n < min || n > max)
            throw new ConfigException($"{path}.{key}: {n} is out of range [{min}, {max}]");
        return n;
    }

    internal static long Size(HoconObject obj, string key, string path, long min, long max)
    {
        var s = Scalar(obj, key, path);
        long n = ParseSize(s) ?? throw new ConfigException($"{path}.{key}: expected a size like 64MiB, got '{s}'");
        if (n < min || n > max) throw new ConfigException($"{path}.{key}: {s} is out of range [{min}, {max}] bytes");
        return n;
    }

    internal static long? ParseSize(string s)
    {
        s = s.Trim();
        int i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0 || !long.TryParse(s.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out long n)) return null;
        long unit = s[i..].Trim().ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            _ => 0,
        };
        return unit == 0 || n > long.MaxValue / unit ? null : n * unit;
    }

    internal static TimeSpan Duration(HoconObject obj, string key, string path)
    {
        var s = Scalar(obj, key, path);
        return ParseDuration(s) ?? throw new ConfigException($"{path}.{key}: expected a duration like 500ms, 3s or 1m, got '{s}'");
    }

    internal static TimeSpan? ParseDuration(string s)
    {
        s = s.Trim();
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        if (i == 0 || !double.TryParse(s.AsSpan(0, i), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n))
            return null;
        double ms = s[i..].Trim() switch
        {
            "" or "ms" => n,
            "s" => n * 1000,
            "m" or "min" => n * 60_000,
            "h" => n * 3_600_000,
            _ => -1,
        };
        return ms < 0 ? null : TimeSpan.FromMilliseconds(ms);
    }

    private static IReadOnlyList<string> StringList(HoconObject obj, string key, string path)
    {
        var items = ListItems(obj, key, path, "a list [ ... ]");
        var list = new List<string>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            if (!items[i].IsString()) throw new ConfigException($"{path}.{key}[{i}]: expected a string");
            list.Add(items[i].GetString());
        }
        return list;
    }

    private static IReadOnlyList<WatchSettings> Watches(HoconObject fs)
    {
        var items = ListItems(fs, "watches", "fsaudit", "a list of { path, perm, key }");
        var list = new List<WatchSettings>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            string path = $"fsaudit.watches[{i}]";
            if (!items[i].IsObject()) throw new ConfigException($"{path}: expected an object {{ path = ..., perm = wa, key = ... }}");
            var w = items[i].GetObject();
            Known(w, WatchKeys, path);
            string watchPath = NonEmpty(w, "path", path);
            if (!System.IO.Path.IsPathRooted(watchPath)) throw new ConfigException($"{path}.path: '{watchPath}' must be absolute");
            string perm = w.Items.ContainsKey("perm") ? Scalar(w, "perm", path) : "wa";
            if (perm.Length == 0 || perm.Any(c => "rwxa".IndexOf(c) < 0) || perm.Distinct().Count() != perm.Length)
                throw new ConfigException($"{path}.perm: '{perm}' must be a combination of r, w, x, a");
            string? key = w.Items.ContainsKey("key") ? Scalar(w, "key", path) : null;
            if (key is { Length: > 255 }) throw new ConfigException($"{path}.key: longer than 255 bytes");
            list.Add(new WatchSettings(WatchSettings.NormalizePath(watchPath), perm, string.IsNullOrEmpty(key) ? null : key));
        }
        return list;
    }

    private static TimeSpan ReadCoalesce(HoconObject pipeline)
    {
        var t = Duration(pipeline, "read-coalesce", "fsaudit.pipeline");
        return t <= TimeSpan.FromMilliseconds(100) ? t
            : throw new ConfigException($"fsaudit.pipeline.read-coalesce: {t.TotalMilliseconds} ms is out of range [0, 100] ms");
    }

    private static AuditLogOptions? AuditLog(HoconObject o)
    {
        const string p = "fsaudit.audit-log";
        Known(o, AuditLogKeys, p);
        if (!Bool(o, "enabled", p)) return null;
        string flush = Scalar(o, "flush", p);
        if (!AuditLogOptions.TryParseFlush(flush, out var policy))
            throw new ConfigException($"{p}.flush: '{flush}' is not one of none, incremental, data, sync");
        string path = NonEmpty(o, "path", p);
        if (!System.IO.Path.IsPathRooted(path)) throw new ConfigException($"{p}.path: '{path}' must be absolute");
        return new AuditLogOptions
        {
            Path = path,
            MaxFileSizeBytes = Size(o, "max-file-size", p, 4096, long.MaxValue),
            NumLogs = (int)Integer(o, "num-logs", p, 0, 999),
            Flush = policy,
            Freq = (int)Integer(o, "freq", p, 1, int.MaxValue),
        };
    }

    private static EnricherOptions? Enrichment(HoconObject o)
    {
        const string p = "fsaudit.enrichment";
        Known(o, EnrichmentKeys, p);
        if (!Bool(o, "enabled", p)) return null;
        return new EnricherOptions
        {
            Names = Bool(o, "names", p),
            ParentExe = Bool(o, "parent-exe", p),
            Container = Bool(o, "container", p),
            NameTtl = Duration(o, "name-ttl", p),
            ProcessTtl = Duration(o, "process-ttl", p),
            ProcessCacheSize = (int)Integer(o, "process-cache-size", p, 16, 10_000_000),
        };
    }

    private static MetricsOptions? Metrics(HoconObject o)
    {
        const string p = "fsaudit.metrics";
        Known(o, MetricsKeys, p);
        if (!Bool(o, "enabled", p)) return null;
        var options = new MetricsOptions
        {
            Address = NonEmpty(o, "address", p),
            Port = (int)Integer(o, "port", p, 1, 65535),
            AllowNonLoopback = Bool(o, "allow-non-loopback", p),
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new ConfigException($"{p}: {e.Message}"); }
        return options;
    }

    private static bool Bool(HoconObject obj, string key, string path) =>
        Scalar(obj, key, path) switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var s => throw new ConfigException($"{path}.{key}: expected on/off (true/false), got '{s}'"),
        };

    private static SubscriberSettings Subscribers(HoconObject o, string socketPath)
    {
        const string p = "fsaudit.subscribers";
        string modeText = Scalar(o, "socket-mode", p);
        var mode = SubscriberSettings.ParseMode(modeText)
            ?? throw new ConfigException($"{p}.socket-mode: '{modeText}' is not an octal file mode like \"0660\"");
        string group = Scalar(o, "socket-group", p);
        return new SubscriberSettings(
            socketPath,
            mode,
            group.Length == 0 ? null : group,
            IdList(o, "allowed-uids", p),
            IdList(o, "allowed-gids", p),
            (int)Integer(o, "max-subscribers", p, 1, 100_000),
            (int)Size(o, "max-request-line", p, 256, 16 << 20),
            Size(o, "buffer-size", p, 4096, 1L << 34),
            Duration(o, "request-timeout", p),
            Size(o, "recent-window", p, 0, 1L << 34),
            Size(o, "total-buffer-size", p, 0, 1L << 40));
    }

    private static IReadOnlyList<uint> IdList(HoconObject o, string key, string path)
    {
        var items = StringList(o, key, path);
        var ids = new List<uint>(items.Count);
        for (int i = 0; i < items.Count; i++)
            ids.Add(uint.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out uint id)
                ? id : throw new ConfigException($"{path}.{key}[{i}]: '{items[i]}' is not a numeric id"));
        return ids;
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> Classes(HoconObject fs)
    {
        var obj = Object(fs, "classes", "fsaudit.classes");
        var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var name in obj.Items.Keys) map[name] = StringList(obj, name, "fsaudit.classes");
        return map;
    }
}
