using System.Text.Json;
using Akka.Actor;
using Akka.Streams.Dsl;
using FsAudit.Actors.Events;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Events;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// The daemon's journal in one place: the writer (offsets, batching, retries), the reader, the subscriber hub's
/// history, durable subscriptions, background retention, and a status snapshot.
/// </summary>
/// <remarks>
/// Start-up order: <see cref="PrepareStorage"/> (clear errors for a damaged or unwritable database, before anything
/// else), create the actor system with <see cref="JournalBootstrap.Setup"/>, then <see cref="OpenAsync"/>; create
/// the hub with <c>firstOffset: journal.NextOffset, history: journal.History</c> and give the pipeline
/// <see cref="SinkTo"/>(hub).
/// </remarks>
public sealed class EventJournal : IAsyncDisposable
{
    private readonly JournalPruner? _pruner;
    private readonly CatchUpScheduler _catchUp;

    private EventJournal(JournalSettings settings, JournalWriter writer, JournalReader reader, IEventHistory history, DurableSubscriptions durable,
        JournalPruner? pruner, CatchUpScheduler catchUp)
    {
        _catchUp = catchUp;
        Settings = settings;
        Writer = writer;
        Reader = reader;
        History = history;
        Durable = durable;
        _pruner = pruner;
    }

    public JournalSettings Settings { get; }
    public JournalWriter Writer { get; }
    public JournalReader Reader { get; }
    public IEventHistory History { get; }
    public DurableSubscriptions Durable { get; }

    /// <summary>The offset the next journaled event gets (give it to the hub as its first offset).</summary>
    public long NextOffset => Writer.NextOffset;

    /// <summary>Checks (and for a new SQLite journal creates) the storage. Throws <see cref="JournalStartupException"/>.</summary>
    public static void PrepareStorage(JournalSettings settings)
    {
        if (settings.Plugin == JournalPlugin.Sqlite) SqliteJournalFile.Prepare(settings.DatabasePath);
    }

    /// <param name="view">How the hub shows events: history reads serialize with the same view.</param>
    public static async Task<EventJournal> OpenAsync(ActorSystem system, JournalSettings settings, ISubscriptionEventView<AuditEvent> view)
    {
        var writer = await JournalWriter.StartAsync(system, settings).ConfigureAwait(false);
        var reader = new JournalReader(system);
        var durable = new DurableSubscriptions(system);
        try
        {
            await durable.ListAsync().ConfigureAwait(false); // recovered, or a clear error now rather than at the first subscriber
        }
        catch (Exception e)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw new JournalStartupException($"cannot read the durable subscriptions: {e.GetBaseException().Message}", e);
        }
        var pruner = settings.RetentionMaxAge != null || settings.RetentionMaxBytes != null
            ? new JournalPruner(settings, writer, reader, system.Log)
            : null;
        var catchUp = new CatchUpScheduler(settings.CatchUpThreads, settings.CatchUpNice);
        return new EventJournal(settings, writer, reader, new JournalHistory(reader, view, catchUp), durable, pruner, catchUp);
    }

    /// <summary>
    /// The pipeline's sink: journal first, then the hub with the journal's offsets (<see cref="PublishBatch{TEvent}.FirstOffset"/>).
    /// </summary>
    public IEventSink<AuditEvent> SinkTo(IActorRef hub, TimeSpan? hubTimeout = null)
    {
        var timeout = hubTimeout ?? TimeSpan.FromSeconds(30);
        return JournalSink.Create(Writer, Settings, JournalSink.ForEachAsync(b =>
            hub.Ask<HubAck>(new PublishBatch<AuditEvent>(b.Events, b.FirstOffset), timeout)));
    }

    /// <summary>Like <see cref="SinkTo"/>, for any consumer of durable batches.</summary>
    public IEventSink<AuditEvent> SinkTo(Sink<JournaledBatch, Task> downstream) => JournalSink.Create(Writer, Settings, downstream);

    /// <summary>What <c>status</c> shows: size, offsets, writer counters, retention, and each durable subscriber's lag.</summary>
    public async Task<JournalStatus> StatusAsync(CancellationToken ct = default)
    {
        var bounds = await Reader.BoundsAsync().WaitAsync(ct).ConfigureAwait(false);
        var subs = await Durable.ListAsync(ct).ConfigureAwait(false);
        (long Used, long File)? size = null;
        if (Settings.Plugin == JournalPlugin.Sqlite)
        {
            try { size = SqliteJournalFile.Size(Settings.DatabasePath); }
            catch (Exception) { /* shown as absent */ }
        }
        return new JournalStatus(Settings, bounds, size?.Used, size?.File, Writer.Counters, _pruner?.Counters, subs);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pruner != null) await _pruner.DisposeAsync().ConfigureAwait(false);
        try { await Durable.FlushAsync().ConfigureAwait(false); }
        catch (Exception) { /* stopping: unwritten acks mean a re-delivered tail */ }
        await Writer.DisposeAsync().ConfigureAwait(false);
        _catchUp.Dispose();
    }
}

