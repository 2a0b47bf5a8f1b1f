using System.Numerics;
using System.Runtime.CompilerServices;
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
    /// anything else is decoded and looked up as characters. The ASCII check rides along with the hash (one pass).
    /// </summary>
    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return string.Empty;
        if (utf8.Length > MaxLength) return Encoding.UTF8.GetString(utf8);
        int hash = Hash(utf8, out ulong orOfAll);
        if ((orOfAll & 0x8080808080808080UL) != 0)
        {
            Span<char> chars = stackalloc char[MaxLength];
            return Get(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
        }
        int slot = hash & (Slots - 1);
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
    private static int Hash(ReadOnlySpan<char> value) => Hash(MemoryMarshal.AsBytes(value), out _);

    /// <summary>The hash of <paramref name="value"/>; <paramref name="orOfAll"/> has every byte OR-ed into each of its lanes (bit 7 set somewhere: not ASCII).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<byte> value, out ulong orOfAll)
    {
        const ulong K = 0x9E3779B97F4A7C15;
        int n = value.Length;
        ulong h = (ulong)n * K;
        ulong or = 0;
        ref byte b = ref MemoryMarshal.GetReference(value);
        if (n >= 8)
        {
            int last = n - 8;
            for (int i = 0; i < last; i += 8)
            {
                ulong w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, i));
                or |= w;
                h = (BitOperations.RotateLeft(h, 23) ^ w) * K;
            }
            // The last 8 bytes, overlapping what came before when the length is not a multiple of 8.
            ulong tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, last));
            or |= tail;
            h = (BitOperations.RotateLeft(h, 23) ^ tail) * K;
        }
        else if (n > 0)
        {
            ulong w;
            if (n >= 4)
            {
                // Two overlapping 4-byte reads.
                w = Unsafe.ReadUnaligned<uint>(ref b) | ((ulong)Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, n - 4)) << 32);
            }
            else
            {
                w = b;
                if (n > 1) w |= (ulong)Unsafe.Add(ref b, 1) << 8;
                if (n > 2) w |= (ulong)Unsafe.Add(ref b, 2) << 16;
            }
            or = w;
            h = (BitOperations.RotateLeft(h, 23) ^ w) * K;
        }
        orOfAll = or;
        return (int)(h >> 40);
    }
}
