using System.Collections.Frozen;

namespace FsAudit.Engine.Kernel;

/// <summary>x86_64 syscall numbers and names (the table audit reports with arch=c000003e).</summary>
public static partial class X86_64Syscalls
{
    /// <summary>AUDIT_ARCH_X86_64: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.</summary>
    public const uint AuditArch = 0xC000003E;

    // Built on first use: field initializers of the generated partial may run after ours.
    private static FrozenDictionary<string, int>? _byName;

    private static FrozenDictionary<string, int> ByName => _byName ??=
        ByNumber.Select((n, i) => (n, i)).Where(p => p.n.Length > 0)
            .ToFrozenDictionary(p => p.n, p => p.i, StringComparer.Ordinal);

    public static int Count => ByNumber.Length;

    /// <summary>The syscall's name, or null for a number the table does not know.</summary>
    public static string? Name(int number) =>
        (uint)number < (uint)ByNumber.Length && ByNumber[number].Length > 0 ? ByNumber[number] : null;

    public static bool TryGetNumber(string name, out int number) => ByName.TryGetValue(name, out number);

    public static IEnumerable<(int Number, string Name)> All() =>
        ByNumber.Select((n, i) => (i, n)).Where(p => p.n.Length > 0);
}
