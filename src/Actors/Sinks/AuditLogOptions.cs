namespace FsAudit.Actors.Sinks;

/// <summary>When the audit log is forced to disk, as auditd.conf's <c>flush</c>.</summary>
public enum AuditLogFlush
{
    /// <summary>Written to the kernel after every batch, never forced to disk (auditd <c>none</c>).</summary>
    None,

    /// <summary>fdatasync after every <see cref="AuditLogOptions.Freq"/> records (auditd <c>incremental</c>).</summary>
    Incremental,

    /// <summary>fdatasync after every batch, before the next is taken (auditd <c>data</c>, grouped per batch).</summary>
    Data,

    /// <summary>fsync (data and metadata) after every batch (auditd <c>sync</c>, grouped per batch).</summary>
    Sync,
}

/// <summary>Settings of <see cref="AuditLogSink"/>, named after auditd.conf.</summary>
public sealed record AuditLogOptions
{
    /// <summary>The live log file (auditd <c>log_file</c>); rotated copies get .1, .2, ... beside it.</summary>
    public required string Path { get; init; }

    /// <summary>Rotate before an event would take the file past this (auditd <c>max_log_file</c>); 0 = never.</summary>
    public long MaxFileSizeBytes { get; init; } = 8L << 20;

    /// <summary>Files kept, the live one included (auditd <c>num_logs</c>); below 2 rotation is off, as in auditd.</summary>
    public int NumLogs { get; init; } = 5;

    public AuditLogFlush Flush { get; init; } = AuditLogFlush.Incremental;

    /// <summary>Records between syncs for <see cref="AuditLogFlush.Incremental"/> (auditd <c>freq</c>).</summary>
    public int Freq { get; init; } = 50;

    /// <summary>Mode of newly created log files (auditd keeps its logs 0600).</summary>
    public UnixFileMode FileMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public bool RotationEnabled => MaxFileSizeBytes > 0 && NumLogs >= 2;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw new ArgumentException("audit log path is empty", nameof(Path));
        if (MaxFileSizeBytes < 0) throw new ArgumentException($"max-file-size must be >= 0, was {MaxFileSizeBytes}", nameof(MaxFileSizeBytes));
        if (NumLogs < 0 || NumLogs > 999) throw new ArgumentException($"num-logs must be 0..999 (as auditd), was {NumLogs}", nameof(NumLogs));
        if (Flush == AuditLogFlush.Incremental && Freq <= 0) throw new ArgumentException($"freq must be > 0 with flush = incremental, was {Freq}", nameof(Freq));
        if (!Enum.IsDefined(Flush)) throw new ArgumentException($"unknown flush mode {Flush}", nameof(Flush));
    }

    /// <summary>Parses the flush names of auditd.conf (none, incremental, data, sync; case-insensitive).</summary>
    public static bool TryParseFlush(string text, out AuditLogFlush flush)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "none": flush = AuditLogFlush.None; return true;
            case "incremental": flush = AuditLogFlush.Incremental; return true;
            case "data": flush = AuditLogFlush.Data; return true;
            case "sync": flush = AuditLogFlush.Sync; return true;
            default: flush = default; return false;
        }
    }
}
