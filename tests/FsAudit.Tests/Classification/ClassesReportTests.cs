using FsAudit.Engine.Classification;
using Xunit;

namespace FsAudit.Tests.Classification;

public class ClassesReportTests
{
    [Fact]
    public void Lists_every_event_with_its_syscalls_and_classes()
    {
        var classes = DefaultClassesTests.LoadDefaults().ToDictionary(p => p.Key, p => p.Value);
        classes["logins"] = ["USER_LOGIN"];
        var catalog = ClassCatalog.Build(classes);
        var text = new StringWriter();
        ClassesReport.Write(text, catalog);
        var lines = text.ToString().Split('\n');

        foreach (var info in EventNames.All)
        {
            var line = Assert.Single(lines, l => l.StartsWith(info.Name + " ", StringComparison.Ordinal));
            foreach (var s in info.Syscalls) Assert.Contains(s, line);
            Assert.Contains(string.Join(',', catalog.ClassesOf(info.Name)), line);
        }
        var rename = Assert.Single(lines, l => l.StartsWith("FILE_Rename ", StringComparison.Ordinal));
        Assert.Contains("rename,renameat,renameat2", rename);
        Assert.Contains("all,fc,fd,files,general,namespace", rename);
        Assert.Contains(lines, l => l.StartsWith("USER_LOGIN ", StringComparison.Ordinal) && l.TrimEnd().EndsWith("logins"));
        Assert.Contains(lines, l => l.StartsWith("namespace ", StringComparison.Ordinal) && l.Contains("FILE_Create"));
        Assert.DoesNotContain(lines, l => l.TrimEnd('\r') != l.TrimEnd('\r').TrimEnd());
    }

    [Fact]
    public void Says_when_no_class_is_defined()
    {
        var text = new StringWriter();
        ClassesReport.Write(text, ClassCatalog.Empty);
        Assert.Contains("No classes are defined", text.ToString());
        Assert.Contains("FILE_Create", text.ToString());
    }
}
