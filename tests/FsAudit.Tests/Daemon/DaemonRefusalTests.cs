using Xunit;

namespace FsAudit.Tests.Daemon;

/// <summary>Start-up errors of <c>fsaudit run</c> that need no kernel: each is a clear message and a non-zero exit.</summary>
public sealed class DaemonRefusalTests : DaemonTestDirectory
{
    [Fact]
    public void A_config_typo_is_refused_with_the_key_path()
    {
        string config = DaemonProcess.WriteConfig(Dir, "fsaudit.kernel.backlog-limt = 10");
        using var run = DaemonProcess.Start(Dir, "run", "--config", config);
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("fsaudit.kernel.backlog-limt: unknown key", run.Stderr);
    }

    [Fact]
    public void A_watch_path_that_does_not_exist_is_refused()
    {
        string config = DaemonProcess.WriteConfig(Dir, $$"""fsaudit.watches = [ { path = "{{Dir}}/nope" } ]""");
        using var run = DaemonProcess.Start(Dir, "run", "--config", config);
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("fsaudit.watches[0].path", run.Stderr);
        Assert.Contains("does not exist", run.Stderr);
    }
}
