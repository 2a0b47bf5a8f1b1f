using Xunit;
using System.Text.Json;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Events;

public class EventBuilderTests
{
    [Fact]
    public void Repeated_process_identities_build_what_a_fresh_read_builds()
    {
        // The builder copies the identity of a SYSCALL text whose tail (ppid= to the end) it read recently on this
        // thread, and the command line of a PROCTITLE text it decoded recently: every event must equal the one built on
        // a fresh thread, whatever came before it.
        string head = "arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd5b1c4e2a a2=941 a3=1b6 items=2 ";
        string Tail(int pid, string comm = "\"w\"", string key = "\"k\"", string tty = "pts0") =>
            $"ppid=1 pid={pid} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty={tty} ses=3 comm={comm} exe=\"/usr/bin/w\" subj=unconfined key={key}";
        string[] texts =
        [
            head + Tail(100), head + Tail(101), head + Tail(102), head + Tail(103), head + Tail(104), head + Tail(105),
            head + Tail(100, comm: "(null)"), head + Tail(100, key: "(null)"), head + Tail(100, tty: "(none)"),
            head + Tail(100, key: "(null) key=\"second\""),  // the first key is empty: a later one counts
            "pid=7 " + head + Tail(100),                       // an identity value before the tail
            head + Tail(100) + " arch=40000003 exit=-2",        // non-identity fields inside the tail
            head + Tail(100) + " pid=9 comm=\"x\"",            // repeated identity fields: the first ones count
            head + Tail(100).Replace("uid=0 gid", "uid=0 extra=1 gid"),
            "arch=c000003e syscall=2 " + Tail(100),            // a different head, the same tail
        ];
        // Command lines repeat too (the builder keeps the last few decoded): hex, quoted, null, none.
        string[] titles = ["proctitle=" + Hex("w\0-n\0/tmp/x"), "proctitle=" + Hex("other"), "proctitle=\"w\"", "proctitle=(null)", "x=1"];
        var titleRng = new Random(6);
        AuditRecord[] Records(string text, uint serial) =>
            [Rec("SYSCALL", serial, text), Rec("PROCTITLE", serial, titles[titleRng.Next(titles.Length)]), Rec("EOE", serial, "")];
        static string Line(AuditRecord[] records) => EventJson.ToLine(EventBuilder.Build(records, incomplete: false));
        static string Fresh(AuditRecord[] records)
        {
            string? line = null;
            var t = new Thread(() => line = Line(records));
            t.Start();
            t.Join();
            return line!;
        }

        var rng = new Random(5);
        uint serial = 1;
        for (int i = 0; i < 400; i++)
        {
            var records = Records(texts[rng.Next(i < 200 ? 3 : texts.Length)], serial++);
            Assert.Equal(Fresh(records), Line(records));
        }
    }

    [Fact]
    public void Syscall_event_fields_and_relative_create_resolved_against_cwd()
    {
        var records = new[]
        {
            Rec("SYSCALL", 100, SyscallFields()),
            Rec("CWD", 100, "cwd=\"/tmp/work\""),
            Rec("PATH", 100, PathFields(0, "\"/tmp/work\"", "PARENT", 10, "040755")),
            Rec("PATH", 100, PathFields(1, "\"new.txt\"", "CREATE", 11)),
            Rec("PROCTITLE", 100, "proctitle=" + Hex("touch\0new.txt")),
            Rec("EOE", 100, ""),
        };
        var e = EventBuilder.Build(records, incomplete: false);

        Assert.Equal(100u, e.Serial);
        Assert.Equal(Sec * 1000 + 123, e.TimestampMs);
        Assert.Equal("SYSCALL", e.Type);
        Assert.Equal(257, e.Syscall);
        Assert.Equal("openat", e.SyscallName);
        Assert.Equal(0xC000003Eu, e.Arch);
        Assert.True(e.Success);
        Assert.Equal(3, e.Exit);
        Assert.Null(e.Errno);
        Assert.Equal(0xffffff9cUL, e.A0);
        Assert.Equal(0x7ffd5b1c4e2aUL, e.A1);
        Assert.Equal(0x941UL, e.A2);
        Assert.Equal(0x1b6UL, e.A3);
        Assert.Equal(2, e.Items);
        Assert.Equal(1234, e.Pid);
        Assert.Equal(1000, e.Ppid);
        Assert.Equal(1000u, e.Auid);
        Assert.True(e.AuidIsSet);
        Assert.Equal(0u, e.Uid);
        Assert.Equal(0u, e.Fsgid);
        Assert.Equal(3u, e.Ses);
        Assert.Equal("pts0", e.Tty);
        Assert.Equal("touch", e.Comm);
        Assert.Equal("/usr/bin/touch", e.Exe);
        Assert.Equal("unconfined", e.Subj);
        Assert.Equal("fsaudit", e.Key);
        Assert.Equal("/tmp/work", e.Cwd);
        Assert.Equal("touch new.txt", e.Proctitle);
        Assert.False(e.Incomplete);
        Assert.Equal(5, e.Records.Count); // EOE not kept
        Assert.Equal(new ushort[] { 1300, 1307, 1302, 1302, 1327 }, e.RecordTypes);

        Assert.Equal(2, e.Paths.Count);
        Assert.Equal("/tmp/work", e.Paths[0].Name);
        Assert.Equal("PARENT", e.Paths[0].NameType);
        Assert.Equal(0x41EDu, e.Paths[0].Mode);
        Assert.Equal("/tmp/work/new.txt", e.Paths[1].Name);
        Assert.Equal("new.txt", e.Paths[1].RawName);
        Assert.Equal(11UL, e.Paths[1].Inode);
        Assert.Equal("fd:01", e.Paths[1].Dev);
        Assert.Equal("CREATE", e.Paths[1].NameType);
        Assert.Equal(0u, e.Paths[1].Ouid);
    }

