using System.Collections.Frozen;
using System.Globalization;

namespace FsAudit.Engine.Kernel;

/// <summary>Audit record type numbers and the names auditd writes for them (<c>type=SYSCALL</c>).</summary>
public static partial class RecordTypeNames
{
    // Built on first use: field initializers of the generated partial may run after ours.
    private static FrozenDictionary<int, string>? _names;
    private static FrozenDictionary<string, int>? _numbers;
    private static FrozenDictionary<int, string> Names => _names ??= Table.ToFrozenDictionary();
    private static FrozenDictionary<string, int> Numbers => _numbers ??=
        Table.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    private static readonly string[] Unknown = new string[3000];

    /// <summary>auditd's name for a type, or <c>UNKNOWN[NNNN]</c> as auditd writes for types it does not know.</summary>
    public static string Name(int type)
    {
        if (Names.TryGetValue(type, out var name)) return name;
        if ((uint)type < (uint)Unknown.Length)
            return Unknown[type] ??= $"UNKNOWN[{type}]";
        return $"UNKNOWN[{type}]";
    }

    /// <summary>Parses a name as written in a log (<c>SYSCALL</c>, <c>UNKNOWN[1337]</c>) back to its number.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out int type)
    {
        if (name.StartsWith("UNKNOWN[") && name.EndsWith("]"))
            return int.TryParse(name[8..^1], NumberStyles.None, CultureInfo.InvariantCulture, out type);
        var lookup = Numbers.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(name, out type);
    }
}
