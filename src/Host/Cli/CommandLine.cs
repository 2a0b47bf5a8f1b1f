using System.CommandLine;
using FsAudit.Engine.Classification;
using FsAudit.Host.Bench;
using FsAudit.Host.Configuration;
using FsAudit.Host.Verbs;

namespace FsAudit.Host.Cli;

/// <summary>
/// The <c>fsaudit</c> verbs and their options. Each verb's logic lives in its own type under Verbs/.
/// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error, 130 interrupted.
/// </summary>
public static class CommandLine
{
    public const int ExitOk = 0, ExitFailure = 1, ExitUsage = 2;

    public static int Run(string[] args)
    {
        var root = new RootCommand("fsaudit: Linux filesystem audit engine; replaces auditd's path from the kernel to consumers.");
        root.Subcommands.Add(DaemonCommands.Run());
        root.Subcommands.Add(DaemonCommands.Status());
        root.Subcommands.Add(SubscribeCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(ParseCommand());
        root.Subcommands.Add(ClassesCommand());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(BenchCommand.CreateWorker());
        return root.Parse(args).Invoke();
    }

    /// <summary>--socket when given, else fsaudit.socket-path from the config; null (reported) on a config error.</summary>
    internal static string? SocketPath(ParseResult result, Option<string?> socket, Option<string?> config)
    {
        try { return result.GetValue(socket) ?? ConfigLoader.Load(result.GetValue(config)).SocketPath; }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"fsaudit: {e.Message}");
            return null;
        }
    }

    internal static Option<string?> ConfigOption() => new("--config", "-c")
    {
        Description = "HOCON file merged over the embedded defaults (only the keys it changes)",
    };

    private static Command ParseCommand()
    {
        var input = new Option<FileInfo?>("--input", "-i") { Description = "auditd log file to read (default: stdin)" };
        var cmd = new Command("parse", "Read an auditd log (as /var/log/audit/audit.log), print one JSON event per line") { input };
        cmd.SetAction(result =>
        {
            var file = result.GetValue(input);
            Stream stream;
            try { stream = file is null ? Console.OpenStandardInput() : file.OpenRead(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"fsaudit parse: cannot read {file?.FullName}: {e.Message}");
                return ExitFailure;
            }
            using (stream)
            using (var output = Console.OpenStandardOutput())
                return ParseVerb.Run(stream, output, Console.Error);
        });
        return cmd;
    }

    private static Command ClassesCommand()
    {
        var config = ConfigOption();
        var cmd = new Command("classes", "List every event name with its syscalls and the classes that contain it") { config };
        cmd.SetAction(result =>
        {
            try
            {
                var settings = ConfigLoader.Load(result.GetValue(config));
                ClassesReport.Write(Console.Out, settings.Catalog);
                return ExitOk;
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine($"fsaudit: {e.Message}");
                return ExitUsage;
            }
        });
        return cmd;
    }
}
