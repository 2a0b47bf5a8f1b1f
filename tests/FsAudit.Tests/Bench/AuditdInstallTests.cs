using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

/// <summary>Fetching Debian's auditd for the comparison also works on a machine whose package lists were never updated.</summary>
public sealed class AuditdInstallTests
{
    private sealed class FakeApt(int unknownUntilUpdate)
    {
        public List<string> Calls { get; } = [];
        private bool _updated;

        public Task Run(string file, string[] args)
        {
            Calls.Add($"{file} {string.Join(' ', args)}");
            if (args[0] == "update") _updated = true;
            else if (unknownUntilUpdate > 0 && !_updated)
                throw new BenchException("apt-get download auditd libauparse0 libwrap0 failed (100): E: Unable to locate package auditd");
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Downloads_once_when_the_package_lists_know_auditd()
    {
        var apt = new FakeApt(unknownUntilUpdate: 0);
        var log = new List<string>();
        await AuditdInstall.DownloadAsync(apt.Run, log.Add);
        Assert.Equal(["apt-get download auditd libauparse0 libwrap0"], apt.Calls);
        Assert.Empty(log);
    }

    [Fact]
    public async Task Updates_the_lists_and_downloads_again_when_apt_knows_no_auditd()
    {
        var apt = new FakeApt(unknownUntilUpdate: 1);
        var log = new List<string>();
        await AuditdInstall.DownloadAsync(apt.Run, log.Add);
        Assert.Equal(["apt-get download auditd libauparse0 libwrap0", "apt-get update", "apt-get download auditd libauparse0 libwrap0"], apt.Calls);
        Assert.Contains("apt-get update", Assert.Single(log));
    }

    [Fact]
    public async Task Other_failures_are_not_retried()
    {
        var log = new List<string>();
        int calls = 0;
        Task Fail(string file, string[] args)
        {
            calls++;
            throw new BenchException("apt-get download auditd failed (100): E: Could not resolve 'deb.debian.org'");
        }
        await Assert.ThrowsAsync<BenchException>(() => AuditdInstall.DownloadAsync(Fail, log.Add));
        Assert.Equal(1, calls);
    }
}
