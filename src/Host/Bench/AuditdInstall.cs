using System.Diagnostics;

namespace FsAudit.Host.Bench;

/// <summary>
/// Debian's auditd, unpacked without installing: <c>apt-get download</c> of the packages, then
/// <c>dpkg-deb -x</c> into a cache directory (no service is installed, enabled or started).
/// </summary>
public sealed class AuditdInstall
{
    /// <summary>auditd and the libraries it needs that a base Debian system may lack.</summary>
    public static readonly IReadOnlyList<string> Packages = ["auditd", "libauparse0", "libwrap0"];

    private AuditdInstall(string root) => Root = root;

    /// <summary>The unpacked tree (sbin/auditd, lib/..., usr/lib/...).</summary>
    public string Root { get; }
    public string Auditd => Path.Combine(Root, "sbin", "auditd");

    /// <summary>LD_LIBRARY_PATH for the unpacked libraries.</summary>
    public string LibraryPath => string.Join(':',
        Path.Combine(Root, "lib", "x86_64-linux-gnu"), Path.Combine(Root, "usr", "lib", "x86_64-linux-gnu"));

    public static async Task<AuditdInstall> EnsureAsync(string cacheDirectory, Action<string> log, CancellationToken ct)
    {
        var install = new AuditdInstall(Path.Combine(cacheDirectory, "auditd-root"));
        if (File.Exists(install.Auditd)) return install;

        string debs = Path.Combine(cacheDirectory, "debs");
        Directory.CreateDirectory(debs);
        log($"fetching {string.Join(", ", Packages)} into {debs} (unpacked, not installed)");
        await DownloadAsync((file, args) => RunAsync(file, args, debs, ct), log);
        string staging = install.Root + ".partial";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        foreach (var deb in Directory.GetFiles(debs, "*.deb"))
            await RunAsync("dpkg-deb", ["-x", deb, staging], debs, ct);
        if (!File.Exists(Path.Combine(staging, "sbin", "auditd")))
            throw new BenchException($"the auditd package did not contain sbin/auditd (looked in {staging})");
        Directory.Move(staging, install.Root);
        return install;
    }

    /// <summary>
    /// <c>apt-get download</c> of <see cref="Packages"/>. A fresh machine's package lists can be empty (apt-get update
    /// never ran, as on a new VM here): then the lists are updated once and the download is tried again.
    /// </summary>
    internal static async Task DownloadAsync(Func<string, string[], Task> run, Action<string> log)
    {
        try
        {
            await run("apt-get", ["download", .. Packages]);
        }
        catch (BenchException e) when (e.Message.Contains("Unable to locate package", StringComparison.Ordinal))
        {
            log("apt-get knows no auditd package (empty package lists?): running apt-get update, then the download again");
            await run("apt-get", ["update"]);
            await run("apt-get", ["download", .. Packages]);
        }
    }

    private static async Task RunAsync(string file, string[] args, string directory, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new BenchException($"cannot run {file}: {e.Message}"); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }
            if (process.ExitCode != 0)
                throw new BenchException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {(await stderr).Trim()} {(await stdout).Trim()}");
        }
    }
}

/// <summary>The auditd.conf the bench generates: Debian's defaults, logging into the bench's tree, nothing that could stop the run.</summary>
public static class AuditdConfig
{
    public static string Render(string logFile, bool writeLogs, string pluginDirectory) =>
        $"""
        local_events = yes
        write_logs = {(writeLogs ? "yes" : "no")}
        log_file = {logFile}
        log_format = ENRICHED
        flush = INCREMENTAL_ASYNC
        freq = 50
        max_log_file = 0
        max_log_file_action = IGNORE
        num_logs = 1
        priority_boost = 4
        name_format = NONE
        space_left = 2
        space_left_action = IGNORE
        admin_space_left = 1
        admin_space_left_action = IGNORE
        disk_full_action = IGNORE
        disk_error_action = IGNORE
        use_libwrap = no
        q_depth = 2000
        overflow_action = SYSLOG
        max_restarts = 10
        plugin_dir = {pluginDirectory}
        end_of_event_timeout = 2

        """;
}
