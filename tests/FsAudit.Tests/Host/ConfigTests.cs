using FsAudit.Host.Configuration;
using Xunit;

namespace FsAudit.Tests.Host;

public class ConfigTests
{
    [Fact]
    public void Embedded_defaults_bind()
    {
        var s = ConfigLoader.Load();
        Assert.Equal("daemon", s.Kernel.Mode);
        Assert.Equal(64 * 1024 * 1024, s.Kernel.ReceiveBuffer);
        Assert.Equal(1u, s.Kernel.Failure);
        Assert.Equal(TimeSpan.FromSeconds(3), s.Correlation.Timeout);
        Assert.Equal((4L << 20, 64L << 20, 8L << 20), (s.Subscribers.BufferBytes, s.Subscribers.TotalBufferBytes, s.Subscribers.RecentWindowBytes));
        Assert.Equal((-4, -4), (s.Pipeline.ReaderNice, s.Pipeline.DaemonNice));
        Assert.Empty(s.Watches);
        Assert.Equal("consistent-hashing-pool", s.Hocon.GetString("akka.actor.deployment./correlators.router"));
    }

    [Fact]
    public void User_file_overrides_only_the_keys_it_names()
    {
        var s = ConfigLoader.LoadText("""
            fsaudit.kernel.backlog-limit = 4096
            fsaudit.watches = [ { path = "/srv/data/", perm = wa, key = data }, { path = /etc } ]
            """);
        Assert.Equal(4096u, s.Kernel.BacklogLimit);
        Assert.Equal(15000u, s.Kernel.BacklogWaitTime); // still the default
        Assert.Equal(new WatchSettings("/srv/data", "wa", "data"), s.Watches[0]);
        Assert.Equal(new WatchSettings("/etc", "wa", null), s.Watches[1]);
        var sub = ConfigLoader.LoadText("fsaudit.subscribers { recent-window = 0, total-buffer-size = 1GiB }").Subscribers;
        Assert.Equal((0L, 1L << 30), (sub.RecentWindowBytes, sub.TotalBufferBytes));
    }

    [Theory]
    [InlineData("fsaudit.kernel.backlog-limt = 5", "fsaudit.kernel.backlog-limt: unknown key")]
    [InlineData("fsaudit.sokcet-path = x", "fsaudit.sokcet-path: unknown key")]
    [InlineData("fsaudit.kernel.backlog-limit = many", "fsaudit.kernel.backlog-limit: expected an integer")]
    [InlineData("fsaudit.kernel.receive-buffer = lots", "fsaudit.kernel.receive-buffer: expected a size")]
    [InlineData("fsaudit.kernel.failure = panic", "fsaudit.kernel.failure: 'panic' is not one of silent, printk")]
    [InlineData("fsaudit.correlation.timeout = soon", "fsaudit.correlation.timeout: expected a duration")]
    [InlineData("fsaudit.watches = [ { path = relative } ]", "fsaudit.watches[0].path: 'relative' must be absolute")]
    [InlineData("fsaudit.watches = [ { path = /x, perm = wz } ]", "fsaudit.watches[0].perm")]
    [InlineData("fsaudit.watches = [ { path = /x, prem = w } ]", "fsaudit.watches[0].prem: unknown key")]
    [InlineData("fsaudit.kernel { backlog-limit = 5 ", "'{' is never closed")]
    [InlineData("fsaudit.rules = [ \"-a always,exit\" ", "'[' is never closed")]
    [InlineData("fsaudit.kernel = 5", "fsaudit.kernel: expected an object")]
    [InlineData("fsaudit.subscribers.recent-window = big", "fsaudit.subscribers.recent-window: expected a size")]
    public void Typos_and_wrong_types_fail_with_the_key_path(string text, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.LoadText(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unreadable_file_is_a_clear_error()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load("/nonexistent/fsaudit.conf"));
        Assert.Contains("/nonexistent/fsaudit.conf", e.Message);
    }

    [Theory]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("512k", 512L << 10)]
    [InlineData("1000", 1000L)]
    [InlineData("2 GiB", 2L << 30)]
    public void Sizes_parse(string text, long bytes) => Assert.Equal(bytes, ConfigSchema.ParseSize(text));

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("3s", 3000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120000)]
    public void Durations_parse(string text, double ms) => Assert.Equal(TimeSpan.FromMilliseconds(ms), ConfigSchema.ParseDuration(text));
}
