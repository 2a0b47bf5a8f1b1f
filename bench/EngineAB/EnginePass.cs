using System.Diagnostics;
using System.Text;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.EngineAB;

/// <summary>
/// One pass of the engine's per-event path over the fixture's kernel records, copied with fresh serials: parse each
/// payload, correlate, build the event, write its JSON line. Loaded once per engine build (see Program.cs).
/// </summary>
public static class EnginePass
{
    private static List<(ushort Type, byte[] Payload)> _input = [];

    /// <summary>Events one pass completes (set by <see cref="Load"/>).</summary>
    public static long EventsPerPass { get; set; }

    public static void Load(string fixture, int copies)
    {
        var template = new List<(ushort Type, string Before, string After, uint Serial)>();
        uint min = uint.MaxValue, max = 0;
        foreach (var line in File.ReadLines(fixture))
        {
            int sp = line.IndexOf(' ');
            if (sp <= 0) continue;
            ushort type = ushort.Parse(line.AsSpan(0, sp));
            if (type is >= 1100 and < 1300) continue; // user-space and daemon records: not the syscall path
            var text = line[(sp + 1)..];
            int colon = text.IndexOf(':'), close = text.IndexOf(')');
            uint serial = uint.Parse(text.AsSpan(colon + 1, close - colon - 1));
            template.Add((type, text[..(colon + 1)], text[close..], serial));
            min = Math.Min(min, serial);
            max = Math.Max(max, serial);
        }
        uint span = max - min + 1;
        _input = [];
        for (int c = 0; c < copies; c++)
            foreach (var r in template)
                _input.Add((r.Type, Encoding.UTF8.GetBytes(r.Before + (r.Serial + (uint)c * span) + r.After)));
        Run();
    }

    /// <summary>Milliseconds for one pass.</summary>
    public static double Run()
    {
        var correlator = new Correlator(new CorrelatorOptions { Mode = CorrelationMode.Netlink, TrackGaps = false });
        var done = new List<AuditEvent>();
        var json = new JsonLineWriter(4096);
        long events = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (type, payload) in _input)
        {
            if (!RecordParser.TryParseKernel(type, payload, out var record, out _)) continue;
            correlator.Add(record!, 0, done);
            if (done.Count == 0) continue;
            foreach (var e in done)
            {
                json.Reset();
                json.StartObject();
                EventJson.WriteProperties(json, e);
                json.EndObject();
            }
            events += done.Count;
            done.Clear();
        }
        correlator.Expire(long.MaxValue, done);
        EventsPerPass = events + done.Count;
        return clock.Elapsed.TotalMilliseconds;
    }
}
