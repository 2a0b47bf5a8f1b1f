using System.Text.Json;
using Akka.TestKit.Xunit2;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;
using Xunit;
using static FsAudit.Tests.Records.AuditText;

namespace FsAudit.Tests.Subscribers;

/// <summary>The hub with the real event model, classifier and class catalog.</summary>
public class AuditEventViewTests : TestKit
{
    private static readonly ClassCatalog Catalog = ClassCatalog.Build(new Dictionary<string, IReadOnlyList<string>>
    {
        ["files"] = ["FILE_Unlink", "FILE_Open", "FILE_Create"],
        ["deletes"] = ["FILE_Unlink"],
    });

    private static AuditEvent Unlink(uint serial, string dir, string file, string key = "\"data\"") => EventBuilder.Build(
    [
        Rec("SYSCALL", serial, SyscallFields(syscall: 263, key: key, comm: "\"rm\"", exe: "\"/usr/bin/rm\"").Replace("a2=941", "a2=0")),
        Rec("CWD", serial, "cwd=\"/root\""),
        Rec("PATH", serial, PathFields(0, $"\"{dir}\"", "PARENT", 10, "040755")),
        Rec("PATH", serial, PathFields(1, $"\"{file}\"", "DELETE", 11)),
        Rec("EOE", serial, ""),
    ], incomplete: false);

    private static SubscriptionRequest Request(string json)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.True(SubscriptionRequest.TryParse(doc.RootElement, new ClassCatalogEvents(Catalog), out var r, out var error), error);
        return r!;
    }

    [Fact]
    public async Task Event_line_is_the_parse_json_plus_offset_event_and_classes()
    {
        var hub = Sys.ActorOf(SubscriberHub.Props(new AuditEventView(Catalog), maxSubscribers: 4));
        var data = new OutboundBuffer(1 << 20);
        var other = new OutboundBuffer(1 << 20);
        hub.Tell(new Subscribe(new SubscriberPeer(1, 0, 0), Request("""{"classes":["deletes"],"paths":["/srv/data"],"keys":["data"]}"""), data), TestActor);
        ExpectMsg<Subscribed>();
        hub.Tell(new Subscribe(new SubscriberPeer(1, 0, 0), Request("""{"paths":["/srv/database"]}"""), other), TestActor);
        ExpectMsg<Subscribed>();

        var e = Unlink(500, "/srv/data", "/srv/data/f.txt");
        hub.Tell(new PublishBatch<AuditEvent>([e, Unlink(501, "/srv/data", "/srv/data/g.txt", key: "\"other\"")]), TestActor);
        ExpectMsg<HubAck>();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.True(await data.WaitAsync(cts.Token));
        var lines = new List<byte[]>();
        data.TakeInto(lines, int.MaxValue);
        var line = Assert.Single(lines);
        var json = Lines.Parse(line);
        Assert.Equal(1, json.GetProperty("offset").GetInt64());
        Assert.Equal("FILE_Unlink", json.GetProperty("event").GetString());
        Assert.Equal(["deletes", "files"], json.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(500, json.GetProperty("serial").GetInt64());
        Assert.Equal("/srv/data/f.txt", json.GetProperty("paths")[1].GetProperty("name").GetString());

        // The rest of the line is exactly what `fsaudit parse` prints for the event.
        var parseLine = EventJson.ToLine(e);
        Assert.EndsWith(parseLine[1..], Lines.Text(line).TrimEnd('\n'));
        Assert.Equal(0, other.Stats.Matched);
    }

    [Fact]
    public void Catalog_adapter_knows_classes_and_producible_event_names()
    {
        var events = new ClassCatalogEvents(Catalog);
        Assert.True(events.TryExpandClass("files", out var names));
        Assert.Contains("FILE_Create", names);
        Assert.False(events.TryExpandClass("fiels", out _));
        Assert.True(events.IsKnownEvent("FILE_Unlink"));
        Assert.True(events.IsKnownEvent("USER_LOGIN"));
        Assert.False(events.IsKnownEvent("FILE_Unlnk"));
    }
}
