using Xunit;
using System.Text;
using FsAudit.Engine.Kernel;
using FsAudit.Engine.Records;

namespace FsAudit.Tests.Records;

/// <summary>Builds record text the way the kernel and auditd write it.</summary>
internal static class AuditText
{
    public const long Sec = 1_700_000_000;

    public static string Hex(string s) => Convert.ToHexString(Encoding.UTF8.GetBytes(s));

    /// <summary>Record text as the engine reads it (UTF-8).</summary>
    public static byte[] U8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A field span read back as a string.</summary>
    public static string Str(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    public static string Line(string type, uint serial, string fields, long sec = Sec, int ms = 123) =>
        $"type={type} msg=audit({sec}.{ms:000}:{serial}): {fields}";

    public static AuditRecord Rec(string type, uint serial, string fields, long sec = Sec, int ms = 123)
    {
        Assert.True(RecordTypeNames.TryParse(type, out int t), type);
        Assert.True(RecordParser.TryParseKernel((ushort)t, Encoding.UTF8.GetBytes($"audit({sec}.{ms:000}:{serial}): {fields}"), out var r, out var err), err);
        return r!;
    }

    public static string SyscallFields(int syscall = 257, string success = "yes", long exit = 3, int items = 2,
        string comm = "\"touch\"", string exe = "\"/usr/bin/touch\"", string key = "\"fsaudit\"", uint auid = 1000) =>
        $"arch=c000003e syscall={syscall} success={success} exit={exit} a0=ffffff9c a1=7ffd5b1c4e2a a2=941 a3=1b6 items={items} " +
        $"ppid=1000 pid=1234 auid={auid} uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 " +
        $"comm={comm} exe={exe} subj=unconfined key={key}";

    public static string PathFields(int item, string name, string nametype, ulong inode = 1311, string mode = "0100644") =>
        $"item={item} name={name} inode={inode} dev=fd:01 mode={mode} ouid=0 ogid=0 rdev=00:00 nametype={nametype} cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0";
}
