namespace FsAudit.Engine.Events;

/// <summary>
/// What the last few record texts of one kind read to, on this thread (a small round-robin table): a process doing many
/// syscalls repeats its identity and command-line texts byte for byte, and comparing ~200 bytes costs less than
/// reading and decoding them again. A text that was found again keeps its slot over one that was not (second chance), so a busy process is not pushed
/// out by others that appear once. Keep only values that are a function of the text alone; there is one table per
/// <typeparamref name="T"/>, so each kind of record keeps its own type of value.
/// </summary>
internal sealed class RecentTexts<T>
{
    [ThreadStatic] private static RecentTexts<T>[]? t_recent;
    [ThreadStatic] private static int t_next;

    private byte[] _text = new byte[256];
    private int _length = -1;
    private T _value = default!;
    private bool _hit; // read since it was last passed over: a new text takes another slot first (second chance)

    public static bool TryGet(ReadOnlySpan<byte> text, out T value)
    {
        var recent = t_recent;
        if (recent != null)
        {
            foreach (var r in recent)
            {
                if (r._length == text.Length && text.SequenceEqual(r._text.AsSpan(0, r._length)))
                {
                    value = r._value;
                    r._hit = true;
                    return true;
                }
            }
        }
        value = default!;
        return false;
    }

    public static void Remember(ReadOnlySpan<byte> text, T value)
    {
        var recent = t_recent ??= [new(), new(), new(), new()];
        var r = recent[t_next++ & (recent.Length - 1)];
        for (int passed = 1; r._hit && passed < recent.Length; passed++)
        {
            r._hit = false;
            r = recent[t_next++ & (recent.Length - 1)];
        }
        r._hit = false;
        if (text.Length > r._text.Length) r._text = new byte[text.Length];
        text.CopyTo(r._text);
        r._length = text.Length;
        r._value = value;
    }
}
