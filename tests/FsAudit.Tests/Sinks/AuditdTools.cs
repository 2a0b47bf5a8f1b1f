using System.Diagnostics;
using System.Text;

namespace FsAudit.Tests.Sinks;

/// <summary>
/// Debian's ausearch, run from the packages unpacked into a cache directory (never installed: no auditd
/// daemon is started). Fetched on first use with <c>apt-get download auditd libauparse0 libaudit1</c> and
/// <c>dpkg-deb -x</c>; later runs reuse the cache. Failing to get it fails the test (no silent skip).
/// </summary>
public static class AuditdTools
{
    /// <summary>Override with FSAUDIT_AUDITD_CACHE.</summary>
    public static readonly string CacheDirectory =
        Environment.GetEnvironmentVariable("FSAUDIT_AUDITD_CACHE") is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), "fsaudit-auditd-tools");

    private static readonly string[] Packages = ["auditd", "libauparse0", "libaudit1"];
    private static readonly Lazy<string> Root = new(Fetch, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Ausearch => Path.Combine(Root.Value, "sbin", "ausearch");

    /// <summary>Runs ausearch with <paramref name="args"/>; returns (exit code, stdout, stderr).</summary>
    public static (int Exit, string Stdout, string Stderr) RunAusearch(params string[] args)
    {
        string root = Root.Value;
        var info = new ProcessStartInfo(Path.Combine(root, "sbin", "ausearch"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["LD_LIBRARY_PATH"] = LibraryPath(root);
        info.Environment["TZ"] = "UTC";
        info.Environment["LC_ALL"] = "C";
        return Run(info, TimeSpan.FromSeconds(60));
    }

    private static string LibraryPath(string root) =>
        string.Join(':', new[] { "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu" }.Select(p => Path.Combine(root, p)));

    private static string Fetch()
    {
        string root = Path.Combine(CacheDirectory, "root");
        if (File.Exists(Path.Combine(root, "sbin", "ausearch"))) return root;
        Directory.CreateDirectory(CacheDirectory);
        // Test processes running in parallel (other test runs) take turns unpacking.
        using var lockFile = AcquireLock(Path.Combine(CacheDirectory, ".lock"));
        if (File.Exists(Path.Combine(root, "sbin", "ausearch"))) return root;

        var download = Apt("apt-get", ["download", .. Packages]);
        if (download.Exit != 0)
        {
            var update = Apt("apt-get", ["update"]);
            if (update.Exit != 0) throw new InvalidOperationException($"apt-get update failed: {update.Stderr}");
            download = Apt("apt-get", ["download", .. Packages]);
            if (download.Exit != 0) throw new InvalidOperationException($"apt-get download {string.Join(' ', Packages)} failed: {download.Stderr}");
        }
        string staging = Path.Combine(CacheDirectory, "root.tmp");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        foreach (var deb in Directory.GetFiles(CacheDirectory, "*.deb"))
        {
            var x = Apt("dpkg-deb", ["-x", deb, staging]);
            if (x.Exit != 0) throw new InvalidOperationException($"dpkg-deb -x {deb} failed: {x.Stderr}");
        }
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.Move(staging, root);
        return root;
    }

    private static (int Exit, string Stdout, string Stderr) Apt(string file, string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = CacheDirectory,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Run(info, TimeSpan.FromMinutes(5));
    }

    private static (int Exit, string Stdout, string Stderr) Run(ProcessStartInfo info, TimeSpan timeout)
    {
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish in {timeout}");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }
}
