using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using FsAudit.EngineAB;

// EngineAB: the engine's per-event path (parse, correlate, build, JSON line) of two builds of FsAudit.Engine, in ONE
// process, interleaved pass by pass, so both see the same minutes of a noisy machine (on the 2-core VM the same build
// measured 4.3 and 7 µs per event in separate PipelineBench runs; in one process the ratio is stable to a few %).
//   dotnet run -c Release --project bench/EngineAB -- [--base REF | --base-dll PATH] [--pairs N] [--copies N]
// By default the working tree's engine (this project's reference) is compared with HEAD's, built in a temporary git
// worktree. Prints µs per event for each and the B/A ratio per pair (B = working tree): its median and quartiles.
// Runs with the daemon's JIT settings: tiered compilation off (csproj) and the framework JIT-compiled (DOTNET_ReadyToRun=0).

if (Environment.GetEnvironmentVariable("DOTNET_ReadyToRun") != "0")
{
    var self = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    if (!Environment.ProcessPath!.EndsWith("EngineAB", StringComparison.Ordinal)) self.ArgumentList.Add(typeof(EnginePass).Assembly.Location);
    foreach (var a in args) self.ArgumentList.Add(a);
    self.Environment["DOTNET_ReadyToRun"] = "0";
    self.Environment["DOTNET_GCgen0size"] = Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "0x1000000"; // as `fsaudit run`
    using var child = Process.Start(self)!;
    child.WaitForExit();
    return child.ExitCode;
}

string baseRef = "HEAD";
string? baseDll = null;
int pairs = 30, copies = 300;
for (int i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--base": baseRef = args[++i]; break;
        case "--base-dll": baseDll = args[++i]; break;
        case "--pairs": pairs = int.Parse(args[++i]); break;
        case "--copies": copies = int.Parse(args[++i]); break;
    }
}
string root = RepoRoot();
string fixture = Path.Combine(root, "tests/FsAudit.Tests/fixtures/kernel-ops.netlink");
string newDll = typeof(FsAudit.Engine.Records.AuditRecord).Assembly.Location;
string? worktree = null;
try
{
    if (baseDll == null)
    {
        worktree = Path.Combine(Path.GetTempPath(), $"fsaudit-engineab-{Environment.ProcessId}");
        Run("git", root, "worktree", "add", "--detach", worktree, baseRef);
        Run("dotnet", worktree, "build", "-c", "Release", "src/Engine", "--artifacts-path", Path.Combine(worktree, "art"));
        baseDll = Directory.GetFiles(Path.Combine(worktree, "art"), "FsAudit.Engine.dll", SearchOption.AllDirectories).First(p => p.Contains("/bin/"));
    }
    var a = Load("A", baseDll, fixture, copies);
    var b = Load("B", newDll, fixture, copies);
    for (int i = 0; i < 3; i++) { a(); b(); }
    var ta = new List<double>(); var tb = new List<double>(); var ratios = new List<double>();
    for (int i = 0; i < pairs; i++)
    {
        double x, y;
        if (i % 2 == 0) { x = a(); y = b(); } else { y = b(); x = a(); }
        ta.Add(x); tb.Add(y); ratios.Add(y / x);
    }
    double events = EnginePass.EventsPerPass;
    Console.WriteLine($"A {baseRef}{(worktree == null ? $" ({baseDll})" : "")}: median {Quantile(ta, 0.5) * 1e3 / events:F3} µs/event");
    Console.WriteLine($"B working tree: median {Quantile(tb, 0.5) * 1e3 / events:F3} µs/event");
    Console.WriteLine($"B/A over {pairs} interleaved pairs: median {Quantile(ratios, 0.5):F3} (quartiles {Quantile(ratios, 0.25):F3}-{Quantile(ratios, 0.75):F3})");
    return 0;
}
finally
{
    if (worktree != null) Run("git", root, "worktree", "remove", "--force", worktree);
}

static Func<double> Load(string name, string engineDll, string fixture, int copies)
{
    // This assembly again, in a context of its own that resolves FsAudit.Engine to the given build.
    var context = new EngineContext(name, engineDll);
    var pass = context.LoadFromAssemblyPath(typeof(EnginePass).Assembly.Location).GetType(typeof(EnginePass).FullName!)!;
    pass.GetMethod(nameof(EnginePass.Load))!.Invoke(null, [fixture, copies]);
    EnginePass.EventsPerPass = (long)pass.GetProperty(nameof(EnginePass.EventsPerPass))!.GetValue(null)!;
    return pass.GetMethod(nameof(EnginePass.Run))!.CreateDelegate<Func<double>>();
}

static double Quantile(List<double> values, double q)
{
    var s = values.Order().ToList();
    return s[(int)Math.Round(q * (s.Count - 1))];
}

static void Run(string file, string dir, params string[] arguments)
{
    var p = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in arguments) p.ArgumentList.Add(a);
    using var proc = Process.Start(p)!;
    string output = proc.StandardOutput.ReadToEnd() + proc.StandardError.ReadToEnd();
    proc.WaitForExit();
    if (proc.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed:\n{output}");
}

static string RepoRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "FsAuditActors.sln"))) return d.FullName;
    for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "FsAuditActors.sln"))) return d.FullName;
    throw new DirectoryNotFoundException("FsAuditActors.sln not found above this program or the current directory");
}

internal sealed class EngineContext(string name, string engineDll) : AssemblyLoadContext(name)
{
    protected override Assembly? Load(AssemblyName assembly) =>
        assembly.Name == "FsAudit.Engine" ? LoadFromAssemblyPath(engineDll) : null;
}
