using FsAudit.Engine.Records;

namespace FsAudit.Engine.Events;

/// <summary>
/// One audit event: the records sharing a serial, interpreted. Numeric ids keep the kernel's values;
/// 4294967295 means "unset" (see <see cref="Unset"/>). Absent fields are null.
/// </summary>
public sealed class AuditEvent
{
    /// <summary>The kernel's "no id" value (auid/ses of processes that never logged in).</summary>
    public const uint Unset = uint.MaxValue;

    private ushort[]? _recordTypes;

    public uint Serial { get; internal set; }

    /// <summary>Event time, Unix milliseconds.</summary>
    public long TimestampMs { get; internal set; }

    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);

    /// <summary>"SYSCALL" for syscall events, otherwise the first record's type name (USER_LOGIN, LOGIN, ...).</summary>
    public string Type { get; internal set; } = "";

    /// <summary>Record types in arrival order (EOE excluded).</summary>
    public IReadOnlyList<ushort> RecordTypes
    {
        get
        {
            if (_recordTypes == null)
            {
                var t = new ushort[Records.Count];
                for (int i = 0; i < t.Length; i++) t[i] = Records[i].Type;
                _recordTypes = t;
            }
            return _recordTypes;
        }
    }

    public int? Syscall { get; internal set; }

    /// <summary>x86_64 name of <see cref="Syscall"/> (null for other arches or unknown numbers).</summary>
    public string? SyscallName { get; internal set; }

    /// <summary>AUDIT_ARCH value (0xC000003E for x86_64).</summary>
    public uint? Arch { get; internal set; }

    public bool? Success { get; internal set; }

    public long? Exit { get; internal set; }

    /// <summary>ENOENT, EACCES, ... when the syscall failed with a negative exit.</summary>
    public string? Errno { get; internal set; }

    public ulong? A0 { get; internal set; }
    public ulong? A1 { get; internal set; }
    public ulong? A2 { get; internal set; }
    public ulong? A3 { get; internal set; }

    /// <summary><c>items=</c>: how many names the kernel collected (PATH records may be fewer).</summary>
    public int? Items { get; internal set; }

    public int? Pid { get; internal set; }
    public int? Ppid { get; internal set; }
    public uint? Uid { get; internal set; }
    public uint? Gid { get; internal set; }
    public uint? Auid { get; internal set; }
    public uint? Euid { get; internal set; }
    public uint? Suid { get; internal set; }
    public uint? Fsuid { get; internal set; }
    public uint? Egid { get; internal set; }
    public uint? Sgid { get; internal set; }
    public uint? Fsgid { get; internal set; }
    public uint? Ses { get; internal set; }

    public bool AuidIsSet => Auid is { } a && a != Unset;

    public string? Tty { get; internal set; }
    public string? Comm { get; internal set; }
    public string? Exe { get; internal set; }
    public string? Subj { get; internal set; }

    /// <summary>Rule keys (several when a rule had several <c>-k</c>); empty when none.</summary>
    public IReadOnlyList<string> Keys { get; internal set; } = [];

    public string? Key => Keys.Count > 0 ? Keys[0] : null;

    public string? Cwd { get; internal set; }

    /// <summary>The command line (PROCTITLE decoded, arguments separated by spaces; kernel truncates it).</summary>
    public string? Proctitle { get; internal set; }

    /// <summary>For user-space records: the nested <c>res=</c> (success/failed) or LOGIN's <c>res=1</c>.</summary>
    public string? Result { get; internal set; }

    public IReadOnlyList<AuditPath> Paths { get; internal set; } = [];

    /// <summary>EXECVE argv (long args reassembled); null when the event has no EXECVE record.</summary>
    public IReadOnlyList<string>? Argv { get; internal set; }

    /// <summary>The event timed out, was evicted or flushed before its end was seen; records may be missing.</summary>
    public bool Incomplete { get; internal set; }

    /// <summary>The node= of auditd logs from several hosts.</summary>
    public string? Node { get; internal set; }

    public IReadOnlyList<AuditRecord> Records { get; internal set; } = [];
}
