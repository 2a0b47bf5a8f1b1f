using FsAudit.Actors.Persistence;
using FsAudit.Actors.Pipeline;
using FsAudit.Actors.Subscribers;
using FsAudit.Engine.Classification;
using Xunit;
using Xunit.Abstractions;

namespace FsAudit.Tests.Actors;

public class HotPathWarmUpTests(ITestOutputHelper output)
{
    [Fact]
    public void Without_a_journal_nothing_is_encoded()
    {
        var report = HotPathWarmUp.Run(new AuditEventView(ClassCatalog.Empty), journal: null, rounds: 1);
        Assert.Equal(HotPathWarmUp.EventsPerRound, report.Events);
        Assert.Equal(0, report.EncodedBytes);
    }

    [Fact]
    public void Every_synthetic_event_is_parsed_built_named_and_encoded()
    {
        var report = HotPathWarmUp.Run(new AuditEventView(ClassCatalog.Empty), new JournalSettings(), rounds: 4);
        output.WriteLine(report.ToString());
        output.WriteLine(string.Join(" ", report.Names));

        Assert.Equal(0, report.Rejected);
        Assert.Equal(4 * HotPathWarmUp.EventsPerRound, report.Events);
        // What fsaudit bench's loop and the classes in hocon/ exercise most.
        Assert.Subset(report.Names.ToHashSet(), new HashSet<string> { "FILE_Create", "FILE_Write", "FILE_Unlink", "FILE_Rename", "FS_Mkdir", "FILE_Mode" });
        Assert.True(report.LineBytes > 100 * report.Events, $"{report.LineBytes} line bytes");
        Assert.True(report.EncodedBytes > 0);
    }
}
