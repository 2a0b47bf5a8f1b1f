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

    public void Write(IEnumerable<AuditRule> rules)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var tmp = Path + ".tmp";
        File.WriteAllLines(tmp, rules.Select(r => r.ToString()));
        File.Move(tmp, Path, overwrite: true);
    }

    public void Clear()
    {
        if (File.Exists(Path)) File.Delete(Path);
    }
}
