using FsAudit.Engine.Kernel;

namespace FsAudit.Engine.Classification;

/// <summary>
/// x86_64 syscalls newer than the UAPI headers <see cref="X86_64Syscalls"/> was generated from (it ends at 450),
/// numbered as in the kernel's arch/x86/entry/syscalls/syscall_64.tbl. The audit classes of current kernels
/// include some of them (fchmodat2, setxattrat, removexattrat; getxattrat, listxattrat), so the classifier must
/// know them. <see cref="X86_64Syscalls"/> wins whenever it knows a name, so regenerating it makes this a no-op.
/// </summary>
internal static class KernelSyscallsBeyondHeaders
{
    private static readonly (int Number, string Name)[] Table =
    [
        (451, "cachestat"), (452, "fchmodat2"), (453, "map_shadow_stack"), (454, "futex_wake"),
        (455, "futex_wait"), (456, "futex_requeue"), (457, "statmount"), (458, "listmount"),
        (459, "lsm_get_self_attr"), (460, "lsm_set_self_attr"), (461, "lsm_list_modules"), (462, "mseal"),
        (463, "setxattrat"), (464, "getxattrat"), (465, "listxattrat"), (466, "removexattrat"),
        (467, "open_tree_attr"), (468, "file_getattr"), (469, "file_setattr"),
    ];

    /// <summary>The syscall's name from the generated table, else from this one; null when neither knows it.</summary>
    public static string? Name(int number)
    {
        var name = X86_64Syscalls.Name(number);
        if (name is not null) return name;
        foreach (var (n, s) in Table)
            if (n == number) return s;
        return null;
    }

    public static bool TryGetNumber(string name, out int number)
    {
        if (X86_64Syscalls.TryGetNumber(name, out number)) return true;
        foreach (var (n, s) in Table)
            if (s == name) { number = n; return true; }
        number = -1;
        return false;
    }

    public static IEnumerable<(int Number, string Name)> All() =>
        X86_64Syscalls.All().Concat(Table.Where(p => X86_64Syscalls.Name(p.Number) is null));
}
