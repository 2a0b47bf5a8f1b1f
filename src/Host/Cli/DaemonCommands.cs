using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using FsAudit.Actors.Persistence;
using FsAudit.Engine.Netlink;
using FsAudit.Host.Configuration;
using FsAudit.Host.Daemon;

namespace FsAudit.Host.Cli;

/// <summary><c>fsaudit run</c> and <c>fsaudit status</c>.</summary>
internal static class DaemonCommands
{
    /// <summary><c>status</c> when no daemon answers on the socket (as systemctl's "not running").</summary>
    public const int ExitNotRunning = 3;

    public static Command Run()
    {
        var config = CommandLine.ConfigOption();
        var stdout = new Option<bool>("--stdout") { Description = "print each event as one JSON line on stdout" };
        var replace = new Option<bool>("--replace") { Description = "take over from another registered audit daemon (it is sent SIGTERM)" };
        var watch = new Option<string[]>("--watch", "-w")
        {
            Description = "also watch this directory or file (perm wa); repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var cmd = new Command("run", "Run the audit daemon: register with the kernel, install the watches, process events until SIGINT/SIGTERM")
        {
            config, stdout, replace, watch,
        };
        cmd.SetAction(async (result, ct) =>
        {
            if (RuntimeSwitches.ReexecWithSwitches() is { } failed) Log.Warn(failed);
            var options = new DaemonOptions
            {
                ConfigFile = result.GetValue(config),
                Stdout = result.GetValue(stdout),
                Replace = result.GetValue(replace),
                Watches = result.GetValue(watch) ?? [],
            };
            using var stop = new CancellationTokenSource();
            void OnSignal(PosixSignalContext c)
            {
                c.Cancel = true;
                Log.Info($"{c.Signal} received");
                stop.Cancel();
            }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            try
            {
                var settings = AuditDaemon.LoadSettings(options);
                return await new AuditDaemon(settings, options).RunAsync(stop.Token);
            }
            catch (ConfigException e)
            {
                Log.Error($"configuration: {e.Message}");
                return CommandLine.ExitUsage;
            }
            catch (Exception e) when (e is DaemonStartException or JournalStartupException or AuditKernelException or NetlinkSocketException or IOException
                                          or UnauthorizedAccessException or InvalidOperationException)
            {
                Log.Error(e.Message);
                return CommandLine.ExitFailure;
            }
        });
        return cmd;
    }

    public static Command Status()
    {
        var config = CommandLine.ConfigOption();
        var json = new Option<bool>("--json") { Description = "print the status as one JSON object" };
        var socket = new Option<string?>("--socket") { Description = "daemon socket (default: fsaudit.socket-path from the config)" };
        var cmd = new Command("status", $"Show the kernel's audit state and the running daemon's counters (exit {ExitNotRunning} when no daemon runs)")
        {
            config, json, socket,
        };
        cmd.SetAction(async (result, ct) =>
        {
            if (CommandLine.SocketPath(result, socket, config) is not { } path) return CommandLine.ExitUsage;
            string? line = null;
            try { line = await DaemonProbe.QueryStatusAsync(path, TimeSpan.FromSeconds(5)); }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                Console.Error.WriteLine($"fsaudit: daemon on {path} did not answer: {e.Message}");
            }
            string status = line ?? KernelOnlyStatus(path);
            if (result.GetValue(json)) Console.WriteLine(status);
            else StatusText.Write(Console.Out, status);
            return line is null ? ExitNotRunning : CommandLine.ExitOk;
        });
        return cmd;
    }

    private static string KernelOnlyStatus(string path)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "status");
            w.WriteBoolean("daemon_running", false);
            w.WriteString("socket", path);
            try
            {
                using var control = new AuditControl();
                KernelStatusJson.Write(w, control.GetStatus(), control.ListRules());
            }
            catch (Exception e) when (e is AuditKernelException or NetlinkSocketException or AuditTimeoutException)
            {
                w.WriteString("kernel_error", $"cannot read the kernel's audit state: {e.Message}");
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
