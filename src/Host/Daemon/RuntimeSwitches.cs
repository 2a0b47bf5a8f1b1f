using System.Collections;
using System.Runtime.InteropServices;
using System.Text;

namespace FsAudit.Host.Daemon;

/// <summary>
/// Runtime settings the daemon wants that the .NET runtime reads only from the environment at start-up (not from
/// runtimeconfig.json): <c>fsaudit run</c> re-executes itself once with the missing ones set — same process id, same
/// arguments. A variable you set yourself (under its DOTNET_ or COMPlus_ name) wins; when all are set nothing is
/// re-executed.
/// <list type="bullet">
/// <item><c>DOTNET_ReadyToRun=0</c>: the framework's code is JIT-compiled instead of running its precompiled ReadyToRun
/// images. With tiered compilation off (fsaudit.csproj says why) ReadyToRun code is never replaced, and it is slower:
/// no inlining across assemblies, generic code over our types through lookups. Measured ~11 % less daemon CPU per
/// event and ~10 MB less RSS under <c>fsaudit bench</c> (docs/benchmarks-log.md).</item>
/// <item><c>DOTNET_GCgen0size=0x1000000</c> (16 MiB): the GC sizes its allocation budget between collections from the
/// largest CPU cache it is told of, and virtual machines report odd ones (a 300 MiB L3 on the 2-core VMs here, which
/// made an 80 MiB gen0 budget and a daemon peak RSS of 212-251 MiB under the 2-writer bench, against a median of 179
/// with 16 MiB; docs/benchmarks-log.md). A server's real 20-32 MB L3 gives the GC about 10-16 MiB.</item>
/// </list>
/// </summary>
internal static partial class RuntimeSwitches
{
    /// <summary>One environment-only runtime setting: the value the daemon runs with unless the variable is set.</summary>
    internal sealed record Switch(string Name, string Value)
    {
        public string Variable => "DOTNET_" + Name;
        public string LegacyVariable => "COMPlus_" + Name;

        /// <summary>The value in effect: the variable's (either name), or null when unset.</summary>
        public string? Current(Func<string, string?> getenv) => getenv(Variable) ?? getenv(LegacyVariable);
    }

    public static readonly Switch ReadyToRun = new("ReadyToRun", "0");
    public static readonly Switch Gen0Size = new("GCgen0size", "0x1000000");
    public static readonly IReadOnlyList<Switch> All = [ReadyToRun, Gen0Size];

    /// <summary>Whether this process runs the framework's ReadyToRun code (false after the switch).</summary>
    public static bool FrameworkPrecompiled => ReadyToRun.Current(Environment.GetEnvironmentVariable) is not ("0" or "false");

    /// <summary>
    /// The largest gen0 budget the GC computed (bytes; <c>GCGen0MaxBudget</c> of its configuration): 16 MiB with the
    /// switch, 80 MiB without it on the VMs here. 0 when the runtime does not say.
    /// </summary>
    public static long Gen0MaxBudget() =>
        GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var v) ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>The <c>NAME=VALUE</c> entries to add: the switches whose variable is set under neither name.</summary>
    internal static List<string> Missing(Func<string, string?> getenv) =>
        [.. All.Where(s => s.Current(getenv) is null).Select(s => $"{s.Variable}={s.Value}")];

    /// <summary>
    /// Replaces this process with itself, the missing switches added to its environment, unless none is missing.
    /// Returns only when nothing was done, or, when the exec failed (then the daemon runs as it is), which switches
    /// are missing and why.
    /// </summary>
    public static string? ReexecWithSwitches()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var missing = Missing(Environment.GetEnvironmentVariable);
        if (missing.Count == 0) return null;
        string Failed(string why) => $"running without {string.Join(", ", missing)} ({why})";
        string[] argv;
        try
        {
            argv = SplitCommandLine(File.ReadAllBytes("/proc/self/cmdline"));
        }
        catch (IOException e)
        {
            return Failed($"cannot read /proc/self/cmdline: {e.Message}");
        }
        if (argv.Length == 0) return Failed("empty /proc/self/cmdline");
        var env = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env.Add($"{e.Key}={e.Value}");
        env.AddRange(missing);
        Console.Out.Flush();
        Console.Error.Flush();
        RemoveDiagnosticSocket();
        execve("/proc/self/exe", [.. argv, null], [.. env, null]);
        return Failed($"execve failed: errno {Marshal.GetLastPInvokeError()}");
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
