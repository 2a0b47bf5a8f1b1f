using System.Text;
using System.Text.Json;
using FsAudit.Engine.Classification;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;
using Xunit;

namespace FsAudit.Tests.Classification;

/// <summary>
/// Events a real kernel (this machine's, rule <c>-F dir=... -F perm=wa</c>) recorded for known operations
/// (fixtures/kernel-ops.*, captured by the netlink engineer's tools/FixtureCapture), named by the classifier.
/// </summary>
public class KernelFixtureClassificationTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    private static Dictionary<uint, AuditEvent> Events()
    {
        var records = File.ReadAllLines(Fixture("kernel-ops.log"), Encoding.UTF8).Select(line =>
        {
            Assert.True(RecordParser.TryParseLogLine(line, out var r, out var error), error);
            return r!;
        });
        return records.GroupBy(r => r.Serial).ToDictionary(g => g.Key, g => EventBuilder.Build(g.ToList(), incomplete: false));
    }

    // What each operation of the manifest is, in event-name terms (ops not listed are decided by syscall).
    private static string Expected(string op, string syscall) => op switch
    {
        "open O_WRONLY (existing file)" => "FILE_Write",
        "unlinkat AT_REMOVEDIR" => "FS_Rmdir",
        "mknod FIFO" => "FILE_Mknod",
        _ => syscall switch
        {
            "creat" or "openat" => "FILE_Create", // every other creat/open in the capture made a new file
            "mkdir" => "FS_Mkdir",
            "rmdir" => "FS_Rmdir",
            "rename" or "renameat2" => "FILE_Rename",
            "unlink" or "unlinkat" => "FILE_Unlink",
            "link" => "FILE_Link",
            "symlink" => "FILE_Symlink",
            "truncate" => "FILE_Truncate",
            "setxattr" => "FILE_Xattr",
            "chmod" or "fchmodat" => "FILE_Mode",
            "chown" => "FILE_Owner",
            _ => throw new InvalidOperationException($"fixture operation '{op}' ({syscall}) has no expectation here"),
        },
    };

    [Fact]
    public void Every_captured_operation_gets_its_event_name()
    {
        var events = Events();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Fixture("kernel-ops.manifest.json")));
        var checkedOps = 0;
        foreach (var op in manifest.RootElement.GetProperty("operations").EnumerateArray())
        {
            if (op.GetProperty("serial").ValueKind == JsonValueKind.Null) continue;
            var name = op.GetProperty("op").GetString()!;
            var syscall = op.GetProperty("syscall").GetString()!;
            var e = events[op.GetProperty("serial").GetUInt32()];
            Assert.Equal(op.GetProperty("syscallNumber").GetInt32(), e.Syscall);
            Assert.True(Expected(name, syscall) == EventClassifier.Classify(e),
                $"{name}: expected {Expected(name, syscall)}, got {EventClassifier.Classify(e)} (serial {e.Serial})");
            Assert.Equal(op.GetProperty("success").GetBoolean(), EventClassifier.ToInput(e).Success);
            checkedOps++;
        }
        Assert.True(checkedOps > 100, $"only {checkedOps} recorded operations");
    }

    [Fact]
    public void Created_files_are_told_from_opened_ones_by_the_kernels_path_items()
    {
        var events = Events();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Fixture("kernel-ops.manifest.json")));
        var ops = manifest.RootElement.GetProperty("operations").EnumerateArray()
            .GroupBy(o => o.GetProperty("op").GetString()!).ToDictionary(g => g.Key, g => g.First());
        AuditEvent Of(string op) => events[ops[op].GetProperty("serial").GetUInt32()];

        var created = Of("open O_WRONLY|O_CREAT (new file)");
        var existing = Of("open O_WRONLY (existing file)");
        Assert.Contains(created.Paths, p => p.NameType == "CREATE");
        Assert.DoesNotContain(existing.Paths, p => p.NameType == "CREATE");
        Assert.Equal("FILE_Create", EventClassifier.Classify(created));
        Assert.Equal("FILE_Write", EventClassifier.Classify(existing));

        var failed = Of("unlink missing file (fails)");
        Assert.Equal(false, failed.Success);
        Assert.Equal("FILE_Unlink", EventClassifier.Classify(failed));

        var catalog = DefaultClassesTests.Defaults();
        var rename = EventClassifier.Classify(Of("rename"));
        Assert.True(catalog.IsIn(rename, "fc") && catalog.IsIn(rename, "fd"));
    }

    [Fact]
    public void Records_outside_the_watch_are_named_too()
    {
        // The capture starts with the daemon's own registration: CONFIG_CHANGE inside a sendto syscall event.
        var names = Events().Values.Select(EventClassifier.Classify).ToHashSet();
        Assert.Contains("SYSCALL_sendto", names);
        Assert.DoesNotContain(names, string.IsNullOrEmpty);
    }
}