    [Fact]
    public void Relative_names_with_directories_dot_segments_and_parent_fallback()
    {
        var withCwd = EventBuilder.Build(new[]
        {
            Rec("SYSCALL", 1, SyscallFields(syscall: 87)),
            Rec("CWD", 1, "cwd=\"/home/al\""),
            Rec("PATH", 1, PathFields(0, "\"sub\"", "PARENT")),
            Rec("PATH", 1, PathFields(1, "\"./sub/../sub//f\"", "DELETE")),
        }, false);
        Assert.Equal("unlink", withCwd.SyscallName);
        Assert.Equal("/home/al/sub", withCwd.Paths[0].Name);
        Assert.Equal("/home/al/sub/f", withCwd.Paths[1].Name);

        // No CWD record: a bare name joins the PARENT item's absolute name (the kernel logs the cwd there).
        var noCwd = EventBuilder.Build(new[]
        {
            Rec("SYSCALL", 2, SyscallFields()),
            Rec("PATH", 2, PathFields(0, "\"/srv/data\"", "PARENT")),
            Rec("PATH", 2, PathFields(1, "\"x.log\"", "CREATE")),
        }, false);
        Assert.Equal("/srv/data/x.log", noCwd.Paths[1].Name);
    }

    [Fact]
    public void Hex_and_null_names_failure_errno_and_several_keys()
    {
        var odd = "/tmp/dir with space/\"q\"\nnl-é";
        var e = EventBuilder.Build(new[]
        {
            Rec("SYSCALL", 5, SyscallFields(syscall: 87, success: "no", exit: -2, items: 2, key: Hex("k1\u0001k2"), comm: Hex("my comm"))),
            Rec("CWD", 5, "cwd=" + Hex("/root/my dir")),
            Rec("PATH", 5, PathFields(0, Hex(odd), "NORMAL")),
            Rec("PATH", 5, "item=1 name=(null) inode=5 dev=00:00 mode=0 ouid=0 ogid=0 rdev=00:00 nametype=UNKNOWN"),
        }, false);
        Assert.False(e.Success);
        Assert.Equal(-2, e.Exit);
        Assert.Equal("ENOENT", e.Errno);
        Assert.Equal(["k1", "k2"], e.Keys);
        Assert.Equal("k1", e.Key);
        Assert.Equal("my comm", e.Comm);
        Assert.Equal("/root/my dir", e.Cwd);
        Assert.Equal(odd, e.Paths[0].Name);
        Assert.Null(e.Paths[1].Name);
        Assert.Null(e.Paths[1].RawName);
    }

    [Fact]
    public void Path_fields_are_read_in_kernel_order_and_in_any_other_order()
    {
        var e = EventBuilder.Build(new[]
        {
            Rec("SYSCALL", 7, SyscallFields(items: 2)),
            Rec("PATH", 7, "item=0 name=\"/a\" inode=11 dev=fd:01 mode=0100644 ouid=1 ogid=2 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"),
            Rec("PATH", 7, "nametype=CREATE item=1 name=\"/b\" inode=12 dev=fd:02 mode=0100600 ouid=3 ogid=4"),
        }, false);
        Assert.Equal(("/a", 11UL, "fd:01", 0x81A4u, 1u, 2u, "NORMAL"), (e.Paths[0].Name, e.Paths[0].Inode!.Value, e.Paths[0].Dev, e.Paths[0].Mode!.Value, e.Paths[0].Ouid!.Value, e.Paths[0].Ogid!.Value, e.Paths[0].NameType));
        Assert.Equal(("/b", 12UL, "fd:02", 0x8180u, 3u, 4u, "CREATE"), (e.Paths[1].Name, e.Paths[1].Inode!.Value, e.Paths[1].Dev, e.Paths[1].Mode!.Value, e.Paths[1].Ouid!.Value, e.Paths[1].Ogid!.Value, e.Paths[1].NameType));
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(-100000)]
    public void A_failed_syscall_with_an_exit_no_errno_has_gets_no_errno_name(long exit)
    {
        var e = EventBuilder.Build(new[] { Rec("SYSCALL", 6, SyscallFields(success: "no", exit: exit)) }, false);
        Assert.False(e.Success);
        Assert.Equal(exit, e.Exit);
        Assert.Null(e.Errno);
    }

