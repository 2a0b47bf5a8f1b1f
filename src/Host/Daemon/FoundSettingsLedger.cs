using System.Globalization;
using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Daemon;

/// <summary>
/// The kernel settings found before the first run changed them, kept in the state directory until a clean
/// stop restores them. After a crash or kill -9 the next run restores these, not the crashed run's values.
/// </summary>
public sealed class FoundSettingsLedger(string path)
{
    public string Path { get; } = path;

    public AuditStatus? Read()
    {
        if (!File.Exists(Path)) return null;
        var values = new Dictionary<string, uint>();
        foreach (var line in File.ReadAllLines(Path))
        {
            var parts = line.Split('=', 2);
            if (parts.Length == 2 && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint v))
                values[parts[0]] = v;
        }
        uint Get(string key) => values.TryGetValue(key, out uint v) ? v
            : throw new InvalidDataException($"{Path}: '{key}' is missing; delete the file to take the kernel's current settings as the ones to restore");
        return new AuditStatus { Enabled = Get("enabled"), Failure = Get("failure"), RateLimit = Get("rate_limit"),
            BacklogLimit = Get("backlog_limit"), BacklogWaitTime = Get("backlog_wait_time") };
    }

    public void Write(AuditStatus s) => StateFile.WriteLines(Path,
    [
        $"enabled={s.Enabled}", $"failure={s.Failure}", $"rate_limit={s.RateLimit}",
        $"backlog_limit={s.BacklogLimit}", $"backlog_wait_time={s.BacklogWaitTime}",
    ]);

    public void Clear() => StateFile.Delete(Path);
}