/// <summary>A snapshot of the journal for <c>status</c>.</summary>
public sealed record JournalStatus(
    JournalSettings Settings,
    JournalBounds Bounds,
    long? UsedBytes,
    long? FileBytes,
    JournalWriterCounters Writer,
    PrunerCounters? Retention,
    IReadOnlyList<DurableSubscription> Durable)
{
    /// <summary>Writes <c>"journal": {"enabled": false}</c>: a daemon running with <c>journal.enabled = off</c>.</summary>
    public static void WriteDisabled(Utf8JsonWriter w, string propertyName = "journal")
    {
        w.WriteStartObject(propertyName);
        w.WriteBoolean("enabled", false);
        w.WriteEndObject();
    }

    /// <summary>Writes <c>"journal": {...}</c> into the current object.</summary>
    public void WriteProperty(Utf8JsonWriter w, string propertyName = "journal")
    {
        w.WriteStartObject(propertyName);
        w.WriteBoolean("enabled", true);
        w.WriteString("plugin", Settings.Plugin == JournalPlugin.Sqlite ? "sqlite" : "postgresql");
        if (Settings.Plugin == JournalPlugin.Sqlite) w.WriteString("path", Settings.DatabasePath);
        if (FileBytes is { } f) w.WriteNumber("file-bytes", f);
        if (UsedBytes is { } u) w.WriteNumber("used-bytes", u);
        WriteOptional(w, "oldest-offset", Bounds.OldestOffset);
        WriteOptional(w, "newest-offset", Bounds.NewestOffset);
        w.WriteNumber("next-offset", Bounds.NextOffset);
        w.WriteNumber("stored-events", Bounds.OldestOffset is { } o && Bounds.NewestOffset is { } n ? n - o + 1 : 0);
        w.WriteNumber("rows", Bounds.Oldest is { } first && Bounds.Newest is { } last ? last.SequenceNr - first.SequenceNr + 1 : 0);
        if (Bounds.Oldest is { } oldRow && oldRow.Header.Count > 0)
            w.WriteString("oldest-time", DateTimeOffset.FromUnixTimeMilliseconds(oldRow.Header.MinTimestampMs));
        if (Bounds.Newest is { } newRow && newRow.Header.Count > 0)
            w.WriteString("newest-time", DateTimeOffset.FromUnixTimeMilliseconds(newRow.Header.MaxTimestampMs));

        w.WriteStartObject("writer");
        w.WriteNumber("batches", Writer.Batches);
        w.WriteNumber("events", Writer.Events);
        w.WriteNumber("payload-bytes", Writer.PayloadBytes);
        w.WriteNumber("write-failures", Writer.WriteFailures);
        w.WriteBoolean("retrying", Writer.Retrying);
        if (Writer.LastError != null) w.WriteString("last-error", Writer.LastError);
        if (Writer.LastErrorAt is { } at) w.WriteString("last-error-at", at);
        w.WriteEndObject();

        w.WriteStartObject("retention");
        if (Settings.RetentionMaxAge is { } age) w.WriteNumber("max-age-s", (long)age.TotalSeconds);
        if (Settings.RetentionMaxBytes is { } max) w.WriteNumber("max-bytes", max);
        if (Retention is { } r)
        {
            w.WriteNumber("runs", r.Runs);
            w.WriteNumber("pruned-rows", r.PrunedRows);
            WriteOptional(w, "pruned-through-offset", r.PrunedThroughOffset);
            if (r.LastError != null) w.WriteString("last-error", r.LastError);
        }
        w.WriteEndObject();

        w.WriteStartArray("durable-subscribers");
        foreach (var s in Durable)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteNumber("acked", s.AckedOffset);
            w.WriteNumber("lag", Bounds.NewestOffset is { } newest ? Math.Max(0, newest - s.AckedOffset) : 0);
            // Acked before the oldest stored event: the subscriber will be told these offsets were pruned.
            w.WriteBoolean("pruned-unacked", Bounds.OldestOffset is { } oldest && s.AckedOffset + 1 < oldest);
            if (s.LastAck is { } la) w.WriteString("last-ack", la);
            w.WriteString("registered", s.Registered);
            w.WritePropertyName("filter");
            w.WriteRawValue(s.FilterJson);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? v)
    {
        if (v is { } x) w.WriteNumber(name, x);
        else w.WriteNull(name);
    }
}
