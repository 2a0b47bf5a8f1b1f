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
        var name = new Option<string?>("--name") { Description = "durable subscription name: resumes after the last acknowledged event" };
        var from = new Option<string?>("--from") { Description = "now, earliest, an offset, or an ISO-8601 time (default: now, or after the last ack of --name)" };
        var filters = new SubscriptionFilterOptions();
        var count = new Option<int?>("--count", "-n") { Description = "exit after this many events" };
        var idle = new Option<double?>("--idle-timeout") { Description = "exit after this many seconds without a line" };
        var cmd = new Command("subscribe", "Subscribe to the running daemon and print one JSON event per line (gap notices on stderr)")
        {
            config, socket, name, from, count, idle,
        };
        filters.AddTo(cmd);
        cmd.SetAction(async (result, ct) =>
        {
            if (CommandLine.SocketPath(result, socket, config) is not { } path) return CommandLine.ExitUsage;
            var options = new SubscribeOptions
            {
                SocketPath = path,
                Name = result.GetValue(name),
                From = result.GetValue(from),
                Filter = filters.Read(result),
                Count = result.GetValue(count),
                IdleTimeout = result.GetValue(idle) is { } s ? TimeSpan.FromSeconds(s) : null,
            };
            using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
            return await SubscribeVerb.RunAsync(options, stdout, Console.Error, ct);
        });
        return cmd;
    }
}