    [Fact]
    public void Repeated_values_share_one_string_and_quoted_non_ascii_user_text_decodes()
    {
        // Quoted kernel values are ASCII and interned straight from the record bytes; user-space records can quote UTF-8.
        var a = EventBuilder.Build([Rec("SYSCALL", 1, SyscallFields(comm: "\"same-comm\""))], false);
        var b = EventBuilder.Build([Rec("SYSCALL", 2, SyscallFields(comm: "\"same-comm\""))], false);
        Assert.Equal("same-comm", a.Comm);
        Assert.Same(a.Comm, b.Comm);
        var u = EventBuilder.Build([Rec("USER_LOGIN", 3, "pid=1 uid=0 auid=0 ses=1 msg='op=login acct=\"jürgen\" exe=\"/usr/sbin/sshd\" res=failed'")], false);
        Assert.Equal("/usr/sbin/sshd", u.Exe);
        Assert.False(u.Success);
        Assert.Equal("failed", u.Result);
    }

    [Fact]
    public void Key_null_means_no_key_and_unset_auid()
    {
        var e = EventBuilder.Build(new[] { Rec("SYSCALL", 6, SyscallFields(key: "(null)", auid: 4294967295)) }, false);
        Assert.Empty(e.Keys);
        Assert.Null(e.Key);
        Assert.Equal(AuditEvent.Unset, e.Auid);
        Assert.False(e.AuidIsSet);
        using var doc = JsonDocument.Parse(EventJson.ToLine(e));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("key").ValueKind);
        Assert.Equal(-1, doc.RootElement.GetProperty("auid").GetInt64());
    }

    [Fact]
    public void Execve_long_arguments_split_across_records_are_reassembled()
    {
        var longArg = new string('x', 9000) + " tail é";
        var hex = Hex(longArg);
        var part1 = hex[..8000];
        var part2 = hex[8000..];
        var records = new[]
        {
            Rec("SYSCALL", 7, SyscallFields(syscall: 59, items: 2, comm: "\"echo\"", exe: "\"/usr/bin/echo\"")),
            Rec("EXECVE", 7, $"argc=3 a0=\"echo\" a1_len={hex.Length} a1[0]={part1}"),
            Rec("EXECVE", 7, $"a1[1]={part2} a2={Hex("two words")}"),
            // PROCTITLE is not always last; items=2 but only one PATH record.
            Rec("PROCTITLE", 7, "proctitle=" + Hex("echo\0xxx")),
            Rec("CWD", 7, "cwd=\"/\""),
            Rec("PATH", 7, PathFields(0, "\"/usr/bin/echo\"", "NORMAL", mode: "0100755")),
        };
        var e = EventBuilder.Build(records, false);
        Assert.Equal("execve", e.SyscallName);
        Assert.Equal(["echo", longArg, "two words"], e.Argv);
        Assert.Equal("echo xxx", e.Proctitle);
        Assert.Equal(2, e.Items);
        Assert.Single(e.Paths);
        Assert.Equal("/usr/bin/echo", e.Paths[0].Name);
    }

    [Fact]
    public void Execve_quoted_chunks_concatenate()
    {
        var e = EventBuilder.Build(new[]
        {
            Rec("EXECVE", 8, "argc=2 a0=\"ls\" a1_len=6 a1[0]=\"abc\""),
            Rec("EXECVE", 8, "a1[1]=\"def\""),
        }, false);
        Assert.Equal(["ls", "abcdef"], e.Argv);
        Assert.Equal("EXECVE", e.Type);
    }

    [Fact]
    public void User_space_record_reads_nested_message()
    {
        var e = EventBuilder.Build(new[]
        {
            Rec("USER_START", 9, "pid=4242 uid=0 auid=1000 ses=3 subj=unconfined msg='op=PAM:session_open grantors=pam_unix acct=\"root\" exe=\"/usr/bin/sudo\" hostname=? addr=? terminal=/dev/pts/0 res=success'"),
        }, false);
        Assert.Equal("USER_START", e.Type);
        Assert.Null(e.Syscall);
        Assert.Null(e.SyscallName);
        Assert.Equal(4242, e.Pid);
        Assert.Equal(1000u, e.Auid);
        Assert.Equal("/usr/bin/sudo", e.Exe);
        Assert.Equal("/dev/pts/0", e.Tty);
        Assert.Equal("success", e.Result);
        Assert.True(e.Success);
        Assert.Empty(e.Paths);
        Assert.Null(e.Argv);
    }

    [Fact]
    public void Login_and_config_change_build_alone()
    {
        var login = EventBuilder.Build(new[]
        {
            Rec("LOGIN", 10, "pid=900 uid=0 subj=unconfined old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=7 res=1"),
        }, false);
        Assert.Equal("LOGIN", login.Type);
        Assert.Equal(1000u, login.Auid);
        Assert.Equal(7u, login.Ses);
        Assert.True(login.Success);

        var cfg = EventBuilder.Build(new[]
        {
            Rec("CONFIG_CHANGE", 11, "auid=1000 ses=3 subj=unconfined op=add_rule key=\"fsaudit\" list=4 res=0"),
        }, false);
        Assert.Equal("CONFIG_CHANGE", cfg.Type);
        Assert.Equal("fsaudit", cfg.Key);
        Assert.False(cfg.Success);
    }

    [Fact]
    public void Json_has_the_documented_shape()
    {
        var e = EventBuilder.Build(new[]
        {
            Rec("SYSCALL", 100, SyscallFields(success: "no", exit: -13), ms: 5),
            Rec("CWD", 100, "cwd=\"/tmp\""),
            Rec("PATH", 100, PathFields(0, "\"f\"", "NORMAL", 99)),
        }, incomplete: true);
        var line = EventJson.ToLine(e);
        Assert.DoesNotContain('\n', line);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal(100u, root.GetProperty("serial").GetUInt32());
        Assert.Equal("2023-11-14T22:13:20.005Z", root.GetProperty("timestamp").GetString());
        Assert.Equal("SYSCALL", root.GetProperty("type").GetString());
        Assert.Equal("openat", root.GetProperty("syscall").GetString());
        Assert.False(root.GetProperty("success").GetBoolean());
        Assert.Equal(-13, root.GetProperty("exit").GetInt64());
        Assert.Equal("EACCES", root.GetProperty("errno").GetString());
        Assert.Equal(1234, root.GetProperty("pid").GetInt32());
        Assert.Equal(1000, root.GetProperty("ppid").GetInt32());
        Assert.Equal(0, root.GetProperty("uid").GetInt64());
        Assert.Equal(1000, root.GetProperty("auid").GetInt64());
        Assert.Equal("touch", root.GetProperty("comm").GetString());
        Assert.Equal("/usr/bin/touch", root.GetProperty("exe").GetString());
        Assert.Equal("fsaudit", root.GetProperty("key").GetString());
        Assert.Equal("/tmp", root.GetProperty("cwd").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("proctitle").ValueKind);
        var path = Assert.Single(root.GetProperty("paths").EnumerateArray());
        Assert.Equal("/tmp/f", path.GetProperty("name").GetString());
        Assert.Equal("NORMAL", path.GetProperty("nametype").GetString());
        Assert.Equal(99UL, path.GetProperty("inode").GetUInt64());
        Assert.Equal("0100644", path.GetProperty("mode").GetString());
        Assert.Equal(3, root.GetProperty("records").GetInt32());
        Assert.True(root.GetProperty("incomplete").GetBoolean());
        Assert.Equal("x86_64", root.GetProperty("arch").GetString());
        Assert.Equal(["ffffff9c", "7ffd5b1c4e2a", "941", "1b6"], root.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public void WriteProperties_lets_callers_add_their_own()
    {
        var e = EventBuilder.Build(new[] { Rec("SYSCALL", 1, SyscallFields()) }, false);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("offset", 42);
            EventJson.WriteProperties(w, e);
            w.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal(42, doc.RootElement.GetProperty("offset").GetInt32());
        Assert.Equal(1u, doc.RootElement.GetProperty("serial").GetUInt32());
    }

    [Fact]
    public void Paths_normalize_lexically()
    {
        Assert.Equal("/a/c", PathResolver.Resolve("../c", "/a/b"));
        Assert.Equal("/", PathResolver.Resolve("..", "/"));
        Assert.Equal("/x", PathResolver.Normalize("//x/./"));
        var clean = "/already/clean";
        Assert.Same(clean, PathResolver.Normalize(clean));
        Assert.Equal("rel", PathResolver.Resolve("rel", null));
        Assert.Equal("/a/.hidden", PathResolver.Resolve(".hidden", "/a"));
        Assert.Equal("/a/..x", PathResolver.Resolve("..x", "/a"));
    }
}
