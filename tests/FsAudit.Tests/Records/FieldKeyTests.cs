using System.Reflection;
using System.Text;
using FsAudit.Engine.Records;
using Xunit;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Records;

/// <summary>The byte-level key codes the event builder switches on instead of widening keys to strings.</summary>
public class FieldKeyTests
{
    public static TheoryData<string> Constants()
    {
        var data = new TheoryData<string>();
        foreach (var f in typeof(FieldKey).GetFields(BindingFlags.Public | BindingFlags.Static))
            if (f.IsLiteral && f.Name != nameof(FieldKey.None)) data.Add(f.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Constants))]
    public void Each_constant_is_the_code_of_its_name(string constant)
    {
        var value = (ulong)typeof(FieldKey).GetField(constant)!.GetRawConstantValue()!;
        Assert.Equal(FieldKey.Of(U8(constant.ToLowerInvariant())), value);
        Assert.NotEqual(FieldKey.None, value);
    }

    [Fact]
    public void Constants_are_distinct()
    {
        var values = typeof(FieldKey).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral)
            .Select(f => (ulong)f.GetRawConstantValue()!).ToList();
        Assert.Equal(values.Count, values.Distinct().Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("syscalls1")]          // 9 bytes
    [InlineData("terminals")]
    [InlineData("a_very_long_field_name")]
    public void Empty_and_long_keys_have_no_code(string key) => Assert.Equal(FieldKey.None, FieldKey.Of(U8(key)));

    [Theory]
    [InlineData("a", 0x61UL)]
    [InlineData("ab", 0x6261UL)]
    [InlineData("abc", 0x636261UL)]
    [InlineData("abcd", 0x64636261UL)]
    [InlineData("abcde", 0x6564636261UL)]
    [InlineData("abcdef", 0x666564636261UL)]
    [InlineData("abcdefg", 0x67666564636261UL)]
    [InlineData("abcdefgh", 0x6867666564636261UL)]
    [InlineData("\u00e9", 0xA9C3UL)] // UTF-8 bytes, not widened characters
    public void Code_is_the_bytes_little_endian(string key, ulong expected) => Assert.Equal(expected, FieldKey.Of(U8(key)));

    [Fact]
    public void Codes_are_exact_for_keys_without_nul()
    {
        // Every key of 1..8 bytes (no NUL) maps to a code that gives back exactly its bytes: no two keys share one.
        var rng = new Random(7);
        var seen = new Dictionary<ulong, string>();
        for (int i = 0; i < 100_000; i++)
        {
            var bytes = new byte[rng.Next(1, 9)];
            for (int k = 0; k < bytes.Length; k++) bytes[k] = (byte)rng.Next(1, 256);
            ulong code = FieldKey.Of(bytes);
            var back = BitConverter.GetBytes(code).AsSpan(0, bytes.Length);
            Assert.True(back.SequenceEqual(bytes));
            Assert.True(code >> (bytes.Length * 8) == 0 || bytes.Length == 8);
            var hex = Convert.ToHexString(bytes);
            if (seen.TryGetValue(code, out var other)) Assert.Equal(other, hex);
            else seen[code] = hex;
        }
        // Prefixes and near misses of the names the builder looks for.
        string[] near = ["a", "a0", "a00", "a0_len", "res", "resu", "result", "results", "pid", "ppid", "pid2", "Pid", "PID", "pi",
            "uid", "auid", "ouid", "fsuid", "suid", "euid", "tty", "tty0", "terminal", "exe", "exec", "key", "keys", "name", "nametype", "nametyp"];
        Assert.Equal(near.Length, near.Select(k => FieldKey.Of(U8(k))).Distinct().Count());
    }

    [Fact]
    public void Reader_key_codes_match_the_constants()
    {
        var r = new FieldReader(U8("arch=c000003e syscall=2 items=0 Pid=1 pid=2 nametype=NORMAL nametypes=X k\u00e9y=1 =novalue a0=1"));
        var codes = new List<ulong>();
        while (r.MoveNext()) codes.Add(r.KeyCode);
        Assert.Equal([FieldKey.Arch, FieldKey.Syscall, FieldKey.Items, FieldKey.Of("Pid"u8), FieldKey.Pid, FieldKey.Nametype,
            FieldKey.None, FieldKey.Of(Encoding.UTF8.GetBytes("k\u00e9y")), FieldKey.A0], codes);
        Assert.NotEqual(FieldKey.Pid, FieldKey.Of("Pid"u8));
    }
}
