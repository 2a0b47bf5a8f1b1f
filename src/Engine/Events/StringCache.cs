using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

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
        int slot = Hash(value) & (Slots - 1);
        var s = Volatile.Read(ref Table[slot]);
        if (s != null && value.SequenceEqual(s)) return s;
        s = new string(value);
        Volatile.Write(ref Table[slot], s);
        return s;
    }

    /// <summary>
    /// The same for record bytes: ASCII values (what the kernel quotes) are compared and cached without decoding;
    /// anything else is decoded and looked up as characters.
    /// </summary>
    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return string.Empty;
        if (utf8.Length > MaxLength) return Encoding.UTF8.GetString(utf8);
        if (!Ascii.IsValid(utf8))
        {
            Span<char> chars = stackalloc char[MaxLength];
            return Get(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
        }
        int slot = Hash(utf8) & (Slots - 1);
        var s = Volatile.Read(ref Table[slot]);
        if (s != null && Ascii.Equals(utf8, s)) return s;
        s = Encoding.ASCII.GetString(utf8);
        Volatile.Write(ref Table[slot], s);
        return s;
    }

    /// <summary>
    /// A cheap multiplicative hash, 8 bytes at a time (string.GetHashCode's Marvin showed in profiles). Not randomized:
    /// crafted colliding values only cost misses, never a wrong string. Characters are hashed as their bytes.
    /// </summary>
    private static int Hash(ReadOnlySpan<char> value) => Hash(MemoryMarshal.AsBytes(value));

    private static int Hash(ReadOnlySpan<byte> value)
    {
        const ulong K = 0x9E3779B97F4A7C15;
        ulong h = (ulong)value.Length * K;
        var words = MemoryMarshal.Cast<byte, ulong>(value);
        foreach (var w in words) h = (BitOperations.RotateLeft(h, 23) ^ w) * K;
        for (int i = words.Length * 8; i < value.Length; i++) h = (BitOperations.RotateLeft(h, 23) ^ value[i]) * K;
        return (int)(h >> 40);
    }
}
