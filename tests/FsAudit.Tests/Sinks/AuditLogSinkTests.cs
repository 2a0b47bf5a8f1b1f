using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Sinks;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Sinks;

public sealed partial class AuditLogSinkTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fsaudit-auditlog-");

    private string LogPath => Path.Combine(_dir.FullName, "audit.log");

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _dir.Delete(recursive: true);
    }

    private AuditLogSink NewSink(long maxBytes = 0, int numLogs = 5, AuditLogFlush flush = AuditLogFlush.None, int freq = 50) =>
        new(new AuditLogOptions { Path = LogPath, MaxFileSizeBytes = maxBytes, NumLogs = numLogs, Flush = flush, Freq = freq });

    [Fact]
    public void Writes_the_fixture_back_in_auditd_raw_form()
    {
        var events = LogEvents.FromFixture();
        using (var sink = NewSink()) sink.Write(events);

        // The fixture is the kernel capture as auditd logged it (no EOE); ours must be the same lines.
        var expected = File.ReadAllLines(LogEvents.Fixture("kernel-ops.log"), Encoding.UTF8);
        var written = File.ReadAllLines(LogPath, Encoding.UTF8);
        Assert.Equal(expected.Order(StringComparer.Ordinal), written.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(written, l => l.StartsWith("type=EOE ", StringComparison.Ordinal));
        Assert.True(OperatingSystem.IsLinux());
        if (OperatingSystem.IsLinux()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LogPath));
    }

    [Fact]
    public void Ausearch_finds_the_same_events_as_our_json()
    {
        var events = LogEvents.FromFixture();
        using (var sink = NewSink()) sink.Write(events);

        // Ours: serial → syscall number from the JSON we publish.
        var ours = new Dictionary<uint, int?>();
        foreach (var e in events)
        {
            using var doc = JsonDocument.Parse(EventJson.ToLine(e));
            var nr = doc.RootElement.TryGetProperty("syscall_nr", out var n) ? n.GetInt32() : (int?)null;
            ours[doc.RootElement.GetProperty("serial").GetUInt32()] = nr;
        }
        Assert.True(ours.Count > 100);

        var (exit, stdout, stderr) = AuditdTools.RunAusearch("-if", LogPath);
        Assert.True(exit == 0, $"ausearch failed ({exit}): {stderr}");
        var theirs = AusearchEvents(stdout);
        Assert.Equal(ours.OrderBy(p => p.Key), theirs.OrderBy(p => p.Key));

        // ausearch also interprets our lines: a syscall search finds exactly our events of that syscall.
        var (exit2, unlinks, _) = AuditdTools.RunAusearch("-if", LogPath, "-sc", "unlinkat");
        Assert.Equal(0, exit2);
        var unlinkSerials = events.Where(e => e.SyscallName == "unlinkat").Select(e => e.Serial).Order().ToList();
        Assert.NotEmpty(unlinkSerials);
        Assert.Equal(unlinkSerials, AusearchEvents(unlinks).Keys.Order());
    }

    [Fact]
    public void Node_prefix_is_kept_and_ausearch_reads_it()
    {
        var events = LogEvents.FromLines([
            "node=web-1 type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=87 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid=2 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"rm\" exe=\"/usr/bin/rm\" key=\"k\"",
            "node=web-1 type=CWD msg=audit(1700000000.123:42): cwd=\"/tmp\"",
            "node=web-1 type=PATH msg=audit(1700000000.123:42): item=0 name=\"/tmp/x\" inode=5 dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=DELETE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "node=web-1 type=EOE msg=audit(1700000000.123:42): ",
        ]);
        var e = Assert.Single(events);
        using (var sink = NewSink()) sink.Write(events);
        var lines = File.ReadAllLines(LogPath);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("node=web-1 type=", l));
        Assert.Equal("node=web-1 type=CWD msg=audit(1700000000.123:42): cwd=\"/tmp\"", lines[1]);

        var (exit, stdout, stderr) = AuditdTools.RunAusearch("-if", LogPath, "--node", "web-1", "-sc", "unlink");
        Assert.True(exit == 0, stderr);
        Assert.Equal([42u], AusearchEvents(stdout).Keys);
        Assert.Equal(3, e.Records.Count);
    }

    [Fact]
    public void Line_breaks_inside_a_record_are_replaced_not_written()
    {
        Assert.True(RecordParser.TryParseKernel(1107, "audit(1700000000.000:7): pid=1 uid=0 msg='a\nb'"u8, out var r, out var err), err);
        var e = EventBuilder.Build([r!], incomplete: false);
        using var sink = NewSink();
        sink.Write([e]);
        var lines = File.ReadAllLines(LogPath);
        var line = Assert.Single(lines);
        Assert.Equal("type=USER_AVC msg=audit(1700000000.000:7): pid=1 uid=0 msg='a b'", line);
        Assert.Equal(1, sink.Stats.SanitizedLineBreaks);
    }

    [Fact]
    public void Rotates_like_auditd_keeping_num_logs_files_and_whole_events()
    {
        var events = LogEvents.FromFixture();
        const long max = 4096;
        using (var sink = NewSink(maxBytes: max, numLogs: 3))
        {
            foreach (var e in events) sink.Write([e]);
            Assert.True(sink.Stats.Rotations >= 3, $"only {sink.Stats.Rotations} rotations");
            Assert.Equal(events.Sum(e => e.Records.Count), sink.Stats.Records);
        }

        Assert.True(File.Exists(LogPath + ".1"));
        Assert.True(File.Exists(LogPath + ".2"));
        Assert.False(File.Exists(LogPath + ".3"));

        // Oldest first: .2, .1, live. Together they are the tail of what was written, in order, events never split.
        var files = new[] { LogPath + ".2", LogPath + ".1", LogPath };
        var kept = new List<string>();
        foreach (var f in files)
        {
            long size = new FileInfo(f).Length;
            var lines = File.ReadAllLines(f);
            var serials = lines.Select(Serial).Distinct().ToList();
            bool oneBigEvent = serials.Count == 1;
            Assert.True(size <= max || oneBigEvent, $"{f} is {size} bytes");
            kept.AddRange(lines);
        }
        var all = new List<string>();
        string scratch = Path.Combine(_dir.FullName, "all.log");
        using (var whole = new AuditLogSink(new AuditLogOptions { Path = scratch, MaxFileSizeBytes = 0 })) whole.Write(events);
        all.AddRange(File.ReadAllLines(scratch));
        Assert.Equal(all.TakeLast(kept.Count), kept);
        // The first line kept starts an event: rotation happens between events.
        uint first = Serial(kept[0]);
        Assert.Equal(events.First(e => e.Serial == first).Records.Count, kept.TakeWhile(l => Serial(l) == first).Count());
    }

    [Fact]
    public void Fewer_than_two_logs_disables_rotation_as_in_auditd()
    {
        var events = LogEvents.FromFixture();
        using (var sink = NewSink(maxBytes: 2048, numLogs: 1))
        {
            sink.Write(events);
            Assert.Equal(0, sink.Stats.Rotations);
        }
        Assert.False(File.Exists(LogPath + ".1"));
        Assert.True(new FileInfo(LogPath).Length > 2048);
    }

    [Fact]
    public void Appends_to_an_existing_log_and_rotates_it_when_already_too_big()
    {
        File.WriteAllText(LogPath, "type=OLD msg=audit(1.000:1): x=1\n");
        var events = LogEvents.FromFixture().Take(2).ToList();
        using (var sink = NewSink(maxBytes: 1 << 20)) sink.Write(events);
        var lines = File.ReadAllLines(LogPath);
        Assert.Equal("type=OLD msg=audit(1.000:1): x=1", lines[0]);
        Assert.Equal(1 + events.Sum(e => e.Records.Count), lines.Length);

        using (var sink = NewSink(maxBytes: 10)) sink.Write(events.Take(1).ToList());
        Assert.Equal(lines, File.ReadAllLines(LogPath + ".1"));
        Assert.Equal(events[0].Records.Count, File.ReadAllLines(LogPath).Length);
    }

    [Theory]
    [InlineData(AuditLogFlush.None)]
    [InlineData(AuditLogFlush.Incremental)]
    [InlineData(AuditLogFlush.Data)]
    [InlineData(AuditLogFlush.Sync)]
    public void Flush_policy_decides_how_often_data_is_forced_to_disk(AuditLogFlush flush)
    {
        var events = LogEvents.FromFixture();
        var batches = events.Chunk(10).ToList();
        using var sink = NewSink(flush: flush, freq: 25);
        int lines = 0;
        foreach (var batch in batches)
        {
            sink.Write(batch);
            lines += batch.Sum(e => e.Records.Count);
            // Whatever the policy, a written batch is in the file (handed to the kernel) before Write returns.
            using var reader = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Assert.Equal(lines, new StreamReader(reader).ReadToEnd().Count(c => c == '\n'));
        }
        long syncs = sink.Stats.Syncs;
        switch (flush)
        {
            case AuditLogFlush.None: Assert.Equal(0, syncs); break;
            case AuditLogFlush.Data:
            case AuditLogFlush.Sync: Assert.Equal(batches.Count, syncs); break;
            case AuditLogFlush.Incremental:
                // One sync each time 25 records accumulated (checked per event, so at most one event late).
                int expected = 0, since = 0;
                foreach (var e in events)
                    if ((since += e.Records.Count) >= 25) { expected++; since = 0; }
                Assert.Equal(expected, syncs);
                break;
        }
    }

    [Fact]
    public async Task Works_as_the_pipeline_sink()
    {
        var events = LogEvents.FromFixture();
        using var sink = NewSink(flush: AuditLogFlush.Data);
        var done = Source.From(events.Chunk(7).Select(b => (IReadOnlyList<AuditEvent>)b))
            .RunWith(sink.Sink, Sys.Materializer());
        await done.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(events.Sum(e => e.Records.Count), File.ReadAllLines(LogPath).Length);
        Assert.Equal(events.Count, sink.Stats.Events);
    }

    [Fact]
    public void A_failed_write_is_thrown_and_counted()
    {
        var events = LogEvents.FromFixture().Take(1).ToList();
        var sink = NewSink();
        sink.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sink.Write(events));

        Assert.Throws<ArgumentException>(() => new AuditLogSink(new AuditLogOptions { Path = LogPath, Flush = AuditLogFlush.Incremental, Freq = 0 }));
        Assert.Throws<ArgumentException>(() => new AuditLogSink(new AuditLogOptions { Path = LogPath, MaxFileSizeBytes = -1 }));

        // A directory where the rotated file must go: rotation fails, the error reaches the caller.
        using var rotating = NewSink(maxBytes: 10, numLogs: 2);
        rotating.Write(events);
        Directory.CreateDirectory(LogPath + ".1");
        File.WriteAllText(Path.Combine(LogPath + ".1", "keep"), "x");
        Assert.ThrowsAny<IOException>(() => rotating.Write(events));
        Assert.Equal(1, rotating.Stats.WriteFailures);
        Assert.NotNull(rotating.Stats.LastError);
    }

    private static uint Serial(string line)
    {
        var m = SerialPattern().Match(line);
        return uint.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>serial → syscall number (null for events without a SYSCALL record) of ausearch's default output.</summary>
    private static Dictionary<uint, int?> AusearchEvents(string output)
    {
        var result = new Dictionary<uint, int?>();
        foreach (var block in output.Split("----", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n').Where(l => l.StartsWith("type=", StringComparison.Ordinal) || l.StartsWith("node=", StringComparison.Ordinal)).ToList();
            if (lines.Count == 0) continue;
            uint serial = Serial(lines[0]);
            var syscall = lines.FirstOrDefault(l => l.Contains("type=SYSCALL ", StringComparison.Ordinal));
            int? nr = syscall is null ? null : int.Parse(SyscallPattern().Match(syscall).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(result.TryAdd(serial, nr), $"ausearch printed serial {serial} twice");
        }
        return result;
    }

    [GeneratedRegex(@"msg=audit\([^)]*:(\d+)\)")]
    private static partial Regex SerialPattern();

    [GeneratedRegex(@" syscall=(\d+) ")]
    private static partial Regex SyscallPattern();
}
