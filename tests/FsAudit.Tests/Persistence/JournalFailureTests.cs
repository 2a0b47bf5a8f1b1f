using System.Diagnostics;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Persistence;
using Xunit;

namespace FsAudit.Tests.Persistence;

/// <summary>Storage failures: damaged, unwritable and full. Mounts need root (the test VM runs as root).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class JournalFailureTests
{
    [Fact]
    public async Task A_damaged_database_is_a_clear_start_up_error_and_is_left_untouched()
    {
        await using var j = new TempJournal();
        var garbage = new byte[64 * 1024];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(j.DatabasePath, garbage);
        var e = Assert.Throws<JournalStartupException>(() => SqliteJournalFile.Prepare(j.DatabasePath));
        Assert.Contains(j.DatabasePath, e.Message);
        Assert.Contains("not a SQLite database", e.Message);
        Assert.Equal(garbage, File.ReadAllBytes(j.DatabasePath));
    }

    [Fact]
    public async Task A_database_damaged_inside_is_a_clear_error_not_a_new_journal()
    {
        await using var j = new TempJournal();
        var sys = j.StartSystem();
        var w = await JournalWriter.StartAsync(sys, j.Settings);
        for (int i = 0; i < 20; i++) await w.AppendAsync(EventBatchCodec.Encode(SampleEvents.Range(i * 100, 100)), 100);
        await w.DisposeAsync();
        await sys.Terminate();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={j.DatabasePath}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            cmd.ExecuteNonQuery();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        // Overwrite the b-tree pages after the schema page: the header stays valid, the tables do not.
        using (var f = new FileStream(j.DatabasePath, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 4096;
            var junk = new byte[f.Length - 4096];
            new Random(5).NextBytes(junk);
            f.Write(junk);
        }
        var before = File.ReadAllBytes(j.DatabasePath);
        Exception? error = null;
        try
        {
            SqliteJournalFile.Prepare(j.DatabasePath);
            sys = ActorSystem.Create("damaged", JournalBootstrap.Setup(TempJournal.Quiet, j.Settings));
            try { await JournalWriter.StartAsync(sys, j.Settings); }
            finally { await sys.Terminate(); }
        }
        catch (JournalStartupException e) { error = e; }
        Assert.NotNull(error);
        Assert.Contains("journal", error!.Message);
        Assert.Equal(before, File.ReadAllBytes(j.DatabasePath));
    }

    [Fact]
    public async Task An_unwritable_database_is_a_clear_start_up_error()
    {
        await using var j = new TempJournal();
        var sys = j.StartSystem();
        var w = await JournalWriter.StartAsync(sys, j.Settings);
        await w.AppendAsync(EventBatchCodec.Encode(SampleEvents.Range(0, 10)), 10);
        await w.DisposeAsync();
        await sys.Terminate();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        Assert.Contains("is a directory", Assert.Throws<JournalStartupException>(() => SqliteJournalFile.Prepare(j.Directory)).Message);

        // Read-only file system (root ignores file modes, so a read-only bind mount it is).
        Mount($"--bind {j.Directory} {j.Directory}");
        try
        {
            Mount($"-o remount,ro,bind {j.Directory}");
            var e = Assert.Throws<JournalStartupException>(() => SqliteJournalFile.Prepare(j.DatabasePath));
            Assert.Contains("read-only", e.Message);
        }
        finally { Mount(j.Directory, umount: true); }
    }

    [Fact]
    public async Task A_full_disk_holds_the_pipeline_back_and_it_resumes_when_space_returns()
    {
        var dir = Directory.CreateTempSubdirectory("fsaudit-full-").FullName;
        Mount($"-t tmpfs -o size=2m tmpfs {dir}");
        try
        {
            await using var j = new TempJournal(new JournalSettings { RetryMinBackoff = TimeSpan.FromMilliseconds(50), RetryMaxBackoff = TimeSpan.FromMilliseconds(200) }, dir);
            var sys = j.StartSystem();
            var writer = await JournalWriter.StartAsync(sys, j.Settings);
            var failures = new List<JournalWriteFailure>();
            writer.WriteFailed += f => { lock (failures) failures.Add(f); };
            long recovered = 0;
            writer.WriteRecovered += n => Interlocked.Exchange(ref recovered, n);
            var delivered = new List<JournaledBatch>();
            var sink = JournalSink.Create(writer, j.Settings, JournalSink.ForEachAsync(b => { lock (delivered) delivered.Add(b); return Task.CompletedTask; }));

            // ~25 MB of events into 2 MB: the writer must stop, report, and keep everything.
            var (queue, done) = Source.Queue<IReadOnlyList<FsAudit.Engine.Events.AuditEvent>>(4, OverflowStrategy.Backpressure)
                .ToMaterialized(sink.Sink, Keep.Both).Run(sys.Materializer());
            var producing = Task.Run(async () =>
            {
                for (int b = 0; b < 200; b++) await queue.OfferAsync(SampleEvents.Range(b * 200, 200));
                queue.Complete();
            });
            await JournalEnv.WaitFor(() => { lock (failures) return failures.Count >= 3; }, "the full disk was never reported", 30);
            Assert.True(writer.Counters.Retrying);
            Assert.Contains(failures, f => f.Error.Message.Contains("full", StringComparison.OrdinalIgnoreCase));
            long stuckAt;
            lock (delivered) stuckAt = delivered.Sum(b => b.Events.Count);
            Assert.True(stuckAt < 40_000, "everything fit: the disk was not full");
            Assert.False(producing.IsCompleted, "the producer should be held back");

            Mount($"-o remount,size=64m {dir}");
            await done.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(Interlocked.Read(ref recovered) > 0);
            Assert.False(writer.Counters.Retrying);
            var offsets = delivered.SelectMany(b => b.Events.Select((_, k) => b.FirstOffset + k)).ToList();
            Assert.Equal(Enumerable.Range(1, 40_000).Select(i => (long)i), offsets);

            var reader = new JournalReader(sys);
            var items = await reader.Read(1, long.MaxValue, await reader.BoundsAsync()).RunWith(Sink.Seq<ReadItem>(), sys.Materializer());
            Assert.Equal(offsets, items.Select(i => i.Event!.Offset));
            await writer.DisposeAsync();
            await sys.Terminate();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Mount(dir, umount: true);
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static void Mount(string args, bool umount = false)
    {
        using var p = Process.Start(new ProcessStartInfo(umount ? "umount" : "mount", umount ? $"-l {args}" : args)
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{(umount ? "umount" : "mount")} {args}: {p.StandardError.ReadToEnd()}");
    }
}
