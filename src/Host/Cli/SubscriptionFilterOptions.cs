using System.CommandLine;
using FsAudit.Host.Verbs;

namespace FsAudit.Host.Cli;

/// <summary>The filter options <c>subscribe</c> and <c>replay</c> share, with the same meaning as the protocol's fields.</summary>
internal sealed class SubscriptionFilterOptions
{
    private readonly Option<string[]> _classes = Many("--classes", "event classes (fsaudit classes lists them)");
    private readonly Option<string[]> _events = Many("--events", "event names, e.g. FILE_Unlink");
    private readonly Option<string[]> _paths = Many("--paths", "subtree prefixes matched against every absolute path of the event");
    private readonly Option<string[]> _keys = Many("--keys", "rule keys");
    private readonly Option<long[]> _uids = new("--uids") { Description = "uids (-1 = unset)", AllowMultipleArgumentsPerToken = true };
    private readonly Option<long[]> _auids = new("--auids") { Description = "login uids (-1 = unset)", AllowMultipleArgumentsPerToken = true };
    private readonly Option<string> _success = new("--success") { Description = "true, false or any", DefaultValueFactory = _ => "any" };

    public SubscriptionFilterOptions() => _success.AcceptOnlyFromAmong("true", "false", "any");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _classes, _events, _paths, _keys, _uids, _auids, _success }) command.Options.Add(o);
    }

    public FilterFields Read(ParseResult result) => new()
    {
        Classes = Split(result.GetValue(_classes)),
        Events = Split(result.GetValue(_events)),
        Paths = Split(result.GetValue(_paths)),
        Keys = Split(result.GetValue(_keys)),
        Uids = result.GetValue(_uids) ?? [],
        Auids = result.GetValue(_auids) ?? [],
        Success = result.GetValue(_success) switch { "true" => true, "false" => false, _ => null },
    };

    private static Option<string[]> Many(string name, string description) =>
        new(name) { Description = description + " (repeat or comma-separate)", AllowMultipleArgumentsPerToken = true };

    /// <summary>Accepts both <c>--classes a b</c> and <c>--classes a,b</c>.</summary>
    private static IReadOnlyList<string> Split(string[]? values) =>
        values is null ? [] : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
