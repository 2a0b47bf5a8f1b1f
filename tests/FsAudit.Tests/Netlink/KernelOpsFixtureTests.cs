using System.Globalization;
using System.Text;
using System.Text.Json;
using FsAudit.Engine.Kernel;
using FsAudit.Tests.Kernel;
using Xunit;

namespace FsAudit.Tests.Netlink;

/// <summary>Checks the captured kernel-ops fixtures agree with each other (written by tools/FixtureCapture).</summary>
public sealed class KernelOpsFixtureTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    private static List<ReceivedRecord> NetlinkRecords() =>
        File.ReadAllLines(Fixture("kernel-ops.netlink"), Encoding.UTF8)
            .Select(line =>
            {
                int space = line.IndexOf(' ');
                return new ReceivedRecord(ushort.Parse(line.AsSpan(0, space), CultureInfo.InvariantCulture), line[(space + 1)..]);
            }).ToList();

    [Fact]
    public void Log_is_the_netlink_capture_in_auditd_form_without_EOE()
    {
        var expected = NetlinkRecords().Where(r => r.Type != 1320)
            .Select(r => $"type={RecordTypeNames.Name(r.Type)} msg={r.Text}");
        Assert.Equal(expected, File.ReadAllLines(Fixture("kernel-ops.log"), Encoding.UTF8));
    }

    [Fact]
    public void Every_recorded_operation_has_its_syscall_path_and_eoe_exactly_once()
    {
        var records = NetlinkRecords();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Fixture("kernel-ops.manifest.json")));
        var ops = manifest.RootElement.GetProperty("operations").EnumerateArray().ToList();
        Assert.True(ops.Count > 100);

        var serials = new HashSet<uint>();
        var unrecorded = new List<string>();
        foreach (var op in ops)
        {
            string label = op.GetProperty("op").GetString()!;
            if (op.GetProperty("serial").ValueKind == JsonValueKind.Null)
            {
                unrecorded.Add(op.GetProperty("syscall").GetString()!);
                continue;
            }
            uint serial = op.GetProperty("serial").GetUInt32();
            Assert.True(serials.Add(serial), $"serial {serial} used twice");
            var ev = records.Where(r => r.Serial == serial).ToList();
            var syscall = Assert.Single(ev, r => r.Type == 1300);
            Assert.Single(ev, r => r.Type == 1320);
            Assert.Equal(op.GetProperty("syscallNumber").GetInt32().ToString(CultureInfo.InvariantCulture), syscall.Field("syscall"));
            bool success = op.GetProperty("success").GetBoolean();
            Assert.Equal(success ? "yes" : "no", syscall.Field("success"));
            if (!success)
            {
                int errno = Enumerable.Range(1, 200).First(n => Errno.Name(n) == op.GetProperty("errno").GetString());
                Assert.Equal((-errno).ToString(CultureInfo.InvariantCulture), syscall.Field("exit"));
            }

            // Every absolute path of the operation shows up as a PATH name (quoted or hex), relative ones via the cwd.
            string? cwd = op.TryGetProperty("cwd", out var c) ? c.GetString() : null;
            var names = ev.Where(r => r.Type == 1302).Select(r => DecodeName(r.Field("name")!))
                .Select(n => n.StartsWith('/') || cwd is null ? n : Path.GetFullPath(Path.Combine(cwd, n))).ToList();
            foreach (var path in op.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!))
                Assert.True(names.Contains(path) || names.Contains(Path.GetDirectoryName(path) + "/"), $"{label}: no PATH for {path} in [{string.Join(", ", names)}]");
        }
        Assert.Equal(["openat", "utimensat"], unrecorded.Order());
    }

    private static string DecodeName(string value) =>
        value.StartsWith('"') ? value[1..^1] : Encoding.UTF8.GetString(Convert.FromHexString(value));
}
