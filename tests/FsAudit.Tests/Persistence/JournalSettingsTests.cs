using Akka.Configuration;
using FsAudit.Actors.Persistence;
using Xunit;

namespace FsAudit.Tests.Persistence;

public class JournalSettingsTests
{
    private static JournalSettings Parse(string hocon) =>
        JournalSettings.FromConfig(ConfigurationFactory.ParseString(hocon).GetConfig("fsaudit.journal"), "/var/lib/fsaudit");

    [Fact]
    public void Defaults_are_an_sqlite_file_under_the_state_directory()
    {
        var s = JournalSettings.FromConfig(null, "/var/lib/fsaudit");
        Assert.Equal(JournalPlugin.Sqlite, s.Plugin);
        Assert.Equal("/var/lib/fsaudit/journal.db", s.DatabasePath);
        Assert.Null(s.RetentionMaxAge);
        Assert.Null(s.RetentionMaxBytes);
        Assert.Equal(JournalCompression.Zstd, s.Compression);
        Assert.Equal(EventBatchCodec.DefaultZstdLevel, s.CompressionLevel);
        Assert.Equal(new JournalSettings().Compression, s.Compression); // the record's defaults match the HOCON's
        Assert.Equal(new JournalSettings().CompressionLevel, s.CompressionLevel);
        Assert.True(s.Enabled);
        Assert.Equal(new JournalSettings().Enabled, s.Enabled);
    }

    [Theory]
    [InlineData("off", false)]
    [InlineData("false", false)]
    [InlineData("on", true)]
    [InlineData("true", true)]
    public void Reads_enabled(string value, bool expected)
    {
        Assert.Equal(expected, Parse($"fsaudit.journal.enabled = {value}").Enabled);
    }

    [Theory]
    [InlineData("zstd", JournalCompression.Zstd)]
    [InlineData("zlib", JournalCompression.Zlib)]
    [InlineData("none", JournalCompression.None)]
    public void Reads_each_compression(string value, JournalCompression expected)
    {
        Assert.Equal(expected, Parse($"fsaudit.journal.compression = {value}").Compression);
        Assert.Equal(3, Parse($"fsaudit.journal {{ compression = {value}, compression-level = 3 }}").CompressionLevel);
        Assert.Equal(-7, Parse("fsaudit.journal.compression-level = -7").CompressionLevel);
    }

    [Fact]
    public void Reads_every_key()
    {
        var s = Parse("""
            fsaudit.journal {
              path = "/data/j.db"
              batch { max-events = 500, catch-up-events = 100, max-bytes = 1MiB }
              compression = none
              retention { max-age = 7d, max-size = 10GiB, interval = 30s }
              retry-backoff { min = 100ms, max = 2s }
              query { page-rows = 4, catch-up-threads = 2, catch-up-nice = 5 }
            }
            """);
        Assert.Equal("/data/j.db", s.DatabasePath);
        Assert.Equal((500, 100, 1L << 20), (s.MaxBatchEvents, s.CatchUpBatchEvents, s.MaxBatchBytes));
        Assert.Equal(JournalCompression.None, s.Compression);
        Assert.Equal(TimeSpan.FromDays(7), s.RetentionMaxAge);
        Assert.Equal(10L << 30, s.RetentionMaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), s.PruneInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.RetryMinBackoff);
        Assert.Equal(4, s.QueryPageRows);
        Assert.Equal((2, 5), (s.CatchUpThreads, s.CatchUpNice));
        var pg = Parse("""fsaudit.journal { plugin = postgresql, connection-string = "Host=db;Database=fsaudit" }""");
        Assert.Equal(JournalPlugin.PostgreSql, pg.Plugin);
        var akka = JournalBootstrap.PersistenceConfig(pg);
        Assert.Equal("PostgreSQL.15", akka.GetString("akka.persistence.journal.sql.provider-name"));
        Assert.Equal("Host=db;Database=fsaudit", akka.GetString("akka.persistence.query.journal.sql.connection-string"));
        Assert.Equal("postgresql", akka.GetString("akka.persistence.snapshot-store.sql.table-mapping"));
    }

    [Theory]
    [InlineData("fsaudit.journal.plugn = sqlite", "unknown key fsaudit.journal.plugn")]
    [InlineData("fsaudit.journal.enabled = maybe", "fsaudit.journal.enabled must be on or off")]
    [InlineData("fsaudit.journal.enable = off", "unknown key fsaudit.journal.enable")]
    [InlineData("fsaudit.journal.retention.max-ag = 1d", "unknown key fsaudit.journal.retention.max-ag")]
    [InlineData("fsaudit.journal.plugin = mysql", "plugin must be sqlite or postgresql")]
    [InlineData("fsaudit.journal.plugin = postgresql", "connection-string is required")]
    [InlineData("fsaudit.journal { plugin = postgresql, connection-string = \"Host=x\", retention.max-size = 1GiB }", "max-size is only supported with plugin = sqlite")]
    [InlineData("fsaudit.journal.connection-string = \"Data Source=x\"", "the sqlite journal is set with fsaudit.journal.path")]
    [InlineData("fsaudit.journal.batch.max-events = 0", "batch.max-events must be between 1")]
    [InlineData("fsaudit.journal.batch.catch-up-events = 0", "batch.catch-up-events must be between 1")]
    [InlineData("fsaudit.journal.batch { max-events = 100, catch-up-events = 200 }", "batch.catch-up-events (200) must not be above batch.max-events (100)")]
    [InlineData("fsaudit.journal.retention.max-age = soon", "retention.max-age must be a duration")]
    [InlineData("fsaudit.journal.compression = lz4", "fsaudit.journal.compression must be zstd, zlib or none (found \"lz4\")")]
    [InlineData("fsaudit.journal.compression = zstd1", "fsaudit.journal.compression must be zstd, zlib or none (found \"zstd1\")")]
    [InlineData("fsaudit.journal.compression-levl = 3", "unknown key fsaudit.journal.compression-levl")]
    [InlineData("fsaudit.journal.compression-level = 20", "compression-level must be between -7 and 19 (found 20)")]
    [InlineData("fsaudit.journal.compression-level = -8", "compression-level must be between -7 and 19 (found -8)")]
    [InlineData("fsaudit.journal.compression-level = fast", "compression-level must be an integer")]
    [InlineData("fsaudit.journal.query.catch-up-nice = 20", "catch-up-nice must be between -20 and 19 (found 20)")]
    [InlineData("fsaudit.journal.query.catch-up-threads = 0", "catch-up-threads must be between 1")]
    [InlineData("fsaudit.journal.retry-backoff { min = 5s, max = 1s }", "retry-backoff.max must not be below")]
    public void Bad_settings_name_the_key(string hocon, string error)
    {
        Assert.Contains(error, Assert.Throws<JournalConfigException>(() => Parse(hocon)).Message);
    }
}
