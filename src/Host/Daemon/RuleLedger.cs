using FsAudit.Engine.Netlink;

namespace FsAudit.Host.Daemon;

/// <summary>
/// The kernel rules this daemon added, written to the state directory before each is added. After a
/// crash or kill -9 the next start deletes exactly these (and no rule an administrator added).
/// </summary>
public sealed class RuleLedger(string path)
{
    public string Path { get; } = path;

    public IReadOnlyList<AuditRule> Read()
    {
        if (!File.Exists(Path)) return [];
        var rules = new List<AuditRule>();
        foreach (var line in File.ReadAllLines(Path))
            if (line.Length > 0 && AuditRule.TryParse(line, out var rule, out _)) rules.Add(rule!);
        return rules;
    }

    public void Write(IEnumerable<AuditRule> rules) => StateFile.WriteLines(Path, rules.Select(r => r.ToString()));

    public void Clear() => StateFile.Delete(Path);
}
