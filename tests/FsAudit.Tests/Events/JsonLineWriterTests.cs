using System.Buffers;
using System.Text;
using System.Text.Json;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Events;

/// <summary>
/// Differential tests of <see cref="JsonLineWriter"/>: event lines and subscriber lines are byte-identical to what a
/// Utf8JsonWriter with <see cref="EventJson.WriterOptions"/> writes for the same property sequence (the oracle below,
/// the event JSON as it was written before the hand-rolled writer), and parse.
/// </summary>
public class JsonLineWriterTests
{
    private const uint Unset = AuditEvent.Unset;

    public static readonly string[] OddStrings =
    [
        "",
        "touch",
        "/usr/bin/\"quoted\" name",
        "back\\slash",
        "line\nbreak\ttab\rcr\bbs\fff\u0001ctl\u001f\u007fdel",
        "<html> & 'apos' +plus `tick` /slash/ =eq",
        "caf\u00e9 \u65e5\u672c \u00a0nbsp \u0080c1 \u009fc1",
        "emoji \ud83d\ude00 and \ud83c\udf89",
        "line sep \u2028 para sep \u2029",
        "bom \ufeff replacement \ufffd noncharacter \uffff",
        "lone high \ud800 then text",
        "lone low \udc00",
        "ends with high \ud83d",
        "\u0000nul",
        new string('x', 300) + "\"",
        new string('p', 5000),
        string.Concat(Enumerable.Repeat("d\u00e9j\u00e0 \"vu\" \\ ", 2000)),
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    ];

