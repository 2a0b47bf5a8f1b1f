using Xunit;

namespace FsAudit.Tests.Daemon;

/// <summary>Start-up errors of <c>fsaudit run</c> that need no kernel: each is a clear message and a non-zero exit.</summary>
public sealed class DaemonRefusalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fsaudit-refusal-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_config_typo_is_refused_with_the_key_path()
    {
        string config = DaemonProcess.WriteConfig(_dir, "fsaudit.kernel.backlog-limt = 10");
        using var run = DaemonProcess.Start(_dir, "run", "--config", config);
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("fsaudit.kernel.backlog-limt: unknown key", run.Stderr);
    }

    [Fact]
    public void A_watch_path_that_does_not_exist_is_refused()
    {
        string config = DaemonProcess.WriteConfig(_dir, $$"""fsaudit.watches = [ { path = "{{_dir}}/nope" } ]""");
        using var run = DaemonProcess.Start(_dir, "run", "--config", config);
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("fsaudit.watches[0].path", run.Stderr);
        Assert.Contains("does not exist", run.Stderr);
    }
}
