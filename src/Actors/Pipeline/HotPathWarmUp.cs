using System.Text;
using FsAudit.Actors.Persistence;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Netlink;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// Runs synthetic kernel records through the per-event code — netlink framing and record parsing, correlation and
/// event building, classification and the subscriber line, journal encoding — before the daemon registers with
/// the kernel. With tiered compilation off (fsaudit.csproj) a method is JIT-compiled at its first call; without
/// this, 0.54–0.77 s of CPU went to the JIT in the first second of a 2-writer flood, 0.24–0.28 s with it (status
/// <c>daemon.jit_seconds</c>; what remains is Akka, the journal plugin and the hub, see also <see cref="SubscriberWarmUp"/>).
/// Nothing it produces leaves this class but the events handed to <c>built</c>: no journal write, no subscriber, no
/// counter of the pipeline moves.
/// </summary>
public static class HotPathWarmUp
{
    private const int SyntheticPid = int.MaxValue; // pid_max is at most 2^22

    /// <summary>Events one round builds: one per syscall the classifier names.</summary>
    public static int EventsPerRound => SyscallEventTable.Rules.Count;

    /// <param name="view">The live view: its classifier, catalog and enrichment are part of the warm path.</param>
    /// <param name="journal">The journal's encoding settings; null when the journal is off.</param>
    /// <param name="rounds">Passes over the syscall list (each event is built and encoded once per pass).</param>
    /// <param name="built">Receives the events built, for <see cref="SubscriberWarmUp"/>.</param>
    public static WarmUpReport Run(AuditEventView view, JournalSettings? journal, int rounds = 4, List<AuditEvent>? built = null)
    {
        var work = JitWork.Start();

        var buffer = new byte[1 << 20];
        var parser = new KernelBufferParser();
        var records = new List<AuditRecord>(256);
        var correlator = new Correlator(new CorrelatorOptions { Mode = CorrelationMode.Netlink, TrackGaps = false });
        var events = new List<AuditEvent>(64);
        var batch = new List<AuditEvent>(rounds * EventsPerRound);
        var writer = new PublishedEventWriter<AuditEvent>(view);
        var encoder = journal is null ? null : new EventBatchEncoder(journal.CompressionLevel);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        uint serial = 1;
        long lineBytes = 0, encodedBytes = 0;
        for (int round = 0; round < rounds; round++)
        {
            int length = 0;
            foreach (var rule in SyscallEventTable.Rules) length = Frame(buffer, length, rule, serial++, failed: round % 4 == 3);
            records.Clear();
            parser.Parse(buffer.AsSpan(0, length), records);
            long now = Environment.TickCount64;
            foreach (var r in records) correlator.Add(r, now, events);
            foreach (var e in events)
            {
                var published = writer.Write(batch.Count + 1, e);
                lineBytes += published.Line.Length;
                names.Add(published.Facts.Name);
            }
            batch.AddRange(events);
            events.Clear();
        }
        correlator.Flush(events);
        batch.AddRange(events);
        if (encoder is not null)
        {
            var payload = encoder.Encode(batch, 1, journal!.Compression);
            encodedBytes = payload.Length;
            EventBatchCodec.Decode(payload); // what a catch-up from the journal decodes
        }
        built?.AddRange(batch);

        return new WarmUpReport(batch.Count, parser.Unparsable + parser.MalformedBuffers, names, lineBytes, encodedBytes, work.Elapsed,
            work.Methods, work.JitTime);
    }

    /// <summary>Frames one event's records (SYSCALL, CWD, PATHs, PROCTITLE, EOE) as the kernel sends them; returns the new length.</summary>
    private static int Frame(byte[] buffer, int offset, SyscallRule rule, uint serial, bool failed)
    {
        string stamp = $"audit(1700000000.{serial % 1000:000}:{serial}): ";
        bool two = rule.EventName is EventNames.FileRename or EventNames.FileLink; // they name two files
        int items = two ? 4 : 2;
        string result = failed ? "success=no exit=-13" : "success=yes exit=3";
        // pid above any pid_max: the enricher's per-pid cache (parent exe, cgroup) must not hold a synthetic entry for
        // a pid a real process could have; ppid 1 is init, whose real details may as well be cached now.
        offset = Message(buffer, offset, 1300, stamp +
            $"arch=c000003e syscall={rule.Number} {result} a0=ffffff9c a1=7ffd1c2e4a10 a2=241 a3=1b6 items={items} ppid=1 pid={SyntheticPid} " +
            "auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 " +
            "comm=\"fsaudit\" exe=\"/usr/bin/fsaudit\" subj=unconfined key=\"fsaudit-warm-up\"");
        offset = Message(buffer, offset, 1307, stamp + "cwd=\"/var/tmp/fsaudit warm-up\"");
        for (int i = 0; i < items; i += 2)
        {
            offset = Message(buffer, offset, 1302, stamp +
                $"item={i} name=\"/var/tmp/fsaudit-warm-up/\" inode=131 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT " +
                "cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
            // A name with a space arrives hex-encoded, like the kernel sends it.
            string name = i == 0 ? $"\"f{serial}.txt\"" : Convert.ToHexString(Encoding.UTF8.GetBytes($"g {serial}.txt"));
            string type = (rule.EventName, i) switch
            {
                (EventNames.FileUnlink or EventNames.FsRmdir, _) or (EventNames.FileRename, 0) => "DELETE",
                _ when serial % 2 == 0 => "NORMAL", // an existing file (for open: opened for writing)
                _ => "CREATE",
            };
            offset = Message(buffer, offset, 1302, stamp +
                $"item={i + 1} name={name} inode={1000 + serial} dev=fe:00 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype={type} " +
                "cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        }
        offset = Message(buffer, offset, 1327, stamp + "proctitle=" + Convert.ToHexString("fsaudit\0warm-up"u8));
        return Message(buffer, offset, 1320, stamp);
    }

    private static int Message(byte[] buffer, int offset, ushort type, string payload) =>
        offset + NetlinkMessageReader.Write(buffer.AsSpan(offset), type, 0, 0, 0, Encoding.UTF8.GetBytes(payload));
}

/// <summary>
/// What a warm-up ran and what it cost: events built (and records the parser rejected: 0 unless the generator is
/// broken), the event names they got, subscriber-line and encoded bytes, wall time, JIT work.
/// </summary>
public sealed record WarmUpReport(int Events, long Rejected, IReadOnlyCollection<string> Names, long LineBytes, long EncodedBytes,
    TimeSpan Elapsed, long JitMethods, TimeSpan JitTime)
{
    public override string ToString() =>
        $"{Events} synthetic events ({Names.Count} kinds) in {Elapsed.TotalMilliseconds:0} ms, {JitMethods} methods JIT-compiled ({JitTime.TotalMilliseconds:0} ms)" +
        (Rejected > 0 ? $", {Rejected} synthetic records rejected" : "");
}
