using FsAudit.Actors.Pipeline;
using FsAudit.Engine.Netlink;
using FsAudit.Engine.Records;
using FsAudit.Tests.Kernel;
using Xunit;

namespace FsAudit.Tests.Multicast;

/// <summary>Coexistence mode against the real kernel: the read-only log group sees what the registered daemon sees.</summary>
[Collection(KernelCollection.Name)]
[Trait("Category", "Kernel")]
public sealed class MulticastKernelTests : IDisposable
{
    private const string Key = "fsaudit-multicast-test";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fsaudit-multicast-");

    public void Dispose() => _dir.Delete(recursive: true);

    [KernelFact]
    public void Multicast_reader_receives_the_records_the_daemon_receives()
    {
        var guard = KernelStateGuard.Capture();
        try
        {
            string d = _dir.FullName;
            using var child = SyscallChild.Start();
            using var connection = new AuditMulticastConnection();
            using var reader = new NetlinkRecordReader(connection.Socket, ownsSocket: false);
            using var daemon = new AuditDaemonConnection();
            guard.Control.SetEnabled(1);
            guard.Control.AddRule(AuditRule.Parse($"-a always,exit -F dir={d} -F perm=wa -k {Key}"));
            daemon.Register();

            // The kernel does not audit the daemon's own process: a child does the file operations.
            Assert.True(child.Call("close", child.Call("creat", $"{d}/a", 0x1a4)) >= 0);
            Assert.True(child.Call("rename", $"{d}/a", $"{d}/b") >= 0);
            Assert.True(child.Call("unlink", $"{d}/b") >= 0);
            const int expectedEvents = 3;

            var fromDaemon = KernelRecords.ReceiveUntil(daemon, rs => Complete(rs.Select(r => (r.Type, r.Text)).ToList()) >= expectedEvents);
            var daemonSet = Ours(fromDaemon.Select(r => (r.Type, r.Text)).ToList());
            Assert.Equal(expectedEvents, daemonSet.Select(r => Serial(r.Text)).Distinct().Count());

            var multicast = new List<AuditRecord>();
            long deadline = Environment.TickCount64 + 10_000;
            while (Environment.TickCount64 < deadline && Complete(multicast.Select(r => (r.Type, r.Text)).ToList()) < expectedEvents)
                reader.Read(multicast, 200);
            var multicastSet = Ours(multicast.Select(r => (r.Type, r.Text)).ToList());

            Assert.Equal(daemonSet.Order(), multicastSet.Order());
            Assert.Contains(multicastSet, r => r.Type == 1320); // EOE comes through too
            Assert.Equal((uint)Environment.ProcessId, guard.Control.GetStatus().Pid); // still our daemon's registration
            Assert.Equal(0, connection.ReceiveOverruns);
            Assert.True(reader.Counters.Messages >= multicastSet.Count);
            Assert.Equal(0, reader.Counters.Unparsable);
            daemon.Unregister();
        }
        finally
        {
            guard.Dispose();
        }
        Assert.Empty(guard.Differences());
    }

    /// <summary>The records of events whose SYSCALL carries our key.</summary>
    private static List<(ushort Type, string Text)> Ours(List<(ushort Type, string Text)> records)
    {
        var serials = records.Where(r => r.Type == 1300 && r.Text.Contains($"key=\"{Key}\"", StringComparison.Ordinal))
            .Select(r => Serial(r.Text)).ToHashSet();
        return records.Where(r => serials.Contains(Serial(r.Text))).ToList();
    }

    /// <summary>Our events whose EOE arrived.</summary>
    private static int Complete(List<(ushort Type, string Text)> records)
    {
        var ours = Ours(records);
        return ours.Where(r => r.Type == 1320).Select(r => Serial(r.Text)).Distinct().Count();
    }

    private static uint Serial(string text) =>
        RecordParser.TryParseHeader(System.Text.Encoding.UTF8.GetBytes(text), out _, out uint serial, out _, out _) ? serial : 0;
}
