using Xunit;
using System.Text;
using System.Text.Json;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Events;

namespace FsAudit.Tests.Subscribers;

/// <summary>A minimal event model for subscriber tests: the hub only sees it through <see cref="TestView"/>.</summary>
public sealed record TestEvent(
    string Name,
    string[]? Paths = null,
    string[]? Keys = null,
    bool? Success = true,
    uint? Uid = 1000,
    uint? Auid = 1000,
    string Note = "");

public sealed class TestCatalog : IEventCatalog
{
    public static readonly TestCatalog Instance = new();

    private static readonly Dictionary<string, string[]> Classes = new()
    {
        ["files"] = ["FILE_Open", "FILE_Write", "FILE_Unlink", "FILE_Rename"],
        ["deletes"] = ["FILE_Unlink"],
        ["proc"] = ["PROC_Execute", "PROC_Create"],
    };

    public bool TryExpandClass(string className, out IReadOnlyCollection<string> eventNames)
    {
        var found = Classes.TryGetValue(className, out var names);
        eventNames = names ?? [];
        return found;
    }

    public bool IsKnownEvent(string eventName) => Classes.Values.Any(v => v.Contains(eventName));

    public static string[] ClassesOf(string eventName) => Classes.Where(kv => kv.Value.Contains(eventName)).Select(kv => kv.Key).ToArray();
}

public sealed class TestView : ISubscriptionEventView<TestEvent>
{
    public static readonly TestView Instance = new();

    public EventFacts Describe(TestEvent e)
    {
        if (e.Name == "BROKEN") throw new InvalidDataException("cannot describe");
        return new EventFacts(e.Name, TestCatalog.ClassesOf(e.Name), e.Keys ?? [], e.Success, e.Uid, e.Auid, e.Paths ?? []);
    }

    private static readonly JsonName NoteName = new("note"), PathsName = new("paths");

    public void WriteProperties(JsonLineWriter w, TestEvent e)
    {
        w.String(NoteName, e.Note);
        if (e.Paths is { } paths)
        {
            w.StartArray(PathsName);
            foreach (var p in paths) w.StringValue(p);
            w.EndArray();
        }
    }
}

public static class Lines
{
    public static JsonElement Parse(byte[] line)
    {
        Assert.Equal((byte)'\n', line[^1]);
        Assert.DoesNotContain((byte)'\n', line[..^1]);
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public static JsonElement Parse(string line) => JsonDocument.Parse(line).RootElement.Clone();

    public static string Text(byte[] line) => Encoding.UTF8.GetString(line);
}
