using Akka.Configuration;
using FsAudit.Actors.Persistence;
using FsAudit.Actors.Sinks;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Enrichment;
using FsAudit.Host.Metrics;
using FsAudit.Host.Server;

namespace FsAudit.Host.Configuration;

/// <summary>A watch from <c>fsaudit.watches</c>: becomes <c>-a always,exit -F dir|path=Path -F perm=Perm -k Key</c>.</summary>
public sealed record WatchSettings(string Path, string Perm, string? Key)
{
    /// <summary>An absolute path without trailing slashes (the kernel's rule compares the text).</summary>
    public static string NormalizePath(string absolute) => absolute.TrimEnd('/') is { Length: > 0 } t ? t : "/";
}

public sealed record KernelSettings(
    string Mode,
    uint BacklogLimit,
    uint BacklogWaitTime,
    uint RateLimit,
    int ReceiveBuffer,
    uint Failure,
    TimeSpan RegistrationCheckInterval);

public sealed record CorrelationSettings(TimeSpan Timeout, int MaxInFlight);

public sealed record PipelineBufferSettings(int BufferRecords, string SpillDirectory, TimeSpan ReadCoalesce, int ReaderNice, int DaemonNice = -4);

/// <summary>The validated <c>fsaudit</c> section, plus the whole merged HOCON for the actor system.</summary>
public sealed record FsAuditSettings(
    IReadOnlyList<WatchSettings> Watches,
    IReadOnlyList<string> Rules,
    string StateDirectory,
    JournalSettings Journal,
    string SocketPath,
    SubscriberSettings Subscribers,
    TimeSpan StatsInterval,
    KernelSettings Kernel,
    AuditLogOptions? AuditLog,
    EnricherOptions? Enrichment,
    MetricsOptions? Metrics,
    CorrelationSettings Correlation,
    PipelineBufferSettings Pipeline,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Classes,
    ClassCatalog Catalog,
    Config Hocon)
{
    /// <summary>A path from the config, made absolute under <see cref="StateDirectory"/> when relative.</summary>
    public string UnderState(string path) => System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(StateDirectory, path);
}
