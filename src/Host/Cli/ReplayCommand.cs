using System.CommandLine;
using FsAudit.Host.Configuration;
using FsAudit.Host.Verbs;

namespace FsAudit.Host.Cli;

/// <summary><c>fsaudit replay</c>: stored events from the journal, without a daemon.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var config = CommandLine.ConfigOption();
        var from = new Option<string>("--from") { Description = "earliest, an offset, or an ISO-8601 time with zone", DefaultValueFactory = _ => "earliest" };
        var to = new Option<string?>("--to") { Description = "last offset or time (inclusive); default: the newest stored event" };
        var filters = new SubscriptionFilterOptions();
        var count = new Option<long?>("--count", "-n") { Description = "stop after this many events" };
        var cmd = new Command("replay", "Print stored events from the journal (no daemon needed), one JSON line each") { config, from, to, count };
        filters.AddTo(cmd);
        cmd.SetAction(async (result, ct) =>
        {
            FsAuditSettings settings;
            try { settings = ConfigLoader.Load(result.GetValue(config)); }
            catch (ConfigException e)
            {
                Console.Error.WriteLine($"fsaudit: {e.Message}");
                return CommandLine.ExitUsage;
            }
            var options = new ReplayOptions
            {
                From = result.GetValue(from)!,
                To = result.GetValue(to),
                Filter = filters.Read(result),
                Count = result.GetValue(count),
            };
            await using var stdout = Console.OpenStandardOutput();
            return await ReplayVerb.RunAsync(options, settings.Journal, settings.Catalog, stdout, Console.Error, ct);
        });
        return cmd;
    }
}
