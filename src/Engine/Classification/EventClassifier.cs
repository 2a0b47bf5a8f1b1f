using System.Collections.Concurrent;
using System.Globalization;
using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Classification;

/// <summary>
/// Gives every complete event one AIX-style event name. Syscall events go through <see cref="SyscallEventTable"/>;
/// other events keep their record type name; unmapped syscalls get <c>SYSCALL_&lt;name&gt;</c>. The returned
/// strings are shared (table constants or cached fallbacks), so classifying allocates nothing.
/// </summary>
public static partial class EventClassifier
{
    // Linux UAPI values (x86_64 = asm-generic).
    private const ulong OAccMode = 3, ORdOnly = 0;
    private const ulong SIfMt = 0xF000, SIfReg = 0x8000;
    private const ulong AtRemoveDir = 0x200, AtEmptyPath = 0x1000;

    private static readonly string?[] NamedFallbacks = BuildNamedFallbacks();
    private static readonly string?[] NumberFallbacks = new string?[1024];
    private static readonly ConcurrentDictionary<(uint Arch, int Number), string> ForeignFallbacks = new();
    private const int ForeignFallbackCacheLimit = 4096;

    public static string Classify(in ClassificationInput e)
    {
        if (string.IsNullOrEmpty(e.RecordType)) return "UNKNOWN";
        if (!string.Equals(e.RecordType, ClassificationInput.SyscallRecordType, StringComparison.Ordinal))
            return e.RecordType;
        if (e.Syscall < 0) return ClassificationInput.SyscallRecordType;
        if (e.Arch != X86_64Syscalls.AuditArch) return ForeignFallback(e.Arch, e.Syscall);

        var rule = SyscallEventTable.Lookup(e.Syscall);
        if (rule is null) return Fallback(e.Syscall);

        var created = (e.PathNameTypes & PathNameTypes.Create) != 0;
        return rule.Refinement switch
        {
            Refinement.None => rule.EventName,
            Refinement.OpenFlagsInA1 => Open(created, e.A1),
            Refinement.OpenFlagsInA2 => Open(created, e.A2),
            Refinement.OpenHow => created ? EventNames.FileCreate
                : e.OpenHowFlags is { } flags ? Open(false, flags) : EventNames.FileOpen,
            Refinement.Creat => created ? EventNames.FileCreate : EventNames.FileWrite,
            Refinement.MknodModeInA1 => Mknod(created, e.A1),
            Refinement.MknodModeInA2 => Mknod(created, e.A2),
            Refinement.RemoveDirFlagInA2 => (e.A2 & AtRemoveDir) != 0 ? EventNames.FsRmdir : EventNames.FileUnlink,
            Refinement.AcctPathInA0 => e.A0 == 0 ? EventNames.AcctDisable : EventNames.AcctEnable,
            Refinement.EmptyPathFlagInA3 => (e.A3 & AtEmptyPath) != 0 ? EventNames.FileFchmod : EventNames.FileMode,
            _ => rule.EventName,
        };
    }

    /// <summary>The name an x86_64 syscall gets when the table does not map it.</summary>
    internal static string Fallback(int syscall)
    {
        if ((uint)syscall < (uint)NamedFallbacks.Length && NamedFallbacks[syscall] is { } named) return named;
        if ((uint)syscall < (uint)NumberFallbacks.Length)
            return NumberFallbacks[syscall] ??= EventNames.SyscallFallbackPrefix + syscall.ToString(CultureInfo.InvariantCulture);
        return EventNames.SyscallFallbackPrefix + syscall.ToString(CultureInfo.InvariantCulture);
    }

    // Decided by what happened (a CREATE item), not the flags: O_CREAT on an existing file creates nothing.
    private static string Open(bool created, ulong flags) =>
        created ? EventNames.FileCreate : (flags & OAccMode) == ORdOnly ? EventNames.FileOpen : EventNames.FileWrite;

    private static string Mknod(bool created, ulong mode)
    {
        var type = mode & SIfMt;
        return created && (type == 0 || type == SIfReg) ? EventNames.FileCreate : EventNames.FileMknod;
    }

    private static string ForeignFallback(uint arch, int syscall)
    {
        if (ForeignFallbacks.TryGetValue((arch, syscall), out var name)) return name;
        name = string.Create(CultureInfo.InvariantCulture, $"{EventNames.SyscallFallbackPrefix}{arch:x8}_{syscall}");
        // Bounded: a flood of garbage arch/number pairs must not grow memory without limit.
        if (ForeignFallbacks.Count < ForeignFallbackCacheLimit) ForeignFallbacks.TryAdd((arch, syscall), name);
        return name;
    }

    private static string?[] BuildNamedFallbacks()
    {
        var all = KernelSyscallsBeyondHeaders.All().ToList();
        var names = new string?[all.Max(p => p.Number) + 1];
        foreach (var (number, name) in all)
            if (SyscallEventTable.Lookup(number) is null)
                names[number] = EventNames.SyscallFallbackPrefix + name;
        return names;
    }
}
