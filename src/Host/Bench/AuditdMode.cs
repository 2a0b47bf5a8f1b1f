using System.Diagnostics;

namespace FsAudit.Host.Bench;

/// <summary>
/// Debian's auditd as the reader: unpacked (<see cref="AuditdInstall"/>), run in the foreground with
/// <c>-n -c CONFDIR</c> and a generated auditd.conf, the same rule installed with our control socket.
/// Not <c>-f</c>: with it auditd 3.0.9 prints events on stdout instead of writing its log, which is the
/// cost being compared. With <paramref name="writeLogs"/> false auditd receives and formats but writes nothing
/// (no plugins are configured), and records are not counted.
/// </summary>
public sealed class AuditdMode(ModeContext context, bool writeLogs) : IBenchModeRun
{
    private readonly List<string> _notes = [];
    private readonly List<string> _output = [];
    private Process? _auditd;
    private bool _ruleAdded;
    private long _logOffset;
    private bool _offsetTaken;
    private string LogFile => Path.Combine(context.WorkDirectory, "auditd", "audit.log");

    public BenchMode Mode => writeLogs ? BenchMode.Auditd : BenchMode.AuditdNoLog;
    public IReadOnlyList<string> Notes => _notes;

    public async Task StartAsync(CancellationToken ct)
    {
        var install = await AuditdInstall.EnsureAsync(context.Options.AuditdCache, context.Log, ct);
        string confDir = Path.Combine(context.WorkDirectory, "auditd-conf");
        string plugins = Path.Combine(confDir, "plugins.d");
        Directory.CreateDirectory(plugins);
        Directory.CreateDirectory(Path.GetDirectoryName(LogFile)!);
        string conf = Path.Combine(confDir, "auditd.conf");
        await File.WriteAllTextAsync(conf, AuditdConfig.Render(LogFile, writeLogs, plugins), ct);
        // auditd refuses a config file that others may write.
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        KernelSteps.ApplyBacklog(context.Kernel, context.Options);
        var psi = new ProcessStartInfo(install.Auditd) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-n", "-c", confDir }) psi.ArgumentList.Add(a);
        psi.Environment["LD_LIBRARY_PATH"] = install.LibraryPath;
        _auditd = new Process { StartInfo = psi };
        _auditd.OutputDataReceived += (_, e) => Keep(e.Data);
        _auditd.ErrorDataReceived += (_, e) => Keep(e.Data);
        _auditd.Start();
        _auditd.BeginOutputReadLine();
        _auditd.BeginErrorReadLine();
        context.Log($"auditd pid {_auditd.Id}{(writeLogs ? $", log {LogFile}" : ", write_logs = no")}");

        await KernelSteps.WaitForRegistrationAsync(context.Kernel, _auditd, TimeSpan.FromSeconds(30), Output, ct);
        context.Kernel.AddRule(context.Rule);
        _ruleAdded = true;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) if (_output.Count < 50) _output.Add(line);
    }

    private string Output()
    {
        lock (_output) return _output.Count == 0 ? "no output" : string.Join(" | ", _output.TakeLast(5));
    }

    public Task<ModeSample> SampleAsync(bool final, CancellationToken ct)
    {
        var pid = _auditd!.Id;
        double? cpu = ProcStat.CpuSeconds(pid);
        long? rss = ProcStat.PeakRssBytes(pid);
        if (!writeLogs)
            return Task.FromResult(new ModeSample(cpu is { } c ? (long)(c * ProcStat.TicksPerSecond) : null, null, null, cpu, rss));

        long length = File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;
        if (!final)
        {
            // The first sample is taken at "go": count from there.
            if (!_offsetTaken) (_logOffset, _offsetTaken) = (length, true);
            return Task.FromResult(new ModeSample(length, 0, 0, cpu, rss));
        }
        var (records, events) = File.Exists(LogFile) ? AuditLogCounter.Count(LogFile, _logOffset) : (0, 0);
        return Task.FromResult(new ModeSample(length, records, events, cpu, rss));
    }

    public async ValueTask DisposeAsync()
    {
        if (_ruleAdded) KernelSteps.DeleteRule(context.Kernel, context.Rule, _notes);
        _ruleAdded = false;
        if (_auditd is { } a)
        {
            if (await KernelSteps.StopAsync(a, TimeSpan.FromSeconds(15)) is { } killed) _notes.Add($"auditd {killed}");
            a.WaitForExit(TimeSpan.FromSeconds(5)); // exited already (StopAsync); bounded in case its output stays open
            if (a.HasExited && a.ExitCode != 0) _notes.Add($"auditd exited with code {a.ExitCode}: {Output()}");
            a.Dispose();
            _auditd = null;
        }
        try { File.Delete(LogFile); } // can be hundreds of MB
        catch (IOException) { }
    }
}