    public static TheoryData<int> EventIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Events().Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(EventIndexes))]
    public void Event_line_matches_the_utf8_json_writer(int index)
    {
        var e = Events()[index];
        var expected = Reference(w =>
        {
            w.WriteStartObject();
            ReferenceProperties(w, e);
            w.WriteEndObject();
        });
        // Twice: the second write hits the encoded-strings cache.
        Assert.Equal(Encoding.UTF8.GetString(expected), EventJson.ToLine(e));
        Assert.Equal(Encoding.UTF8.GetString(expected), EventJson.ToLine(e));
        using var doc = JsonDocument.Parse(expected);
        Assert.Equal(e.Serial, doc.RootElement.GetProperty("serial").GetUInt32());

        var stream = new MemoryStream();
        EventJson.WriteLine(stream, e);
        Assert.Equal([.. expected, (byte)'\n'], stream.ToArray());
    }

    [Fact]
    public void Repeated_and_changing_process_identities_write_what_the_utf8_json_writer_writes()
    {
        // EventJson reuses the serialized identity members (pid .. keys) of its last few events when the values are the
        // same: cycle through more identities than it keeps, repeat them, and change one value at a time.
        string[] keyA = ["data"], keyB = ["data", "second"], keyACopy = [new string("data".AsSpan())];
        var identities = new List<AuditEvent>();
        for (int i = 0; i < 6; i++)
        {
            identities.Add(new AuditEvent
            {
                Type = "SYSCALL", Syscall = 257, Pid = 100 + i, Ppid = 1, Uid = 0, Gid = 0, Auid = i % 2 == 0 ? Unset : 1000u,
                Euid = 0, Suid = 0, Fsuid = 0, Egid = 0, Sgid = 0, Fsgid = 0, Ses = Unset, Tty = i == 3 ? null : "(none)",
                Comm = "w", Exe = "/usr/bin/w", Subj = i == 4 ? "unconfined" : null, Keys = i == 5 ? keyB : keyA,
            });
        }
        var variants = new List<AuditEvent>
        {
            new() { Type = "SYSCALL", Pid = 100, Ppid = 1, Uid = 0, Gid = 0, Auid = Unset, Euid = 0, Suid = 0, Fsuid = 0, Egid = 0, Sgid = 1, Fsgid = 0, Ses = Unset, Tty = "(none)", Comm = "w", Exe = "/usr/bin/w", Keys = keyA },
            new() { Type = "SYSCALL", Pid = 100, Ppid = 1, Uid = 0, Gid = 0, Auid = Unset, Euid = 0, Suid = 0, Fsuid = 0, Egid = 0, Sgid = 0, Fsgid = 0, Ses = Unset, Tty = "(none)", Comm = "w", Exe = "/usr/bin/w", Keys = keyACopy },
            new() { Type = "SYSCALL", Pid = 100, Ppid = 1, Uid = 0, Gid = 0, Auid = Unset, Euid = null, Suid = 0, Fsuid = 0, Egid = 0, Sgid = 0, Fsgid = 0, Ses = Unset, Tty = "(none)", Comm = "w", Exe = "/usr/bin/w", Keys = keyA },
            new() { Type = "SYSCALL", Pid = 100, Ppid = 1, Uid = 0, Gid = 0, Auid = Unset, Euid = 0, Suid = 0, Fsuid = 0, Egid = 0, Sgid = 0, Fsgid = 0, Ses = Unset, Tty = "(none)", Comm = "w\"", Exe = "/usr/bin/w", Keys = keyA },
            new() { Type = "SYSCALL", Pid = 100, Ppid = 1, Uid = 0, Gid = 0, Auid = Unset, Euid = 0, Suid = 0, Fsuid = 0, Egid = 0, Sgid = 0, Fsgid = 0, Ses = Unset, Tty = "(none)", Comm = "w", Exe = "/usr/bin/w", Keys = [] },
            new(),
        };
        var sequence = new List<AuditEvent>();
        for (int round = 0; round < 3; round++)
        {
            sequence.AddRange(identities);
            sequence.AddRange(Enumerable.Repeat(identities[round], 3));
            sequence.AddRange(variants);
        }
        foreach (var e in sequence)
        {
            var expected = Reference(w =>
            {
                w.WriteStartObject();
                ReferenceProperties(w, e);
                w.WriteEndObject();
            });
            Assert.Equal(Encoding.UTF8.GetString(expected), EventJson.ToLine(e));
        }
    }

    [Theory]
    [MemberData(nameof(EventIndexes))]
    public void Subscriber_line_matches_the_utf8_json_writer(int index)
    {
        var e = Events()[index];
        var writer = new PublishedEventWriter<AuditEvent>(new AuditEventView(ClassCatalog.Empty));
        foreach (var facts in new[]
        {
            Facts("FILE_Unlink", "deletes", "files"),
            Facts("PROC_Execute"),
            Facts("odd \"name\" \\ \u00e9 \ud83d\ude00", "class\twith\ttabs", "", "\u2028"),
        })
        {
            foreach (long offset in new[] { 0L, 1L, 123_456_789_012L, long.MaxValue })
            {
                var expected = Reference(w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("offset", offset);
                    w.WriteString("event", facts.Name);
                    w.WriteStartArray("classes");
                    foreach (var c in facts.Classes) w.WriteStringValue(c);
                    w.WriteEndArray();
                    ReferenceProperties(w, e);
                    w.WriteEndObject();
                });
                var line = writer.Write(offset, e, facts).Line;
                Assert.Equal(Encoding.UTF8.GetString([.. expected, (byte)'\n']), Encoding.UTF8.GetString(line));
                Assert.Equal([.. expected, (byte)'\n'], line);
                var json = FsAudit.Tests.Subscribers.Lines.Parse(line);
                Assert.Equal(offset, json.GetProperty("offset").GetInt64());
                Assert.Equal(facts.Name, json.GetProperty("event").GetString());
            }
        }
    }

    [Fact]
    public void Numbers_are_written_as_the_invariant_formatter_writes_them()
    {
        var values = new List<long> { 0, long.MinValue, long.MaxValue, long.MinValue + 1 };
        for (long p = 1; p > 0 && p <= long.MaxValue / 10; p *= 10)
            values.AddRange([p - 1, p, p + 1, -p, -(p - 1), p * 5]);
        var rng = new Random(7);
        for (int i = 0; i < 2000; i++) values.Add(rng.NextInt64(long.MinValue, long.MaxValue) >> rng.Next(64));
        var w = new JsonLineWriter(16);
        foreach (long v in values)
        {
            w.Reset();
            w.NumberValue(v);
            Assert.Equal(v.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(w.WrittenSpan));
        }
        foreach (ulong v in new[] { ulong.MaxValue, ulong.MaxValue - 1, 10000000000000000000UL, 9999999999999999999UL, 18446744073709551610UL })
        {
            w.Reset();
            w.NumberValue(v);
            Assert.Equal(v.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(w.WrittenSpan));
        }
    }

    [Fact]
    public void Extra_properties_are_written_after_the_event_s_own()
    {
        var e = Events()[0];
        JsonName enriched = new("enriched"), uid = new("uid"), parentExe = new("parent_exe"), n = new("n");
        Action<JsonLineWriter, AuditEvent> extra = (w, ev) =>
        {
            if (ev.Serial % 2 == 0) return; // nothing to add: no stray comma
            w.StartObject(enriched);
            w.String(uid, "r\u00f6\"ot");
            w.String(parentExe, "/usr/bin/bash");
            w.EndObject();
            w.Number(n, -5);
        };
        void ReferenceExtra(Utf8JsonWriter w, AuditEvent ev)
        {
            if (ev.Serial % 2 == 0) return;
            w.WriteStartObject("enriched");
            w.WriteString("uid", "r\u00f6\"ot");
            w.WriteString("parent_exe", "/usr/bin/bash");
            w.WriteEndObject();
            w.WriteNumber("n", -5);
        }
        var writer = new PublishedEventWriter<AuditEvent>(new AuditEventView(ClassCatalog.Empty, extra: extra));
        foreach (var ev in new[] { e, Events()[1] })
        {
            var facts = Facts("FILE_Open", "files");
            var expected = Reference(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("offset", 7);
                w.WriteString("event", facts.Name);
                w.WriteStartArray("classes");
                foreach (var c in facts.Classes) w.WriteStringValue(c);
                w.WriteEndArray();
                ReferenceProperties(w, ev);
                ReferenceExtra(w, ev);
                w.WriteEndObject();
            });
            Assert.Equal(Encoding.UTF8.GetString([.. expected, (byte)'\n']), Encoding.UTF8.GetString(writer.Write(7, ev, facts).Line));
        }
    }

    [Fact]
    public void Strings_escape_exactly_like_the_utf8_json_writer()
    {
        var rnd = new Random(20251124);
        char[] pool =
        [
            'a', 'Z', '0', ' ', '~', '/', '"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u0080', '\u00e9', '\u00ff',
            '\u0100', '\u0378' /* unassigned */, '\u2028', '\u2029', '\u65e5', '\ufeff', '\ufffd', '\uffff', '\ue000',
            '\ud83d', '\ude00', '\ud800', '\udfff', '<', '>', '&', '\'', '+', '`',
        ];
        var strings = new List<string>(OddStrings);
        for (int i = 0; i < 3000; i++)
        {
            int length = rnd.Next(4) == 0 ? rnd.Next(300, 3000) : rnd.Next(0, 40);
            var chars = new char[length];
            for (int j = 0; j < length; j++)
                chars[j] = rnd.Next(3) switch
                {
                    0 => pool[rnd.Next(pool.Length)],
                    1 => (char)rnd.Next(0x20, 0x7f),
                    _ => (char)rnd.Next(0, 0x10000),
                };
            strings.Add(new string(chars));
        }

        var line = new JsonLineWriter(16); // small: grows on the way
        var name = new JsonName("v");
        foreach (var s in strings)
        {
            var expected = Reference(w =>
            {
                w.WriteStartObject();
                w.WriteString("v", s);
                w.WriteStartArray("a");
                w.WriteStringValue(s);
                w.WriteStringValue(s);
                w.WriteEndArray();
                w.WriteEndObject();
            });
            line.Reset();
            line.StartObject();
            line.String(name, s);
            line.StartArray(new JsonName("a"));
            line.StringValue(s);
            EncodedStrings.WriteValue(line, s);
            line.EndArray();
            line.EndObject();
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(line.WrittenSpan));
            Assert.True(expected.AsSpan().SequenceEqual(line.WrittenSpan));
            using var doc = JsonDocument.Parse(expected);
        }
    }

    [Fact]
    public void Numbers_literals_and_nesting_match_the_utf8_json_writer()
    {
        long[] longs = [0, 1, -1, 9, 10, -10, 4294967295, -4294967295, int.MaxValue, int.MinValue, long.MaxValue, long.MinValue];
        ulong[] ulongs = [0, 1, 18446744073709551615UL, 4294967296UL];
        var expected = Reference(w =>
        {
            w.WriteStartObject();
            foreach (var v in longs) w.WriteNumber("l", v);
            foreach (var v in ulongs) w.WriteNumber("u", v);
            w.WriteNull("n");
            w.WriteBoolean("t", true);
            w.WriteBoolean("f", false);
            w.WriteStartArray("a");
            w.WriteStartArray();
            w.WriteEndArray();
            w.WriteStartObject();
            w.WriteEndObject();
            w.WriteNullValue();
            foreach (var v in longs) w.WriteNumberValue(v);
            foreach (var v in ulongs) w.WriteNumberValue(v);
            w.WriteStartObject();
            w.WriteStartObject("o");
            w.WriteNull("x");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("empty");
            w.WriteEndArray();
            w.WriteString("s", "x");
            w.WriteEndObject();
        });

        var line = new JsonLineWriter(16);
        JsonName l = new("l"), u = new("u");
        line.StartObject();
        foreach (var v in longs) line.Number(l, v);
        foreach (var v in ulongs) line.Number(u, v);
        line.Null(new JsonName("n"));
        line.Bool(new JsonName("t"), true);
        line.Bool(new JsonName("f"), false);
        line.StartArray(new JsonName("a"));
        line.StartArray();
        line.EndArray();
        line.StartObject();
        line.EndObject();
        line.NullValue();
        foreach (var v in longs) line.NumberValue(v);
        foreach (var v in ulongs) line.NumberValue(v);
        line.StartObject();
        line.StartObject(new JsonName("o"));
        line.Null(new JsonName("x"));
        line.EndObject();
        line.EndObject();
        line.EndArray();
        line.StartArray(new JsonName("empty"));
        line.EndArray();
        line.String(new JsonName("s"), "x");
        line.EndObject();
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(line.WrittenSpan));
    }

    [Fact]
    public void Property_names_are_escaped_like_the_writer_escapes_them()
    {
        foreach (var s in OddStrings.Where(s => s.Length < 1000))
        {
            var expected = Reference(w =>
            {
                w.WriteStartObject();
                w.WriteNumber(s, 1);
                w.WriteEndObject();
            });
            var line = new JsonLineWriter();
            line.StartObject();
            line.Number(new JsonName(s), 1);
            line.EndObject();
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(line.WrittenSpan));
        }
    }

    [Fact]
    public void Callers_with_a_utf8_json_writer_get_the_same_properties()
    {
        foreach (var e in Events())
        {
            // The writer's own options (validation on, default encoder): re-written property by property.
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteNumber("offset", 42);
                EventJson.WriteProperties(w, e);
                w.WriteBoolean("after", true);
                w.WriteEndObject();
            }
            using var doc = JsonDocument.Parse(buffer.WrittenMemory);
            using var line = JsonDocument.Parse(EventJson.ToLine(e));
            Assert.Equal(42, doc.RootElement.GetProperty("offset").GetInt32());
            Assert.True(doc.RootElement.GetProperty("after").GetBoolean());
            foreach (var p in line.RootElement.EnumerateObject())
                Assert.True(JsonElement.DeepEquals(p.Value, doc.RootElement.GetProperty(p.Name)), p.Name);

            // EventJson.WriterOptions (no validation): the bytes as they are.
            var expected = Reference(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("offset", 42);
                ReferenceProperties(w, e);
                w.WriteBoolean("after", true);
                w.WriteEndObject();
            });
            var actual = Reference(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("offset", 42);
                EventJson.WriteProperties(w, e);
                w.WriteBoolean("after", true);
                w.WriteEndObject();
            });
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));

            var stream = new MemoryStream();
            EventJson.WriteLine(stream, e);
            EventJson.WriteLine(stream, e);
            var once = Reference(w => { w.WriteStartObject(); ReferenceProperties(w, e); w.WriteEndObject(); });
            Assert.Equal([.. once, (byte)'\n', .. once, (byte)'\n'], stream.ToArray());
        }
    }

    private static EventFacts Facts(string name, params string[] classes) =>
        new(name, classes, [], null, null, null, []);

    private static byte[] Reference(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventJson.WriterOptions)) body(w);
        return buffer.WrittenSpan.ToArray();
    }

    private static List<AuditEvent>? _events;

    private static List<AuditEvent> Events() => _events ??= BuildEvents();

    private static List<AuditEvent> BuildEvents()
    {
        AuditRecord Rec(uint serial) => new(1300, 0, serial, $"audit(0.000:{serial}): x=1", 16);
        var list = new List<AuditEvent>
        {
            // Every field set.
            new()
            {
                Serial = 4294967295, TimestampMs = 1_764_000_123_999, Type = "SYSCALL", Node = "host-1",
                Syscall = 257, SyscallName = "openat", Arch = 0xC000003E, Success = true, Exit = 3, Errno = null,
                A0 = 0xffffff9c, A1 = 0x7ffd5b1c4e2a, A2 = 0x941, A3 = 0, Items = 2,
                Pid = 1234, Ppid = 1, Uid = 0, Gid = 0, Auid = Unset, Euid = 1000, Suid = 1001, Fsuid = 1002,
                Egid = 100, Sgid = 101, Fsgid = 102, Ses = Unset, Tty = "pts0", Comm = "touch", Exe = "/usr/bin/touch",
                Subj = "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", Keys = ["data", "second key", "th\"ird"],
                Result = "success", Cwd = "/home/user", Proctitle = "touch /srv/data/f.txt", Argv = ["touch", "/srv/data/f.txt", ""],
                Paths =
                [
                    new AuditPath { Item = 0, Name = "/srv/data", NameType = "PARENT", Inode = 131073, Mode = 040755, Dev = "fd:01", Ouid = 0, Ogid = Unset },
                    new AuditPath { Item = 1, Name = "/srv/data/f.txt", NameType = "CREATE", Inode = ulong.MaxValue, Mode = 0100644, Dev = "fd:01", Ouid = 1000, Ogid = 1000 },
                    new AuditPath { Item = 2, Name = null, NameType = null, Inode = null, Mode = null },
                ],
                Records = [Rec(1), Rec(2), Rec(3)], Incomplete = true,
            },
            // Nothing set.
            new(),
            new() { Type = "" },
            // Nulls where a value may be null, syscall without a name, foreign arch, failure.
            new()
            {
                Serial = 2, TimestampMs = -62_135_596_800_000, Type = "SYSCALL", Syscall = 9999, Arch = 0x40000003, Success = false,
                Exit = -2, Errno = "ENOENT", A0 = ulong.MaxValue, A1 = null, A2 = 1, A3 = null, Items = 0,
                Pid = int.MinValue, Ppid = int.MaxValue, Uid = Unset, Gid = Unset, Auid = 4294967294, Ses = 0,
                Comm = null, Exe = null, Keys = [], Cwd = null, Proctitle = null, Paths = [], Incomplete = false,
            },
            new() { Serial = 3, TimestampMs = 253_402_300_799_999, Type = "USER_LOGIN", Result = "failed", Exit = long.MinValue, Keys = ["only"] },
        };

        // One event per odd string, in every string field (interned-looking and per-event ones).
        uint serial = 10;
        foreach (var s in OddStrings)
        {
            list.Add(new AuditEvent
            {
                Serial = serial++, TimestampMs = 1_700_000_000_005, Type = s, Node = s, Syscall = 59, SyscallName = s,
                Arch = 0xC000003E, Success = true, Exit = 0, Errno = s, Tty = s, Comm = s, Exe = s, Subj = s,
                Keys = [s, s, "k"], Result = s, Cwd = s, Proctitle = s, Argv = [s, "-x", s],
                Pid = -1, Uid = Unset, Gid = 4294967294, Auid = 1000, Ses = Unset,
                Paths =
                [
                    new AuditPath { Item = 0, Name = s, NameType = s, Inode = 1, Mode = 0, Dev = s, Ouid = Unset, Ogid = 0 },
                    new AuditPath { Item = -1, Name = s + "/x", NameType = "NORMAL", Inode = 0, Mode = uint.MaxValue },
                ],
            });
        }
        // Many paths: the buffer grows past its first size.
        list.Add(new AuditEvent
        {
            Serial = 99, Type = "SYSCALL", Comm = "rm", Exe = "/usr/bin/rm",
            Paths = Enumerable.Range(0, 200).Select(i => new AuditPath { Item = i, Name = $"/tmp/dir/file-{i}-\u00e9", NameType = "DELETE", Inode = (ulong)i, Mode = 0100600 }).ToList(),
        });
        return list;
    }

    /// <summary>The oracle: the event's properties as EventJson wrote them with a Utf8JsonWriter (no caches).</summary>
    private static void ReferenceProperties(Utf8JsonWriter w, AuditEvent e)
    {
        w.WriteNumber("serial", e.Serial);
        w.WriteString("timestamp", DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs).UtcDateTime
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("type", e.Type);
        if (e.Node != null) w.WriteString("node", e.Node);
        if (e.Syscall is { } nr)
        {
            w.WriteString("syscall", e.SyscallName ?? nr.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteNumber("syscall_nr", nr);
        }
        else w.WriteNull("syscall");
        if (e.Arch is { } arch) w.WriteString("arch", arch == 0xC000003E ? "x86_64" : arch.ToString("x"));
        if (e.Success is { } ok) w.WriteBoolean("success", ok); else w.WriteNull("success");
        Long(w, "exit", e.Exit);
        if (e.Errno != null) w.WriteString("errno", e.Errno);
        if (e.A0.HasValue)
        {
            w.WriteStartArray("args");
            foreach (var a in new[] { e.A0, e.A1, e.A2, e.A3 })
                if (a is { } x) w.WriteStringValue(x.ToString("x")); else w.WriteNullValue();
            w.WriteEndArray();
        }
        if (e.Items is { } items) w.WriteNumber("items", items);
        Long(w, "pid", e.Pid);
        Long(w, "ppid", e.Ppid);
        Id(w, "uid", e.Uid);
        Id(w, "gid", e.Gid);
        Id(w, "auid", e.Auid);
        if (e.Euid.HasValue) Id(w, "euid", e.Euid);
        if (e.Suid.HasValue) Id(w, "suid", e.Suid);
        if (e.Fsuid.HasValue) Id(w, "fsuid", e.Fsuid);
        if (e.Egid.HasValue) Id(w, "egid", e.Egid);
        if (e.Sgid.HasValue) Id(w, "sgid", e.Sgid);
        if (e.Fsgid.HasValue) Id(w, "fsgid", e.Fsgid);
        Id(w, "ses", e.Ses);
        if (e.Tty != null) w.WriteString("tty", e.Tty);
        w.WriteString("comm", e.Comm);
        w.WriteString("exe", e.Exe);
        if (e.Subj != null) w.WriteString("subj", e.Subj);
        w.WriteString("key", e.Key);
        if (e.Keys.Count > 1)
        {
            w.WriteStartArray("keys");
            foreach (var k in e.Keys) w.WriteStringValue(k);
            w.WriteEndArray();
        }
        if (e.Result != null) w.WriteString("res", e.Result);
        w.WriteString("cwd", e.Cwd);
        w.WriteString("proctitle", e.Proctitle);
        if (e.Argv != null)
        {
            w.WriteStartArray("argv");
            foreach (var a in e.Argv) w.WriteStringValue(a);
            w.WriteEndArray();
        }
        w.WriteStartArray("paths");
        foreach (var p in e.Paths)
        {
            w.WriteStartObject();
            w.WriteNumber("item", p.Item);
            w.WriteString("name", p.Name);
            w.WriteString("nametype", p.NameType);
            if (p.Inode is { } ino) w.WriteNumber("inode", ino); else w.WriteNull("inode");
            if (p.Mode is { } mode) w.WriteString("mode", "0" + Convert.ToString(mode, 8)); else w.WriteNull("mode");
            if (p.Dev != null) w.WriteString("dev", p.Dev);
            if (p.Ouid.HasValue) Id(w, "ouid", p.Ouid);
            if (p.Ogid.HasValue) Id(w, "ogid", p.Ogid);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("records", e.Records.Count);
        w.WriteBoolean("incomplete", e.Incomplete);

        static void Long(Utf8JsonWriter w, string name, long? v)
        {
            if (v is { } x) w.WriteNumber(name, x); else w.WriteNull(name);
        }

        static void Id(Utf8JsonWriter w, string name, uint? v)
        {
            if (v is { } x) w.WriteNumber(name, x == Unset ? -1L : x); else w.WriteNull(name);
        }
    }
}
