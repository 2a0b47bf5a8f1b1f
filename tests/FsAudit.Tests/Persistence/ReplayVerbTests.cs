using System.Text;
using System.Text.Json;
using FsAudit.Actors.Persistence;
using FsAudit.Host.Verbs;
using Xunit;

namespace FsAudit.Tests.Persistence;

public class ReplayVerbTests
{
    /// <summary>A journal of 1000 events in batches of 100; event i (offset i+1) at BaseMs + i ms, every third under /srv/data.</summary>
    private static async Task<TempJournal> Filled()
    {
        var j = new TempJournal();
        var sys = j.StartSystem();
        var w = await JournalWriter.StartAsync(sys, j.Settings);
        for (int b = 0; b < 10; b++)
        {
            var events = Enumerable.Range(b * 100, 100).Select(i => SampleEvents.Make(i, dir: i % 3 == 0 ? "/srv/data" : "/tmp/x")).ToList();
            await w.AppendAsync(EventBatchCodec.Encode(events), events.Count);
        }
        await w.DisposeAsync();
        await sys.Terminate();
        return j;
    }

    private static async Task<(int Code, List<JsonElement> Lines, string Err)> Run(TempJournal j, ReplayOptions o)
    {
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        int code = await ReplayVerb.RunAsync(o, j.Settings, JournalEnv.Catalog, stdout, stderr, CancellationToken.None);
        var lines = Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (code, lines, stderr.ToString());
    }

    private static IEnumerable<long> Offsets(List<JsonElement> lines) => lines.Select(l => l.GetProperty("offset").GetInt64());

    [Fact]
    public async Task Prints_an_offset_range_as_subscriber_lines()
    {
        await using var j = await Filled();
        var (code, lines, err) = await Run(j, new ReplayOptions { From = "250", To = "420" });
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal(Enumerable.Range(250, 171).Select(i => (long)i), Offsets(lines));
        Assert.Equal("FILE_Create", lines[0].GetProperty("event").GetString());
        Assert.Equal(["files"], lines[0].GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(SampleEvents.Make(249).Serial, lines[0].GetProperty("serial").GetUInt32());
    }

    [Fact]
    public async Task Time_bounds_filters_and_count()
    {
        await using var j = await Filled();
        string T(long i) => DateTimeOffset.FromUnixTimeMilliseconds(SampleEvents.BaseMs + i).ToString("O");
        var (code, lines, _) = await Run(j, new ReplayOptions { From = T(500), To = T(599) });
        Assert.Equal(0, code);
        Assert.Equal(Enumerable.Range(501, 100).Select(i => (long)i), Offsets(lines));

        (code, lines, _) = await Run(j, new ReplayOptions { Filter = new() { Paths = ["/srv/data"] }, Count = 5 });
        Assert.Equal([1L, 4, 7, 10, 13], Offsets(lines));
    }

    [Fact]
    public async Task Bad_arguments_and_missing_journal_are_reported()
    {
        await using var j = await Filled();
        Assert.Equal(2, (await Run(j, new ReplayOptions { From = "yesterday" })).Code);
        Assert.Equal(2, (await Run(j, new ReplayOptions { To = "earliest" })).Code);
        var (code, _, err) = await Run(j, new ReplayOptions { Filter = new() { Classes = ["fiels"] } });
        Assert.Equal(2, code);
        Assert.Contains("unknown class \"fiels\"", err);

        await using var none = new TempJournal();
        (code, _, err) = await Run(none, new ReplayOptions());
        Assert.Equal(1, code);
        Assert.Contains("no journal at", err);
        Assert.DoesNotContain("enabled = off", err);

        var stderr = new StringWriter();
        code = await ReplayVerb.RunAsync(new ReplayOptions(), none.Settings with { Enabled = false }, JournalEnv.Catalog, new MemoryStream(), stderr, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Contains("journal.enabled = off in this configuration", stderr.ToString());
    }

    [Fact]
    public async Task Reports_pruned_offsets()
    {
        await using var j = await Filled();
        var sys = j.StartSystem();
        var w = await JournalWriter.StartAsync(sys, j.Settings);
        Assert.Equal(3, await w.PruneThroughAsync(3));
        await w.DisposeAsync();
        await sys.Terminate();
        var (code, lines, err) = await Run(j, new ReplayOptions { From = "earliest" });
        Assert.Equal(0, code);
        Assert.Equal(Enumerable.Range(301, 700).Select(i => (long)i), Offsets(lines));
        (code, lines, err) = await Run(j, new ReplayOptions { From = "1", To = "310" });
        Assert.Contains("offsets 1..300 were pruned", err);
        Assert.Equal(Enumerable.Range(301, 10).Select(i => (long)i), Offsets(lines));
    }
}
