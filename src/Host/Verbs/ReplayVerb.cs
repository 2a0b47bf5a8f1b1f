using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Persistence;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;

namespace FsAudit.Host.Verbs;

/// <summary>Options of <c>fsaudit replay</c>; filters mean what they mean for <c>subscribe</c>.</summary>
public sealed record ReplayOptions
{
    /// <summary>"earliest", an offset, or an ISO 8601 time with zone.</summary>
    public string From { get; init; } = "earliest";
    /// <summary>null (the newest stored event), an offset, or a time (inclusive).</summary>
    public string? To { get; init; }
    public FilterFields Filter { get; init; } = new();
    /// <summary>Stop after this many printed events.</summary>
    public long? Count { get; init; }
}

/// <summary>
/// <c>fsaudit replay</c>: prints stored events from the journal, without a daemon (it may run meanwhile: SQLite in
/// WAL mode lets this read-only reader run beside the writer). Lines are exactly the subscriber protocol's event lines;
/// offsets pruned by retention are reported on stderr. Exit codes: 0 done, 1 journal unreadable, 2 bad arguments,
/// 130 interrupted.
/// </summary>
public static class ReplayVerb
{
    public const int Ok = 0, Unreadable = 1, Usage = 2, Interrupted = 130;

    public static async Task<int> RunAsync(ReplayOptions o, JournalSettings journal, ClassCatalog catalog,
        Stream stdout, TextWriter stderr, CancellationToken ct)
    {
        var from = SubscriptionStart.Parse(o.From);
        if (from is null or { Kind: StartKind.Now })
            return await UsageError(stderr, $"--from must be earliest, an offset (>= 1) or a time with zone such as 2025-11-25T16:30:00Z (found \"{o.From}\")");
        SubscriptionStart? to = null;
        if (o.To != null)
        {
            to = SubscriptionStart.Parse(o.To);
            if (to is null or { Kind: StartKind.Now or StartKind.Earliest })
                return await UsageError(stderr, $"--to must be an offset or a time with zone (found \"{o.To}\")");
        }
        if (o.Count is <= 0) return await UsageError(stderr, "--count must be at least 1");
        if (!TryFilter(o, catalog, out var filter, out var error)) return await UsageError(stderr, error!);

        if (journal.Plugin == JournalPlugin.Sqlite)
        {
            try
            {
                SqliteJournalFile.CheckReadable(journal.DatabasePath);
                if (!SqliteJournalFile.HasJournalTable(journal.DatabasePath))
                {
                    await stderr.WriteLineAsync($"fsaudit replay: the journal at {journal.DatabasePath} holds no events yet");
                    return Ok;
                }
            }
            catch (JournalStartupException e)
            {
                // A journal written before it was turned off still replays; without one, say why there is none.
                string why = journal.Enabled ? "" : " (fsaudit.journal.enabled = off in this configuration: the daemon stores nothing)";
                await stderr.WriteLineAsync($"fsaudit replay: {e.Message}{why}");
                return Unreadable;
            }
        }

        var quiet = ConfigurationFactory.ParseString("akka.loglevel = ERROR\nakka.stdout-loglevel = ERROR");
        using var system = ActorSystem.Create("fsaudit-replay", JournalBootstrap.Setup(quiet, journal, readOnly: true));
        try
        {
            return await Print(new JournalReader(system), system.Materializer(), from, to, filter!, catalog, o.Count, stdout, stderr, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Interrupted;
        }
        catch (Exception e) when (e is IOException or JournalFormatException or InvalidOperationException || e.InnerException is not null)
        {
            await stderr.WriteLineAsync($"fsaudit replay: cannot read the journal: {e.GetBaseException().Message}");
            return Unreadable;
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<int> Print(JournalReader reader, IMaterializer materializer, SubscriptionStart from, SubscriptionStart? to,
        SubscriptionFilter filter, ClassCatalog catalog, long? count, Stream stdout, TextWriter stderr, CancellationToken ct)
    {
        var bounds = await reader.BoundsAsync();
        if (bounds.Oldest is null)
        {
            await stderr.WriteLineAsync("fsaudit replay: the journal holds no events");
            return Ok;
        }
        long fromOffset = from.Kind switch
        {
            StartKind.Earliest => bounds.OldestOffset!.Value,
            StartKind.Offset => from.Offset,
            _ => 1,
        };
        long fromMs = from.Kind == StartKind.Time ? from.Time.ToUnixTimeMilliseconds() : long.MinValue;
        long toOffset = to is { Kind: StartKind.Offset } ? to.Offset : long.MaxValue;
        long toMs = to is { Kind: StartKind.Time } ? to.Time.ToUnixTimeMilliseconds() : long.MaxValue;

        var start = from.Kind == StartKind.Time
            ? await reader.SeekTimeAsync(from.Time, bounds)
            : await reader.SeekOffsetAsync(fromOffset, bounds);
        if (start is not { } row) return Ok; // nothing stored at or after the start
        if (from.Kind != StartKind.Time && row.Header.FirstOffset > fromOffset)
            await stderr.WriteLineAsync($"fsaudit replay: offsets {fromOffset}..{Math.Min(toOffset, row.Header.FirstOffset - 1)} were pruned from the journal");

        var view = new AuditEventView(catalog);
        var writer = new PublishedEventWriter<AuditEvent>(view);
        var output = new BufferedStream(stdout, 1 << 16);
        long printed = 0, unreadable = 0, expected = Math.Max(fromOffset, row.Header.FirstOffset);
        bool done = false;
        var batches = reader.CurrentBatches(row.SequenceNr, bounds.HighestSequenceNr)
            .RunWith(Sink.Queue<(long SequenceNr, StoredBatch Batch)>(), materializer);
        try
        {
            while (!done)
            {
                var pulled = await batches.PullAsync().WaitAsync(ct);
                if (!pulled.HasValue) break;
                var next = pulled.Value;
                var h = next.Batch.Header;
                if (h.FirstOffset > toOffset) break;
                if (h.FirstOffset > expected && from.Kind != StartKind.Time)
                    await stderr.WriteLineAsync($"fsaudit replay: offsets {expected}..{h.FirstOffset - 1} were pruned from the journal while reading");
                expected = Math.Max(expected, h.LastOffset + 1);
                bool anyInTime = false;
                foreach (var stored in next.Batch.Events)
                {
                    if (stored.Offset < fromOffset) continue;
                    if (stored.Offset > toOffset) { done = true; break; }
                    long ms = stored.Records.Count > 0 ? stored.Records[0].TimestampMs : 0;
                    if (ms <= toMs) anyInTime = true;
                    if (ms < fromMs || ms > toMs) continue;
                    PublishedEvent line;
                    try
                    {
                        var e = stored.Build();
                        var facts = view.Describe(e);
                        if (!filter.Matches(facts)) continue;
                        line = writer.Write(stored.Offset, e, facts);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        if (++unreadable <= 10) await stderr.WriteLineAsync($"fsaudit replay: event {stored.Offset} cannot be shown: {ex.Message}");
                        continue;
                    }
                    await output.WriteAsync(line.Line, ct);
                    if (++printed == count) { done = true; break; }
                }
                // Times are about ordered: a whole batch after --to ends the read.
                if (!anyInTime && toMs != long.MaxValue && h.Count > 0 && h.MinTimestampMs > toMs) break;
            }
        }
        finally
        {
            // The stream stops with the actor system (terminated by the caller).
            await output.FlushAsync(CancellationToken.None);
        }
        if (unreadable > 0) await stderr.WriteLineAsync($"fsaudit replay: {unreadable} stored events could not be shown");
        return Ok;
    }

    /// <summary>The filter exactly as <c>subscribe</c> validates it (unknown classes and events are errors).</summary>
    private static bool TryFilter(ReplayOptions o, ClassCatalog catalog, out SubscriptionFilter? filter, out string? error)
    {
        var request = JsonLines.Object(w =>
        {
            w.WriteString("op", "subscribe");
            o.Filter.Write(w);
        });
        using var doc = JsonDocument.Parse(request);
        bool ok = SubscriptionRequest.TryParse(doc.RootElement, new ClassCatalogEvents(catalog), out var parsed, out error);
        filter = parsed?.Filter;
        return ok;
    }

    private static async Task<int> UsageError(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"fsaudit replay: {message}");
        return Usage;
    }
}
