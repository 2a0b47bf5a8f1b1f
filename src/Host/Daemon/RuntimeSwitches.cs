using System.Collections;
using System.Runtime.InteropServices;
using System.Text;

namespace FsAudit.Host.Daemon;

/// <summary>
/// The daemon runs the .NET framework's code JIT-compiled instead of its precompiled ReadyToRun images.
/// With tiered compilation off (fsaudit.csproj says why), ReadyToRun code is never replaced, and it is slower code:
/// no inlining across assemblies, generic code over our types through lookups. JIT-compiling it once at first use
/// measured ~11 % less daemon CPU per event and ~10 MB less RSS under <c>fsaudit bench</c> (docs/benchmarks-log.md).
/// The runtime reads the switch (<c>DOTNET_ReadyToRun=0</c>) only from the environment at start-up, not from
/// runtimeconfig.json, so <c>fsaudit run</c> re-executes itself once with it set: same process id, same arguments.
/// Setting the variable yourself (to 1 keeps the precompiled code) skips the re-execution.
/// </summary>
internal static partial class ReadyToRunSwitch
{
    public const string Variable = "DOTNET_ReadyToRun";
    private const string LegacyVariable = "COMPlus_ReadyToRun";

    /// <summary>Whether this process runs the framework's ReadyToRun code (false after the switch).</summary>
    public static bool FrameworkPrecompiled =>
        (Environment.GetEnvironmentVariable(Variable) ?? Environment.GetEnvironmentVariable(LegacyVariable)) is not ("0" or "false");

    /// <summary>
    /// Replaces this process with itself, <c>DOTNET_ReadyToRun=0</c> added, unless the variable is already set.
    /// Returns only when nothing was done, or with the reason when the exec failed (then the daemon runs as it is).
    /// </summary>
    public static string? ReexecWithoutReadyToRun()
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (Environment.GetEnvironmentVariable(Variable) is not null || Environment.GetEnvironmentVariable(LegacyVariable) is not null)
            return null;
        string[] argv;
        try
        {
            argv = SplitCommandLine(File.ReadAllBytes("/proc/self/cmdline"));
        }
        catch (IOException e)
        {
            return $"cannot read /proc/self/cmdline: {e.Message}";
        }
        if (argv.Length == 0) return "empty /proc/self/cmdline";
        var env = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env.Add($"{e.Key}={e.Value}");
        env.Add($"{Variable}=0");
        Console.Out.Flush();
        Console.Error.Flush();
        RemoveDiagnosticSocket();
        execve("/proc/self/exe", [.. argv, null], [.. env, null]);
        return $"execve failed: errno {Marshal.GetLastPInvokeError()}";
    }

    /// <summary>
    /// The runtime's diagnostic socket (dotnet-counters, dotnet-trace, dotnet-gcdump) is named after the process id and
    /// start time, both kept across an exec, and its file is not removed by one: the new runtime then fails to bind its
    /// own and the daemon cannot be diagnosed. Removing ours first lets the new runtime create it again.
    /// </summary>
    private static void RemoveDiagnosticSocket()
    {
        foreach (var path in DiagnosticSockets(Path.GetTempPath(), Environment.ProcessId))
        {
            try { File.Delete(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* then only diagnostics are missing */ }
        }
    }

    /// <summary>The diagnostic socket files of process <paramref name="pid"/> in <paramref name="directory"/>.</summary>
    internal static IEnumerable<string> DiagnosticSockets(string directory, int pid)
    {
        try
        {
            return Directory.GetFiles(directory, $"dotnet-diagnostic-{pid}-*-socket");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The NUL-separated argument vector of <c>/proc/PID/cmdline</c>.</summary>
    internal static string[] SplitCommandLine(ReadOnlySpan<byte> cmdline)
    {
        if (!cmdline.IsEmpty && cmdline[^1] == 0) cmdline = cmdline[..^1];
        if (cmdline.IsEmpty) return [];
        var args = new List<string>();
        foreach (var range in cmdline.Split((byte)0)) args.Add(Encoding.UTF8.GetString(cmdline[range]));
        return [.. args];
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execve(string path, string?[] argv, string?[] envp);
}
