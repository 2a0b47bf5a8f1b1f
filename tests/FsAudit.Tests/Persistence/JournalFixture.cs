using Akka.Actor;
using Akka.Configuration;
using FsAudit.Actors.Persistence;
using FsAudit.Engine.Events;
using FsAudit.Engine.Records;

namespace FsAudit.Tests.Persistence;

/// <summary>Realistic syscall events (SYSCALL, CWD, PATH x2, PROCTITLE) built by the engine from record text.</summary>
public static class SampleEvents
{
    public const long BaseMs = 1_764_000_000_000;

    public static AuditEvent Make(long i, long? timeMs = null, string dir = "/srv/data")
    {
        long ms = timeMs ?? BaseMs + i;
        uint serial = (uint)(1000 + i);
        string stamp = $"audit({ms / 1000}.{ms % 1000:D3}:{serial}): ";
        string[] fields =
        [
            $"arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6 items=2 ppid=1 pid={4000 + i % 100} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"touch\" exe=\"/usr/bin/touch\" subj=unconfined key=\"data\"",
            $"cwd=\"{dir}\"",
            $"item=0 name=\"{dir}\" inode=42 dev=08:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            $"item=1 name=\"file-{i}.txt\" inode={100 + i} dev=08:01 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "proctitle=746F756368002F7372762F646174612F66696C65",
        ];
        ushort[] types = [1300, 1307, 1302, 1302, 1327];
        var records = new AuditRecord[types.Length];
        for (int k = 0; k < types.Length; k++)
            records[k] = new AuditRecord(types[k], ms, serial, stamp + fields[k], stamp.Length);
        return EventBuilder.Build(records, incomplete: i % 97 == 0);
    }

    public static List<AuditEvent> Range(long from, int count) =>
        Enumerable.Range(0, count).Select(k => Make(from + k)).ToList();
}

/// <summary>A fresh SQLite journal in a temp directory and an actor system hosting it.</summary>
public sealed class TempJournal : IAsyncDisposable
{
    public TempJournal(JournalSettings? settings = null, string? dir = null)
    {
        Directory = dir ?? Path.Combine(Path.GetTempPath(), "fsaudit-journal-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        Settings = (settings ?? new JournalSettings()) with { DatabasePath = Path.Combine(Directory, "journal.db") };
    }

    public string Directory { get; }
    public JournalSettings Settings { get; private set; }
    public string DatabasePath => Settings.DatabasePath;

    public void Reconfigure(Func<JournalSettings, JournalSettings> change) => Settings = change(Settings);

    public static readonly Config Quiet = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");

    /// <summary>An actor system with the journal configured (the file prepared as the daemon does it).</summary>
    public ActorSystem StartSystem(bool readOnly = false, string name = "journal-test")
    {
        if (!readOnly) SqliteJournalFile.Prepare(DatabasePath);
        return ActorSystem.Create(name, JournalBootstrap.Setup(Quiet, Settings, readOnly));
    }

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
