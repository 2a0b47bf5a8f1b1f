using System.Text.Json;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Persistence;
using FsAudit.Tests.Server;
using Xunit;

namespace FsAudit.Tests.Persistence;

/// <summary>
/// The daemon dies mid-burst (its actor system is torn down with batches in flight, nothing flushed or completed):
/// whatever a subscriber received is in the journal afterwards, and a durable subscriber resumes without a gap.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class CrashRecoveryTests
{
    [Fact(Timeout = 180_000)]
    public async Task Everything_delivered_before_a_crash_is_journaled_and_a_durable_subscriber_resumes_without_gap()
    {
        await using var j = new TempJournal();
        var received = new List<(long Offset, uint Serial)>();
        long acked = 0;
        var env = await JournalEnv.Start(j);
        using (var c = await LineClient.Connect(env.SocketPath))
        {
            await c.Subscribe("""{"op":"subscribe","name":"crash"}""");
            int readSoFar = 0;
            var burst = Task.Run(async () =>
            {
                // Never more than 5,000 events ahead of the reader, so the crash always finds some in flight
                // however fast or slow either side runs on this machine.
                try
                {
                    for (int k = 0; k < 200; k++)
                    {
                        while (Volatile.Read(ref readSoFar) < k * 250 - 5_000) await Task.Delay(1);
                        await env.Publish(k * 250, 250, batch: 250);
                    }
                }
                catch (Exception) { /* the system is torn down under it */ }
            });
            // Read (and ack every 1000) until well into the burst, then crash.
            while (received.Count < 12_000)
            {
                var line = await c.ReadLine(10);
                Assert.NotNull(line);
                var e = JsonDocument.Parse(line).RootElement;
                if (!e.TryGetProperty("offset", out var o)) continue;
                received.Add((o.GetInt64(), e.GetProperty("serial").GetUInt32()));
                Volatile.Write(ref readSoFar, received.Count);
                if (received.Count % 1000 == 0)
                {
                    acked = received[^1].Offset;
                    await c.Send($"{{\"op\":\"ack\",\"offset\":{acked}}}\n");
                }
            }
            await JournalEnv.WaitFor(async () => await env.Journal.Durable.LastAckAsync("crash", default) == acked, "last ack never stored");
            Assert.True(env.Journal.NextOffset < 50_001, "the burst finished before the crash: nothing was in flight");
            await env.System.Terminate(); // no stream completion, no journal or server disposal
            // The publisher may be left awaiting a stream that was torn down under it: it is not waited for.
            await Task.WhenAny(burst, Task.Delay(TimeSpan.FromSeconds(5)));
        }
        await env.Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        await using var after = await JournalEnv.Start(j);
        var reader = after.Journal.Reader;
        var bounds = await reader.BoundsAsync();
        var stored = await reader.Read(1, long.MaxValue, bounds).RunWith(Sink.Seq<ReadItem>(), after.System.Materializer());
        var bySerial = stored.ToDictionary(i => i.Event!.Offset, i => i.Event!.Records[0].Serial);
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(i => i.Event!.Offset));
        Assert.All(received, r => Assert.Equal(r.Serial, bySerial[r.Offset]));
        Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received.Select(r => r.Offset));

        using var again = await LineClient.Connect(after.SocketPath);
        var reply = await again.Subscribe("""{"op":"subscribe","name":"crash"}""");
        Assert.Equal(acked + 1, reply.GetProperty("offset").GetInt64());
        long next = acked + 1;
        while (next <= bounds.NewestOffset)
        {
            var e = await again.ReadJson(10);
            Assert.True(e.TryGetProperty("offset", out var o), e.ToString());
            Assert.Equal(next++, o.GetInt64());
        }
    }
}
