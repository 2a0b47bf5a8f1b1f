using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Classification;

/// <summary>
/// What the classifier needs from one complete event, independent of the event model: the record type
/// that names the event (<c>SYSCALL</c> for syscall events), the syscall's ABI and number, its first
/// four arguments as the SYSCALL record prints them (a0..a3, hex), and the set of PATH nametypes.
/// </summary>
/// <param name="RecordType">auditd's name of the event's leading record type (<c>SYSCALL</c>, <c>USER_LOGIN</c>, ...).</param>
/// <param name="Arch">The SYSCALL record's <c>arch=</c> (AUDIT_ARCH_*); only x86_64 numbers are mapped.</param>
/// <param name="Syscall">The SYSCALL record's <c>syscall=</c> number.</param>
/// <param name="Success">The outcome. It does not change the name: as in AIX, a failed call keeps its event name.</param>
/// <param name="OpenHowFlags">For openat2, <c>oflag=</c> from the OPENAT2 record (the flags are not in a0..a3).</param>
public readonly record struct ClassificationInput(
    string RecordType,
    uint Arch,
    int Syscall,
    bool Success,
    ulong A0,
    ulong A1,
    ulong A2,
    ulong A3,
    PathNameTypes PathNameTypes,
    ulong? OpenHowFlags = null)
{
    public const string SyscallRecordType = "SYSCALL";

    /// <summary>An x86_64 syscall event (the common case in tests and fixtures).</summary>
    public static ClassificationInput ForSyscall(int syscall, PathNameTypes paths = PathNameTypes.None,
        ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, bool success = true, ulong? openHowFlags = null) =>
        new(SyscallRecordType, X86_64Syscalls.AuditArch, syscall, success, a0, a1, a2, a3, paths, openHowFlags);

    /// <summary>An event that is not a syscall (USER_LOGIN, CONFIG_CHANGE, ...).</summary>
    public static ClassificationInput ForRecordType(string recordType) =>
        new(recordType, 0, -1, true, 0, 0, 0, 0, PathNameTypes.None);
}
