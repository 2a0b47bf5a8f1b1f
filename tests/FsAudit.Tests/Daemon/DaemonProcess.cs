using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace FsAudit.Tests.Daemon;

/// <summary>
/// The real <c>fsaudit</c> executable as a child process, with a temp state directory, socket and
/// config; stdout lines and stderr are collected. Dispose kills it if it is still running.
/// </summary>
public sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly StringBuilder _stderr = new();

    private DaemonProcess(Process process, string directory)
    {
        _process = process;
        Directory = directory;
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) _lines.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Directory { get; }
    public string SocketPath => Path.Combine(Directory, "fsaudit.sock");
    public int Pid => _process.Id;

    /// <summary>The running process's environment as /proc shows it now (after any re-execution).</summary>
    public IReadOnlyList<string> CurrentEnvironment() =>
        File.ReadAllText($"/proc/{Pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Runs the fsaudit executable with <paramref name="args"/> (a config in <paramref name="directory"/> is the caller's).</summary>
    public static DaemonProcess Start(string directory, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "fsaudit.dll");
        var info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        // `run` re-executes itself unless these are set (RuntimeSwitches): the tests see the shipped behaviour.
        foreach (var s in FsAudit.Host.Daemon.RuntimeSwitches.All)
        {
            info.Environment.Remove(s.Variable);
            info.Environment.Remove(s.LegacyVariable);
        }
        return new DaemonProcess(Process.Start(info)!, directory);
    }

    /// <summary>A config for a test: state and socket under <paramref name="directory"/>, plus <paramref name="extra"/> HOCON.</summary>
    public static string WriteConfig(string directory, string extra = "")
    {
        string path = Path.Combine(directory, "fsaudit.conf");
        File.WriteAllText(path, $$"""
            fsaudit {
              state-directory = "{{Path.Combine(directory, "state")}}"
              socket-path = "{{Path.Combine(directory, "fsaudit.sock")}}"
              stats-interval = 0
            }
            {{extra}}
            """);
        return path;
    }

    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h
        : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>Waits until stderr shows <paramref name="text"/> or the process exits.</summary>
    public bool WaitForStderr(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Stderr.Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited) return Stderr.Contains(text, StringComparison.Ordinal);
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>Collects stdout lines until <paramref name="done"/> holds or the timeout passes.</summary>
    public List<string> ReadLinesUntil(Func<List<string>, bool> done, TimeSpan timeout)
    {
        var lines = new List<string>();
        var sw = Stopwatch.StartNew();
        while (!done(lines) && sw.Elapsed < timeout)
            if (_lines.TryTake(out var line, 100)) lines.Add(line);
        return lines;
    }

    public List<string> DrainLines()
    {
        var lines = new List<string>();
        while (_lines.TryTake(out var line)) lines.Add(line);
        return lines;
    }

    public void Signal(int signal) => Tmds.Linux.LibC.kill(_process.Id, signal);

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // flushes the async stdout/stderr readers
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        }
        _process.Dispose();
    }
}
