using System.Buffers.Binary;
using System.Text;
using FsAudit.Engine.Kernel;
using FsAudit.Engine.Netlink;
using Xunit;

namespace FsAudit.Tests.Netlink;

public sealed class AuditRuleTests
{
    // struct audit_rule_data offsets
    private const int Mask = 12, Fields = 268, Values = 524, FieldFlags = 780, BufLen = 1036, Buf = 1040;

    private static uint U(byte[] data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));

    [Fact]
    public void Dir_watch_encodes_like_auditctl()
    {
        var rule = AuditRule.Parse("-a always,exit -F dir=/x/y -F perm=wa -k k1 -k k2");
        var data = rule.ToRuleData();

        Assert.Equal(4u, U(data, 0));                  // AUDIT_FILTER_EXIT
        Assert.Equal(2u, U(data, 4));                  // AUDIT_ALWAYS
        Assert.Equal(3u, U(data, 8));                  // dir, perm, key
        for (int w = 0; w < 64; w++) Assert.Equal(uint.MaxValue, U(data, Mask + w * 4)); // all syscalls
        Assert.Equal(107u, U(data, Fields));           // AUDIT_DIR
        Assert.Equal(4u, U(data, Values));             // strlen("/x/y")
        Assert.Equal(0x40000000u, U(data, FieldFlags)); // AUDIT_EQUAL
        Assert.Equal(106u, U(data, Fields + 4));       // AUDIT_PERM
        Assert.Equal(2u | 8u, U(data, Values + 4));    // AUDIT_PERM_WRITE | AUDIT_PERM_ATTR
        Assert.Equal(210u, U(data, Fields + 8));       // AUDIT_FILTERKEY
        Assert.Equal(5u, U(data, Values + 8));
        Assert.Equal(9u, U(data, BufLen));
        Assert.Equal("/x/yk1\u0001k2", Encoding.UTF8.GetString(data, Buf, 9));
        Assert.Equal(Buf + 9, data.Length);
    }

    [Fact]
    public void Syscall_rule_sets_mask_bits_arch_and_operators()
    {
        var rule = AuditRule.Parse("-a always,exit -F arch=b64 -S openat,unlink -F success=0 -F exit=-ENOENT -F auid!=unset -F uid>=1000 -k k3");
        var data = rule.ToRuleData();
        X86_64Syscalls.TryGetNumber("openat", out int openat);
        X86_64Syscalls.TryGetNumber("unlink", out int unlink);
        Assert.Equal(1u << (openat % 32), U(data, Mask + openat / 32 * 4) & (1u << (openat % 32)));
        Assert.Equal(1u << (unlink % 32), U(data, Mask + unlink / 32 * 4) & (1u << (unlink % 32)));
        Assert.Equal(0u, U(data, Mask + 63 * 4));
        Assert.Equal(new[] { openat, unlink }.Order(), rule.Syscalls);

        Assert.Equal(6u, U(data, 8));
        Assert.Equal(11u, U(data, Fields));            // AUDIT_ARCH
        Assert.Equal(0xC000003Eu, U(data, Values));
        Assert.Equal(unchecked((uint)-2), U(data, Values + 8));        // exit=-ENOENT
        Assert.Equal(9u, U(data, Fields + 12));                        // AUDIT_LOGINUID
        Assert.Equal(uint.MaxValue, U(data, Values + 12));
        Assert.Equal(0x30000000u, U(data, FieldFlags + 12));           // AUDIT_NOT_EQUAL
        Assert.Equal(0x60000000u, U(data, FieldFlags + 16));           // AUDIT_GREATER_THAN_OR_EQUAL
        Assert.Equal(["k3"], rule.Keys);
    }

    [Theory]
    [InlineData("-a always,exit -F dir=/tmp/x -F perm=wa -k fsaudit")]
    [InlineData("-a always,exit -F path=/etc/passwd -F perm=rwxa")]
    [InlineData("-a never,exit -F arch=b64 -S openat,unlink -F success=0 -F exit=-ENOENT -F auid!=unset -k a -k b")]
    [InlineData("-a always,exit -F arch=b64 -S all -F uid>=1000 -F pid<5 -F a0&=3 -F a1&8")]
    [InlineData("-a always,exit -S 2,257 -F key=x -F dir=/a")]
    [InlineData("-a always,exit -F dir=\"/tmp/with space/and \\\"quote\\\"\" -k \"key with space\"")]
    [InlineData("-a always,exit -F dir=/tmp/é日本 -F perm=w -F filetype=fifo -F exe=/usr/bin/x")]
    [InlineData("-a always,exclude -F msgtype=CWD")]
    [InlineData("-a never,user -F uid=0")]
    [InlineData("-a always,task -F pid=42")]
    [InlineData("-a always,exit -F arch=b32 -S 5,11 -F exit=-13")]
    public void Parse_ToString_and_binary_round_trip(string text)
    {
        var rule = AuditRule.Parse(text);
        var printed = rule.ToString();
        Assert.Equal(rule, AuditRule.Parse(printed));
        Assert.Equal(printed, AuditRule.Parse(printed).ToString());
        var decoded = AuditRule.FromRuleData(rule.ToRuleData());
        Assert.Equal(rule, decoded);
        Assert.Equal(rule.GetHashCode(), decoded.GetHashCode());
        Assert.Equal(printed, decoded.ToString());
    }

    [Fact]
    public void ToString_uses_auditctl_syntax()
    {
        Assert.Equal("-a always,exit -F dir=/x -F perm=wa -k k", AuditRule.Parse("-a exit,always -F dir=/x -F perm=aw -k k").ToString());
        Assert.Equal("-a always,exit -F arch=b64 -S unlink,openat -F exit=-ENOENT -F auid!=unset",
            AuditRule.Parse("-a always,exit -F arch=b64 -S openat -S unlink -F exit=-2 -F auid!=-1").ToString());
        Assert.Equal(AuditRule.DirectoryWatch("/x", AuditPerm.Write | AuditPerm.Attr, "k"), AuditRule.Parse("-a always,exit -F dir=/x -F perm=wa -k k"));
    }

    [Fact]
    public void Watch_shorthand_decides_dir_by_the_filesystem()
    {
        string dir = Directory.CreateTempSubdirectory("fsaudit-rule-").FullName;
        try
        {
            Assert.Equal(AuditRule.DirectoryWatch(dir, AuditPerm.Write | AuditPerm.Attr, "k"), AuditRule.Parse($"-w {dir} -p wa -k k"));
            Assert.Equal(AuditRule.FileWatch(dir + "/f", AuditPerm.Read | AuditPerm.Write | AuditPerm.Exec | AuditPerm.Attr),
                AuditRule.Parse($"-w {dir}/f"));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Equality_depends_on_field_order_keys_and_syscalls()
    {
        var a = AuditRule.Parse("-a always,exit -F dir=/x -F perm=wa -k k");
        Assert.NotEqual(a, AuditRule.Parse("-a always,exit -F perm=wa -F dir=/x -k k"));
        Assert.NotEqual(a, AuditRule.Parse("-a always,exit -F dir=/x -F perm=wa -k other"));
        Assert.NotEqual(a, AuditRule.Parse("-a always,exit -S unlink -F dir=/x -F perm=wa -k k"));
        Assert.NotEqual(a, AuditRule.Parse("-a never,exit -F dir=/x -F perm=wa -k k"));
        Assert.True(a == AuditRule.Parse("-a always,exit   -F dir=/x -F perm=wa -k k"));
    }

    [Fact]
    public void Kernel_listing_with_class_bits_cleared_still_means_all_syscalls()
    {
        var data = AuditRule.Parse("-a always,exit -F dir=/x -F perm=wa").ToRuleData();
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(Mask + 63 * 4), 0x0000FFFF); // as the kernel stores it
        var decoded = AuditRule.FromRuleData(data);
        Assert.True(decoded.AllSyscalls);
        Assert.Equal(AuditRule.Parse("-a always,exit -F dir=/x -F perm=wa"), decoded);
    }

    [Theory]
    [InlineData("", "needs -a")]
    [InlineData("-a always", "LIST,ACTION")]
    [InlineData("-a sometimes,exit", "Unknown list or action")]
    [InlineData("-a always,exit -F nosuch=1", "Unknown rule field 'nosuch'")]
    [InlineData("-a always,exit -F uid", "Expected -F field=value")]
    [InlineData("-a always,exit -F uid=abc", "needs a number")]
    [InlineData("-a always,exit -F perm=wq", "not one of r, w, x, a")]
    [InlineData("-a always,exit -F dir=relative", "must be absolute")]
    [InlineData("-a always,exit -F dir>/x", "only supports = and !=")]
    [InlineData("-a always,exit -S nosuchcall", "Unknown x86_64 syscall")]
    [InlineData("-a always,exit -F arch=b32 -S open", "by number")]
    [InlineData("-a always,exit -F exit=-ENOTANERRNO", "Unknown errno")]
    [InlineData("-a always,exit -k", "needs a value")]
    [InlineData("-a always,exit -F dir=\"/x", "Unterminated")]
    [InlineData("-a always,exclude -S open", "only valid on the exit list")]
    [InlineData("-a always,exit -X", "Unsupported")]
    [InlineData("-a always,exit -F key=a -k b", "either with -k or with -F key=")]
    public void Bad_input_is_a_clear_FormatException(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => AuditRule.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.False(AuditRule.TryParse(text, out _, out var error));
        Assert.Equal(e.Message, error);
    }

    [Fact]
    public void Too_long_key_is_rejected()
    {
        Assert.Throws<FormatException>(() => AuditRule.Parse("-a always,exit -F dir=/x -k " + new string('k', 257)));
        Assert.Equal(256, AuditRule.Parse("-a always,exit -F dir=/x -k " + new string('k', 256)).Keys[0].Length);
    }

    [Fact]
    public void Malformed_rule_data_is_a_FormatException()
    {
        var data = AuditRule.Parse("-a always,exit -F dir=/x -k k").ToRuleData();
        Assert.Throws<FormatException>(() => AuditRule.FromRuleData(data.AsSpan(0, 1000)));

        var badCount = (byte[])data.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badCount.AsSpan(8), 65);
        Assert.Throws<FormatException>(() => AuditRule.FromRuleData(badCount));

        var badBuf = (byte[])data.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badBuf.AsSpan(BufLen), 500);
        Assert.Throws<FormatException>(() => AuditRule.FromRuleData(badBuf));

        var badString = (byte[])data.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badString.AsSpan(Values), 3);  // dir takes 3 of 3 bytes; the key's 1 byte is missing
        var e = Assert.Throws<FormatException>(() => AuditRule.FromRuleData(badString));
        Assert.Contains("FilterKey", e.Message);
    }
}
