using System.CommandLine;
using FsAudit.Host.Configuration;
using FsAudit.Host.Verbs;

namespace FsAudit.Host.Cli;

/// <summary><c>fsaudit subscribe</c>: options mapped onto <see cref="SubscribeOptions"/>.</summary>
internal static class SubscribeCommand
{
    public static Command Create()
    {
        var config = CommandLine.ConfigOption();
        var socket = new Option<string?>("--socket") { Description = "daemon socket (default: fsaudit.socket-path from the config)" };
        var name = new Option<string?>("--name") { Description = "durable subscription name" };
        var classes = Many("--classes", "event classes (fsaudit classes lists them)");
        var events = Many("--events", "event names, e.g. FILE_Unlink");
        var paths = Many("--paths", "subtree prefixes matched against every absolute path of the event");
        var keys = Many("--keys", "rule keys");
        var uids = new Option<long[]>("--uids") { Description = "uids (-1 = unset)", AllowMultipleArgumentsPerToken = true };
        var auids = new Option<long[]>("--auids") { Description = "login uids (-1 = unset)", AllowMultipleArgumentsPerToken = true };
        var success = new Option<string>("--success") { Description = "true, false or any", DefaultValueFactory = _ => "any" };
        success.AcceptOnlyFromAmong("true", "false", "any");
        var count = new Option<int?>("--count", "-n") { Description = "exit after this many events" };
        var idle = new Option<double?>("--idle-timeout") { Description = "exit after this many seconds without a line" };
        var cmd = new Command("subscribe", "Subscribe to the running daemon and print one JSON event per line (gap notices on stderr)")
        {
            config, socket, name, classes, events, paths, keys, uids, auids, success, count, idle,
        };
        cmd.SetAction(async (result, ct) =>
        {
            string path;
            try { path = result.GetValue(socket) ?? ConfigLoader.Load(result.GetValue(config)).SocketPath; }
            catch (ConfigException e)
            {
                Console.Error.WriteLine($"fsaudit: {e.Message}");
                return CommandLine.ExitUsage;
            }
            var options = new SubscribeOptions
            {
                SocketPath = path,
                Name = result.GetValue(name),
                Classes = Split(result.GetValue(classes)),
                Events = Split(result.GetValue(events)),
                Paths = Split(result.GetValue(paths)),
                Keys = Split(result.GetValue(keys)),
                Uids = result.GetValue(uids) ?? [],
                Auids = result.GetValue(auids) ?? [],
                Success = result.GetValue(success) switch { "true" => true, "false" => false, _ => null },
                Count = result.GetValue(count),
                IdleTimeout = result.GetValue(idle) is { } s ? TimeSpan.FromSeconds(s) : null,
            };
            using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
            return await SubscribeVerb.RunAsync(options, stdout, Console.Error, ct);
        });
        return cmd;
    }

    private static Option<string[]> Many(string name, string description) =>
        new(name) { Description = description + " (repeat or comma-separate)", AllowMultipleArgumentsPerToken = true };

    /// <summary>Accepts both <c>--classes a b</c> and <c>--classes a,b</c>.</summary>
    private static IReadOnlyList<string> Split(string[]? values) =>
        values is null ? [] : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
