using System.CommandLine;

namespace FsAudit.Host.Cli;

/// <summary>The <c>fsaudit</c> verbs. Each verb's logic lives in its own type under Verbs/.</summary>
public static class CommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("fsaudit: Linux filesystem audit engine (replaces auditd's path from the kernel to consumers)");
        return root.Parse(args).Invoke();
    }
}
