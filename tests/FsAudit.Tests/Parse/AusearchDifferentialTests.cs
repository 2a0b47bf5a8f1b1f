using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FsAudit.Engine.Events;
using FsAudit.Tests.Sinks;
using Xunit;

namespace FsAudit.Tests.Parse;

/// <summary>
/// <c>fsaudit parse</c> against Debian's <c>ausearch -i</c> over the same captured log: same events,
/// syscall names, success, decoded path names (ausearch prints names as logged, TTY-escaped) and CWDs.
/// ausearch comes from <see cref="AuditdTools"/> (packages unpacked, daemon never installed).
/// </summary>
public partial class AusearchDifferentialTests
{
    private sealed class AuEvent
    {
        public uint Serial;
        public string? Syscall, Success, Cwd;
        public readonly List<(int Item, string Name)> Names = new();
    }

    [Fact]
    public void Parse_agrees_with_ausearch_interpretation()
    {
        var (exit, stdout, stderr) = AuditdTools.RunAusearch("-i", "-if", KernelOpsFixture.LogPath);
        Assert.True(exit == 0, $"ausearch failed ({exit}): {stderr}");
        var theirs = ParseAusearch(stdout);

        var (pexit, lines, perr) = KernelOpsTests.RunParse(File.ReadAllBytes(KernelOpsFixture.LogPath));
        Assert.Equal(0, pexit);
        Assert.Equal("", perr);
        var ours = lines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => r.GetProperty("serial").GetUInt32());

        Assert.True(theirs.Count >= 100, $"ausearch printed {theirs.Count} events");
        Assert.Equal(theirs.Keys.OrderBy(k => k), ours.Keys.OrderBy(k => k));
        int names = 0;
        foreach (var (serial, au) in theirs)
        {
            var e = ours[serial];
            Assert.Equal(au.Syscall, e.GetProperty("syscall").GetString());
            Assert.Equal(au.Success == "yes", e.GetProperty("success").GetBoolean());
            Assert.Equal(au.Cwd, TtyEscape(e.GetProperty("cwd").GetString()));
            var paths = e.GetProperty("paths").EnumerateArray().ToDictionary(p => p.GetProperty("item").GetInt32());
            Assert.Equal(au.Names.Count, paths.Count);
            foreach (var (item, name) in au.Names)
            {
                var ourName = paths[item].GetProperty("name").GetString()!;
                // ausearch shows the name as logged; ours is that name made absolute against the CWD.
                var expected = PathResolver.Resolve(name, au.Cwd);
                Assert.Equal(expected, TtyEscape(ourName));
                names++;
            }
        }
        Assert.True(names > 200, $"only {names} names compared");
    }

    private static Dictionary<uint, AuEvent> ParseAusearch(string text)
    {
        var events = new Dictionary<uint, AuEvent>();
        foreach (var block in text.Split("----\n", StringSplitOptions.RemoveEmptyEntries))
        {
            AuEvent? ev = null;
            foreach (var raw in block.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var m = Header().Match(raw);
                if (!m.Success) continue;
                ev ??= new AuEvent { Serial = uint.Parse(m.Groups["serial"].Value) };
                var type = m.Groups["type"].Value;
                var body = raw[m.Length..].TrimEnd();
                switch (type)
                {
                    case "SYSCALL":
                        ev.Syscall = Field(body, "syscall");
                        ev.Success = Field(body, "success");
                        break;
                    case "CWD":
                        ev.Cwd = body.StartsWith("cwd=") ? body[4..] : null;
                        break;
                    case "PATH":
                        // Names may contain spaces: take everything up to " inode=" (or the next field).
                        int item = int.Parse(Field(body, "item")!);
                        int start = body.IndexOf(" name=", StringComparison.Ordinal) + 6;
                        int end = body.IndexOf(" inode=", start, StringComparison.Ordinal);
                        if (end < 0) end = body.IndexOf(" dev=", start, StringComparison.Ordinal);
                        if (end < 0) end = body.IndexOf(" nametype=", start, StringComparison.Ordinal);
                        var name = body[start..end];
                        if (name != "(null)") ev.Names.Add((item, name));
                        break;
                }
            }
            if (ev != null) events[ev.Serial] = ev;
        }
        return events;
    }

    private static string? Field(string body, string key)
    {
        foreach (var tok in body.Split(' '))
            if (tok.StartsWith(key + "=", StringComparison.Ordinal)) return tok[(key.Length + 1)..];
        return null;
    }

    /// <summary>auparse's TTY escaping: control characters as \ooo, backslash doubled.</summary>
    private static string? TtyEscape(string? s)
    {
        if (s == null) return null;
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            if (c < 32 || c == 127) sb.Append('\\').Append(Convert.ToString(c, 8).PadLeft(3, '0'));
            else if (c == '\\') sb.Append("\\\\");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^type=(?<type>\S+) msg=audit\([^)]*:(?<serial>\d+)\) : ")]
    private static partial Regex Header();
}
