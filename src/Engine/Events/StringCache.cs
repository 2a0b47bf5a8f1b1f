namespace FsAudit.Engine.Events;

/// <summary>
/// A small lossy intern table for values that repeat across events (comm, exe, tty, cwd, parent
/// directories): a hit returns the existing string instead of allocating. Thread-safe by construction:
/// slots hold immutable strings and a lost race only costs one duplicate.
/// </summary>
internal static class StringCache
{
    private const int MaxLength = 256;
    private const int Slots = 4096; // power of two
    private static readonly string?[] Table = new string?[Slots];

    public static string Get(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty) return string.Empty;
        if (value.Length > MaxLength) return new string(value);
        int slot = (int)((uint)string.GetHashCode(value) & (Slots - 1));
        var s = Volatile.Read(ref Table[slot]);
        if (s != null && value.SequenceEqual(s)) return s;
        s = new string(value);
        Volatile.Write(ref Table[slot], s);
        return s;
    }
}
