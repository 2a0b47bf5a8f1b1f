namespace FsAudit.Host.Daemon;

/// <summary>Command-line options of <c>fsaudit run</c> (the rest comes from HOCON).</summary>
public sealed record DaemonOptions
{
    public string? ConfigFile { get; init; }
    /// <summary>Print each event as a JSON line on stdout.</summary>
    public bool Stdout { get; init; }
    /// <summary>Take over from another registered audit daemon.</summary>
    public bool Replace { get; init; }
    /// <summary>Extra directory watches (perm wa) on top of the configured ones.</summary>
    public IReadOnlyList<string> Watches { get; init; } = [];
}
