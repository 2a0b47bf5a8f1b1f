using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FsAudit.Engine.Kernel;
using FsAudit.Engine.Netlink;
using FsAudit.Tests.Kernel;

namespace FsAudit.Tools.FixtureCapture;

/// <summary>One performed operation and what the kernel answered.</summary>
internal sealed record Operation(string Label, string Syscall, string[] Paths, string? Cwd, int Process, int Pid, long Result)
{
    /// <summary>Serial of the audit event this operation produced, or null when the rule did not record it.</summary>
    public uint? Serial { get; set; }

    public bool Success => Result >= 0;
    public string? ErrnoName => Result < 0 ? Errno.Name(-Result) : null;
}

internal sealed record Record(ushort Type, string Text);

internal static class Capture
{
    private const string Key = "fsaudit-fixture";

    public static string DefaultOutputDirectory()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FsAuditActors.sln")))
                return Path.Combine(dir.FullName, "tests", "FsAudit.Tests", "fixtures");
        throw new InvalidOperationException("Run inside the repository or pass the output directory.");
    }

    public static int Run(string outputDirectory, TextWriter log)
    {
        if ((uint)Tmds.Linux.LibC.geteuid() != 0) throw new InvalidOperationException("Needs root (CAP_AUDIT_CONTROL).");
        if (!SyscallChild.IsAvailable) throw new InvalidOperationException($"{SyscallChild.PerlPath} is needed to perform the operations.");
        Directory.CreateDirectory(outputDirectory);

        var root = Directory.CreateTempSubdirectory("fsaudit-fixture-").FullName;
        using var control = new AuditControl();
        var status = control.GetStatus();
        var rulesBefore = control.ListRules();
        if (status.Pid != 0) throw new InvalidOperationException($"An audit daemon (pid {status.Pid}) is registered; stop it first.");
        var rule = AuditRule.Parse($"-a always,exit -F dir={root} -F perm=wa -k {Key}");

        var records = new List<Record>();
        var operations = new List<Operation>();
        try
        {
            using var daemon = new AuditDaemonConnection();
            control.SetEnabled(1);
            control.AddRule(rule);
            daemon.Register();
            using var receiver = new Receiver(daemon, records);

            Perform(root, operations, receiver);

            receiver.WaitIdle(500);
            receiver.Stop(); // the ack of the unregistration must not be taken by the receiver thread
            daemon.Unregister();
            receiver.DrainRemaining(300);
            log.WriteLine($"{operations.Count} operations, {records.Count} records, {daemon.Socket.ReceiveOverruns} overruns");
            if (daemon.Socket.ReceiveOverruns > 0 || daemon.DroppedWhileWaiting > 0)
                throw new InvalidOperationException("Records were lost while capturing; run again.");
        }
        finally
        {
            Restore(control, status, rulesBefore, log);
            Directory.Delete(root, recursive: true);
        }

        AssignSerials(operations, records);
        Write(outputDirectory, root, operations, records);
        log.WriteLine($"wrote kernel-ops.netlink, kernel-ops.log, kernel-ops.manifest.json to {outputDirectory}");
        return 0;
    }

    private static void Perform(string d, List<Operation> ops, Receiver receiver)
    {
        using var c = SyscallChild.Start(d);
        long Op(string label, string syscall, string?[] paths, params object[] args) => Do(c, 0, null, label, syscall, paths, args);
        long Do(SyscallChild child, int process, string? cwd, string label, string syscall, string?[] paths, object[] args)
        {
            long result = child.Call(syscall, args);
            lock (ops) ops.Add(new Operation(label, syscall, paths.Where(p => p is not null).Select(p => p!).ToArray(), cwd, process, child.Pid, result));
            if (process == 0) receiver.WaitIdle(150); // keep single operations apart so each event is complete before the next
            return result;
        }
        void Close(long fd) => c.Call("close", fd); // close is not audited by the rule; not an operation of the manifest

        Close(Op("creat", "creat", [$"{d}/a.txt"], $"{d}/a.txt", 0x1a4));
        Close(Op("open O_WRONLY|O_CREAT (new file)", "openat", [$"{d}/b.txt"],
            SyscallChild.AtFdCwd, $"{d}/b.txt", SyscallChild.OWronly | SyscallChild.OCreat, 0x1a4));
        Close(Op("open O_WRONLY (existing file)", "openat", [$"{d}/a.txt"], SyscallChild.AtFdCwd, $"{d}/a.txt", SyscallChild.OWronly, 0));
        Op("mkdir", "mkdir", [$"{d}/dir1"], $"{d}/dir1", 0x1ed);
        Op("rmdir", "rmdir", [$"{d}/dir1"], $"{d}/dir1");
        Op("mkdir", "mkdir", [$"{d}/dir2"], $"{d}/dir2", 0x1ed);
        Op("unlinkat AT_REMOVEDIR", "unlinkat", [$"{d}/dir2"], SyscallChild.AtFdCwd, $"{d}/dir2", SyscallChild.AtRemoveDir);
        Op("rename", "rename", [$"{d}/a.txt", $"{d}/c.txt"], $"{d}/a.txt", $"{d}/c.txt");
        Op("renameat2 RENAME_NOREPLACE", "renameat2", [$"{d}/b.txt", $"{d}/d.txt"],
            SyscallChild.AtFdCwd, $"{d}/b.txt", SyscallChild.AtFdCwd, $"{d}/d.txt", SyscallChild.RenameNoReplace);
        Op("link", "link", [$"{d}/c.txt", $"{d}/e.txt"], $"{d}/c.txt", $"{d}/e.txt");
        Op("symlink", "symlink", [$"{d}/f.lnk"], "c.txt", $"{d}/f.lnk");
        Op("chmod", "chmod", [$"{d}/c.txt"], $"{d}/c.txt", 0x180);
        Op("fchmodat", "fchmodat", [$"{d}/d.txt"], SyscallChild.AtFdCwd, $"{d}/d.txt", 0x1a0, 0);
        Op("chown", "chown", [$"{d}/c.txt"], $"{d}/c.txt", 0, 0);
        Op("setxattr user.x", "setxattr", [$"{d}/c.txt"], $"{d}/c.txt", "user.x", "v", 1, 0);
        Op("truncate", "truncate", [$"{d}/c.txt"], $"{d}/c.txt", 0);
        Op("utimensat (times NULL)", "utimensat", [$"{d}/c.txt"], SyscallChild.AtFdCwd, $"{d}/c.txt", 0, 0);
        Op("mknod FIFO", "mknod", [$"{d}/fifo"], $"{d}/fifo", SyscallChild.SIfIfo | 0x1a4, 0);
        Op("unlink", "unlink", [$"{d}/e.txt"], $"{d}/e.txt");
        Op("unlinkat", "unlinkat", [$"{d}/d.txt"], SyscallChild.AtFdCwd, $"{d}/d.txt", 0);
        Op("unlink missing file (fails)", "unlink", [$"{d}/missing.txt"], $"{d}/missing.txt");
        Close(Op("open for write in missing dir (fails)", "openat", [$"{d}/nodir/x.txt"],
            SyscallChild.AtFdCwd, $"{d}/nodir/x.txt", SyscallChild.OWronly | SyscallChild.OCreat, 0x1a4));

        foreach (var (label, name) in new[]
                 {
                     ("creat name with space", "with space.txt"),
                     ("creat name with double quote", "quote\"q.txt"),
                     ("creat name with newline", "new\nline.txt"),
                     ("creat UTF-8 name", "é日本.txt"),
                     ("creat 250-char name", new string('n', 246) + ".txt"),
                 })
            Close(Op(label, "creat", [$"{d}/{name}"], $"{d}/{name}", 0x1a4));

        Op("mkdir", "mkdir", [$"{d}/sub"], $"{d}/sub", 0x1ed);
        string sub = $"{d}/sub";
        c.Call("chdir", sub); // not audited by the rule (no write/attr permission)
        long Rel(string label, string syscall, string?[] paths, params object[] args) => Do(c, 0, sub, label, syscall, paths, args);
        Close(Rel("creat relative", "creat", [$"{sub}/rel.txt"], "rel.txt", 0x1a4));
        Rel("rename relative to parent", "rename", [$"{sub}/rel.txt", $"{d}/rel-moved.txt"], "rel.txt", "../rel-moved.txt");
        Rel("mkdir relative", "mkdir", [$"{sub}/reldir"], "reldir", 0x1ed);
        Rel("rmdir relative", "rmdir", [$"{sub}/reldir"], "reldir");
        Rel("unlink relative in parent", "unlink", [$"{d}/rel-moved.txt"], "../rel-moved.txt");

        // Burst: two processes released together, each creating and removing its own files, so serials interleave.
        using var p1 = SyscallChild.Start(d);
        using var p2 = SyscallChild.Start(d);
        var barrier = new Barrier(2);
        void Burst(SyscallChild child, int process)
        {
            barrier.SignalAndWait();
            for (int i = 0; i < 25; i++)
            {
                string path = $"{d}/burst-{process}-{i}.txt";
                long fd = Do(child, process, null, "burst creat", "creat", [path], [path, 0x1a4]);
                if (fd >= 0) child.Call("close", fd);
                Do(child, process, null, "burst unlink", "unlink", [path], [path]);
            }
        }
        var t1 = new Thread(() => Burst(p1, 1));
        var t2 = new Thread(() => Burst(p2, 2));
        t1.Start();
        t2.Start();
        t1.Join();
        t2.Join();
    }

    /// <summary>
    /// Matches operations to events: per process, events come in the order the operations ran, and an operation
    /// the rule does not record (utimensat, a path under a missing directory) simply has none.
    /// </summary>
    private static void AssignSerials(List<Operation> operations, List<Record> records)
    {
        var events = new Dictionary<string, Queue<(uint Serial, string Syscall)>>();
        foreach (var r in records.Where(r => r.Type == 1300))
        {
            var serial = SerialOf(r.Text);
            string? pid = FieldOf(r.Text, "pid"), syscall = FieldOf(r.Text, "syscall");
            if (serial is null || pid is null || syscall is null) continue;
            if (!events.TryGetValue(pid, out var queue)) events[pid] = queue = new();
            queue.Enqueue((serial.Value, syscall));
        }
        foreach (var op in operations)
        {
            string number = X86_64Syscalls.TryGetNumber(op.Syscall, out int n) ? n.ToString(CultureInfo.InvariantCulture) : "";
            if (events.TryGetValue(op.Pid.ToString(CultureInfo.InvariantCulture), out var queue) &&
                queue.TryPeek(out var next) && next.Syscall == number)
                op.Serial = queue.Dequeue().Serial;
        }
        var unmatched = events.Where(e => e.Value.Count > 0 && operations.Any(o => o.Pid.ToString(CultureInfo.InvariantCulture) == e.Key)).ToList();
        if (unmatched.Count > 0)
            throw new InvalidOperationException($"Events of the operation processes matched no operation: {string.Join(", ", unmatched.SelectMany(u => u.Value).Select(v => v.Serial))}");
    }

    private static uint? SerialOf(string text)
    {
        int colon = text.IndexOf(':'), close = text.IndexOf("):", StringComparison.Ordinal);
        return colon > 0 && close > colon && uint.TryParse(text.AsSpan(colon + 1, close - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint s) ? s : null;
    }

    private static string? FieldOf(string text, string key)
    {
        int i = text.IndexOf(" " + key + "=", StringComparison.Ordinal);
        if (i < 0) return null;
        int start = i + key.Length + 2, end = text.IndexOf(' ', start);
        return end < 0 ? text[start..] : text[start..end];
    }

    private static void Restore(AuditControl control, AuditStatus status, IReadOnlyList<AuditRule> rulesBefore, TextWriter log)
    {
        void Try(string what, Action action)
        {
            try { action(); }
            catch (Exception e) { log.WriteLine($"restore {what} failed: {e.Message}"); }
        }
        var now = control.GetStatus();
        if (now.Pid == (uint)Environment.ProcessId) Try("pid", () => control.SetPid(0));
        Try("rules", () =>
        {
            foreach (var rule in control.ListRules())
                if (!rulesBefore.Contains(rule)) control.DeleteRule(rule);
        });
        if (now.Enabled != status.Enabled) Try("enabled", () => control.SetEnabled(status.Enabled));
    }

    private static void Write(string outputDirectory, string root, List<Operation> operations, List<Record> records)
    {
        var utf8 = new UTF8Encoding(false);
        var netlink = new StringBuilder();
        var auditdLog = new StringBuilder();
        foreach (var r in records)
        {
            netlink.Append(r.Type.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(r.Text).Append('\n');
            if (r.Type == 1320) continue; // auditd never writes EOE
            auditdLog.Append("type=").Append(RecordTypeNames.Name(r.Type)).Append(" msg=").Append(r.Text).Append('\n');
        }
        File.WriteAllText(Path.Combine(outputDirectory, "kernel-ops.netlink"), netlink.ToString(), utf8);
        File.WriteAllText(Path.Combine(outputDirectory, "kernel-ops.log"), auditdLog.ToString(), utf8);

        using var stream = File.Create(Path.Combine(outputDirectory, "kernel-ops.manifest.json"));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("root", root);
        json.WriteString("rule", $"-a always,exit -F dir={root} -F perm=wa -k {Key}");
        json.WriteString("note", "Operations in the order performed (burst operations of processes 1 and 2 ran concurrently). " +
            "Each was one raw x86_64 syscall by a perl child process (process 0, 1, 2: the kernel never audits the daemon's own " +
            "process); paths are absolute; cwd is set for relative calls; serial is the audit event the operation produced, " +
            "null when the rule records none (utimensat has no write/attr permission class; a path under a missing directory never reaches the watched tree). " +
            "AUDIT_REPLACE (1329) probes the kernel sent to the daemon socket are left out: binary payload, not records.");
        json.WriteStartArray("operations");
        foreach (var op in operations)
        {
            json.WriteStartObject();
            json.WriteString("op", op.Label);
            json.WriteString("syscall", op.Syscall);
            json.WriteNumber("syscallNumber", X86_64Syscalls.TryGetNumber(op.Syscall, out int n) ? n : -1);
            json.WriteStartArray("paths");
            foreach (var p in op.Paths) json.WriteStringValue(p);
            json.WriteEndArray();
            if (op.Cwd is not null) json.WriteString("cwd", op.Cwd);
            json.WriteNumber("process", op.Process);
            json.WriteBoolean("success", op.Success);
            if (op.ErrnoName is { } errno) json.WriteString("errno", errno);
            if (op.Serial is { } serial) json.WriteNumber("serial", serial);
            else json.WriteNull("serial");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}

/// <summary>Drains the daemon socket continuously on its own thread (a daemon must never stall the kernel).</summary>
internal sealed class Receiver : IDisposable
{
    private readonly AuditDaemonConnection _daemon;
    private readonly List<Record> _records;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _lastRecordTicks = Environment.TickCount64;

    public Receiver(AuditDaemonConnection daemon, List<Record> records)
    {
        _daemon = daemon;
        _records = records;
        _thread = new Thread(Loop) { IsBackground = true, Name = "audit-receiver" };
        _thread.Start();
    }

    private void Loop()
    {
        var buffer = new byte[1 << 20];
        while (!_stop)
        {
            int n = _daemon.Receive(buffer, 50);
            var reader = new NetlinkMessageReader(buffer.AsSpan(0, n));
            while (reader.MoveNext())
            {
                var m = reader.Current;
                if (!m.IsRecord || m.Type == AuditMessageType.Replace) continue;
                lock (_records) _records.Add(new Record(m.Type, Encoding.UTF8.GetString(m.Text)));
                Interlocked.Exchange(ref _lastRecordTicks, Environment.TickCount64);
            }
            if (reader.Malformed) throw new InvalidDataException($"Malformed netlink data ({reader.MalformedBytes} bytes).");
        }
    }

    /// <summary>After <see cref="Stop"/>: receives what is still queued (records kept during unregistration first).</summary>
    public void DrainRemaining(int quietMs)
    {
        var buffer = new byte[1 << 20];
        int n;
        while ((n = _daemon.Receive(buffer, quietMs)) > 0)
        {
            var reader = new NetlinkMessageReader(buffer.AsSpan(0, n));
            while (reader.MoveNext())
                if (reader.Current.IsRecord && reader.Current.Type != AuditMessageType.Replace) _records.Add(new Record(reader.Current.Type, Encoding.UTF8.GetString(reader.Current.Text)));
        }
    }

    /// <summary>Waits until no record arrived for <paramref name="quietMs"/>.</summary>
    public void WaitIdle(int quietMs)
    {
        Thread.Sleep(quietMs / 3);
        while (Environment.TickCount64 - Interlocked.Read(ref _lastRecordTicks) < quietMs) Thread.Sleep(10);
    }

    public void Stop()
    {
        _stop = true;
        _thread.Join();
    }

    public void Dispose()
    {
        if (!_stop) Stop();
    }
}
