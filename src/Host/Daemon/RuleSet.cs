using FsAudit.Engine.Netlink;
using FsAudit.Host.Configuration;

namespace FsAudit.Host.Daemon;

/// <summary>Turns <c>fsaudit.watches</c> and <c>fsaudit.rules</c> into kernel rules, with errors naming the key.</summary>
public static class RuleSet
{
    public static IReadOnlyList<AuditRule> From(FsAuditSettings settings)
    {
        var rules = new List<AuditRule>();
        for (int i = 0; i < settings.Watches.Count; i++)
        {
            var w = settings.Watches[i];
            var perm = ParsePerm(w.Perm);
            string[] keys = w.Key is null ? [] : [w.Key];
            if (Directory.Exists(w.Path)) rules.Add(AuditRule.DirectoryWatch(w.Path, perm, keys));
            else if (File.Exists(w.Path)) rules.Add(AuditRule.FileWatch(w.Path, perm, keys));
            else throw new ConfigException($"fsaudit.watches[{i}].path: {w.Path} does not exist (the kernel can only watch an existing path)");
        }
        for (int i = 0; i < settings.Rules.Count; i++)
        {
            if (!AuditRule.TryParse(settings.Rules[i], out var rule, out var error))
                throw new ConfigException($"fsaudit.rules[{i}]: {error}");
            rules.Add(rule!);
        }
        return rules;
    }

    public static AuditPerm ParsePerm(string perm)
    {
        var p = AuditPerm.None;
        foreach (char c in perm)
            p |= c switch
            {
                'r' => AuditPerm.Read,
                'w' => AuditPerm.Write,
                'x' => AuditPerm.Exec,
                'a' => AuditPerm.Attr,
                _ => throw new ConfigException($"perm '{perm}': '{c}' is not one of r, w, x, a"),
            };
        return p;
    }
}
