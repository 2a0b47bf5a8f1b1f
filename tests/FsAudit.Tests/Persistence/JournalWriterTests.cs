using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Persistence;
using FsAudit.Engine.Events;
using Xunit;

namespace FsAudit.Tests.Persistence;

public class JournalWriterTests
{
    [Fact]
    public async Task Offsets_are_gap_free_across_batches_and_restarts()
    {
        await using var j = new TempJournal();
        var system = j.StartSystem();
        var writer = await JournalWriter.StartAsync(system, j.Settings);
        Assert.Equal(1, writer.NextOffset);
        var a = await writer.AppendAsync(EventBatchCodec.Encode(SampleEvents.Range(0, 10)), 10);
        var b = await writer.AppendAsync(EventBatchCodec.Encode(SampleEvents.Range(10, 5)), 5);
        Assert.Equal((1L, 11L), (a.FirstOffset, b.FirstOffset));
        await writer.DisposeAsync();
        await system.Terminate();

        system = j.StartSystem();
        writer = await JournalWriter.StartAsync(system, j.Settings);
        Assert.Equal(16, writer.NextOffset);
        var c = await writer.AppendAsync(EventBatchCodec.Encode(SampleEvents.Range(15, 3)), 3);
        Assert.Equal(16, c.FirstOffset);

        var reader = new JournalReader(system);
        var bounds = await reader.BoundsAsync();
        Assert.Equal(1, bounds.OldestOffset);
        Assert.Equal(18, bounds.NewestOffset);
        var items = await reader.Read(1, long.MaxValue, bounds).RunWith(Sink.Seq<ReadItem>(), system.Materializer());
        Assert.Equal(Enumerable.Range(1, 18).Select(i => (long)i), items.Select(i => i.Event!.Offset));
        Assert.Equal(EventBatchCodecTests.Json(SampleEvents.Make(16)), EventBatchCodecTests.Json(items[16].Event!.Build()));
        await writer.DisposeAsync();
        await system.Terminate();
    }

    [Fact]
    public async Task Recovery_uses_the_snapshot_and_the_rows_after_it()
    {
        await using var j = new TempJournal(new JournalSettings { SnapshotEvery = 3 });
        var system = j.StartSystem();
        var writer = await JournalWriter.StartAsync(system, j.Settings);
        for (int i = 0; i < 8; i++) await writer.AppendAsync(EventBatchCodec.Encode(SampleEvents.Range(i * 2, 2)), 2);
        await writer.DisposeAsync();
        await system.Terminate();

        system = j.StartSystem();
        writer = await JournalWriter.StartAsync(system, j.Settings);
        Assert.Equal(17, writer.NextOffset);
        Assert.Equal(8, writer.LastSequenceNr);
        await writer.DisposeAsync();
        await system.Terminate();
    }

    [Fact]
    public async Task Seek_finds_offsets_and_times_by_binary_search()
    {
        await using var j = new TempJournal();
        var system = j.StartSystem();
        var writer = await JournalWriter.StartAsync(system, j.Settings);
        // 50 batches of 1..7 events, times increasing by 10 ms per event.
        long next = 0;
        for (int b = 0; b < 50; b++)
        {
            int n = 1 + b % 7;
            var events = Enumerable.Range(0, n).Select(k => SampleEvents.Make(next + k, SampleEvents.BaseMs + (next + k) * 10)).ToList();
            next += n;
            await writer.AppendAsync(EventBatchCodec.Encode(events), n);
        }
        var reader = new JournalReader(system);
        var bounds = await reader.BoundsAsync();
        Assert.Equal(next, bounds.NewestOffset);
        for (long offset = 1; offset <= next; offset += 3)
        {
            var row = await reader.SeekOffsetAsync(offset, bounds);
            Assert.NotNull(row);
            Assert.InRange(offset, row.Value.Header.FirstOffset, row.Value.Header.LastOffset);
        }
        Assert.Null(await reader.SeekOffsetAsync(next + 1, bounds));

        // Event with offset o has time BaseMs + (o - 1) * 10.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(SampleEvents.BaseMs + 99 * 10 + 5);
        var t = await reader.SeekTimeAsync(at, bounds);
        Assert.InRange(101L, t!.Value.Header.FirstOffset, t.Value.Header.LastOffset);
        await writer.DisposeAsync();
        await system.Terminate();
    }

    [Fact]
    public async Task Journal_sink_hands_on_only_durable_batches_with_their_offsets()
    {
        await using var j = new TempJournal(new JournalSettings { MaxBatchEvents = 64, CatchUpBatchEvents = 32 });
        var system = j.StartSystem();
        var writer = await JournalWriter.StartAsync(system, j.Settings);
        var seen = new List<JournaledBatch>();
        var reader = new JournalReader(system);
        var sink = JournalSink.Create(writer, j.Settings, JournalSink.ForEachAsync(async b =>
        {
            // Durable before it is handed on: the journal already holds the batch's last event.
            var bounds = await reader.BoundsAsync();
            Assert.True(bounds.NewestOffset >= b.LastOffset);
            seen.Add(b);
        }));
        var input = Enumerable.Range(0, 40).Select(i => (IReadOnlyList<AuditEvent>)SampleEvents.Range(i * 25, 25)).ToList();
        await Source.From(input).RunWith(sink.Sink, system.Materializer());

        var offsets = seen.SelectMany(b => b.Events.Select((_, k) => b.FirstOffset + k)).ToList();
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), offsets);
        Assert.All(seen, b => Assert.InRange(b.Events.Count, 1, 64));
        var serials = seen.SelectMany(b => b.Events).Select(e => e.Serial).ToList();
        Assert.Equal(input.SelectMany(b => b).Select(e => e.Serial), serials);
        await writer.DisposeAsync();
        await system.Terminate();
    }
}
