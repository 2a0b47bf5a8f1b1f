using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Persistence;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;
using FsAudit.Host.Server;
using Xunit;

namespace FsAudit.Tests.Persistence;

/// <summary>
/// The daemon's publishing path without the kernel: pipeline batches → journal sink → hub (with the journal as its
/// history) → control server on a real Unix socket, plus durable subscriptions.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalEnv : IAsyncDisposable
{
    public static readonly ClassCatalog Catalog = ClassCatalog.Build(new Dictionary<string, IReadOnlyList<string>>
    {
        ["files"] = ["FILE_Open", "FILE_Create", "FILE_Write", "FILE_Unlink"],
    });

    private readonly ISourceQueueWithComplete<IReadOnlyList<AuditEvent>> _input;
    private readonly Task _completion;

    private JournalEnv(TempJournal j, ActorSystem sys, EventJournal journal, IActorRef hub, ControlServer server,
        ISourceQueueWithComplete<IReadOnlyList<AuditEvent>> input, Task completion)
    {
        Temp = j;
        System = sys;
        Journal = journal;
        Hub = hub;
        Server = server;
        _input = input;
        _completion = completion;
    }

    public TempJournal Temp { get; }
    public ActorSystem System { get; }
    public EventJournal Journal { get; }
    public IActorRef Hub { get; }
    public ControlServer Server { get; }
    public string SocketPath => Server.SocketPath;

    /// <param name="recentWindowBytes">The hub's shared window of recent events, as the daemon sets it up (0 = none: catch-up reads the journal).</param>
    /// <param name="stallTime">How long a subscriber may take nothing before it counts as stalled (OutboundBuffer's 1 s when null).</param>
    public static async Task<JournalEnv> Start(TempJournal j, long bufferBytes = 1 << 20, long recentWindowBytes = 0, TimeSpan? stallTime = null)
    {
        EventJournal.PrepareStorage(j.Settings);
        var sys = ActorSystem.Create("journal-env", JournalBootstrap.Setup(TempJournal.Quiet, j.Settings));
        var view = new AuditEventView(Catalog);
        var journal = await EventJournal.OpenAsync(sys, j.Settings, view);
        var history = recentWindowBytes > 0 ? new WindowedHistory(new RecentEvents(recentWindowBytes), journal.History) : journal.History;
        var hub = sys.ActorOf(SubscriberHub.Props(view, 16, journal.NextOffset, history), "subscribers");
        var (input, completion) = Source.Queue<IReadOnlyList<AuditEvent>>(16, OverflowStrategy.Backpressure)
            .ToMaterialized(journal.SinkTo(hub).Sink, Keep.Both)
            .Run(sys.Materializer());
        var settings = SubscriberSettings.Defaults(Path.Combine(j.Directory, "fsaudit.sock")) with { BufferBytes = bufferBytes, StallTime = stallTime };
        var server = new ControlServer(settings, new ControlHandlers(
            _ => Task.FromResult("{}"u8.ToArray()), hub, new ClassCatalogEvents(Catalog), journal.History, journal.Durable));
        return new JournalEnv(j, sys, journal, hub, server, input, completion);
    }

    /// <summary>Hands batches to the pipeline sink and waits until all of them are durable.</summary>
    public async Task Publish(IEnumerable<IReadOnlyList<AuditEvent>> batches)
    {
        long expected = Journal.NextOffset;
        foreach (var b in batches)
        {
            expected += b.Count;
            var r = await _input.OfferAsync(b);
            Assert.IsType<QueueOfferResult.Enqueued>(r);
        }
        await WaitFor(() => Journal.NextOffset >= expected, $"journal never reached offset {expected}");
        await WaitFor(async () => (await HubStatus()).NextOffset >= expected, "hub never published everything");
    }

    public Task Publish(long from, int count, int batch = 500) =>
        Publish(Enumerable.Range(0, (count + batch - 1) / batch)
            .Select(b => (IReadOnlyList<AuditEvent>)SampleEvents.Range(from + b * batch, Math.Min(batch, count - b * batch))));

    public Task<HubStatus> HubStatus() => Hub.Ask<HubStatus>(GetHubStatus.Instance, TimeSpan.FromSeconds(5));

    public static async Task WaitFor(Func<bool> condition, string what, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }

    public static async Task WaitFor(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }

    /// <summary>Clean stop: input completed, journal flushed, server closed, actor system terminated.</summary>
    public async ValueTask DisposeAsync()
    {
        _input.Complete();
        try { await _completion.WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { }
        await Server.DisposeAsync();
        await Journal.DisposeAsync();
        await System.Terminate();
    }
}
