using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FsAudit.Engine.Enrichment;
using FsAudit.Engine.Events;
using FsAudit.Tests.Sinks;
using Xunit;

namespace FsAudit.Tests.Enrichment;

public sealed partial class EnrichmentTests : IDisposable
{
    private const string Id64 = "3f4e2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fsaudit-enrich-");
    private readonly ManualTime _time = new();

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteFile(string name, string content)
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Names_read_like_ausearch_i_and_reload_after_the_ttl_when_the_file_changed()
    {
        string passwd = WriteFile("passwd", "# comment\nroot:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken line\nalias:x:1000:1000::/:/bin/sh\nbad:x:notanumber:1::/:/bin/sh\n");
        string group = WriteFile("group", "root:x:0:\nstaff:x:50:alice\n");
        var names = new AccountNames(passwd, group, TimeSpan.FromSeconds(30), _time);

        Assert.Equal("root", names.User(0));
        Assert.Equal("alice", names.User(1000)); // first entry wins, as getpwuid
        Assert.Equal("unknown(4242)", names.User(4242));
        Assert.Equal("unset", names.User(uint.MaxValue));
        Assert.Equal("staff", names.Group(50));
        Assert.Equal("unknown(51)", names.Group(51));
        Assert.Equal("unset", names.Group(uint.MaxValue));
        Assert.Equal(2, names.MalformedLines);
        Assert.Equal(2, names.Loads);

        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000::/home/bob:/bin/sh\n");
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("alice", names.User(1000)); // still within the TTL
        _time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal("bob", names.User(1000));
        Assert.Equal(3, names.Loads);

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("bob", names.User(1000));
        Assert.Equal(3, names.Loads); // unchanged file: not re-read
    }

    [Fact]
    public void Missing_account_files_give_unknown_and_an_error_not_an_exception()
    {
        var names = new AccountNames(Path.Combine(_dir.FullName, "nope"), Path.Combine(_dir.FullName, "nope2"), time: _time);
        Assert.Equal("unknown(0)", names.User(0));
        Assert.Equal("unknown(0)", names.Group(0));
        Assert.NotNull(names.LastError);
    }

    [Theory]
    [InlineData("0::/system.slice/docker-" + Id64 + ".scope\n", "/system.slice/docker-" + Id64 + ".scope", Id64)]
    [InlineData("12:pids:/docker/" + Id64 + "\n11:memory:/docker/" + Id64 + "\n", "/docker/" + Id64, Id64)]
    [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-" + Id64 + ".scope", null, Id64)]
    [InlineData("0::/machine.slice/libpod-" + Id64 + ".scope/container\n", null, Id64)]
    [InlineData("0::/user.slice/user-1000.slice/session-3.scope\n", "/user.slice/user-1000.slice/session-3.scope", null)]
    [InlineData("1:name=systemd:/init.scope\n0::/init.scope\n", "/init.scope", null)]
    public void Cgroup_path_and_container_id(string content, string? path, string? id)
    {
        var info = CgroupInfo.Parse(content);
        Assert.NotNull(info);
        if (path != null) Assert.Equal(path, info!.Path);
        Assert.Equal(id, info!.ContainerId);
    }

    [Fact]
    public void Container_id_needs_exactly_64_hex_digits()
    {
        Assert.Null(CgroupInfo.ContainerIdIn("/docker/" + Id64 + "0"));
        Assert.Null(CgroupInfo.ContainerIdIn("/docker/" + Id64[..63]));
        Assert.Equal(Id64, CgroupInfo.ContainerIdIn("/docker/" + Id64.ToUpperInvariant()));
        Assert.Null(CgroupInfo.Parse("garbage without colons"));
        Assert.Null(CgroupInfo.Parse(""));
    }

    [Fact]
    public void Process_data_comes_from_proc_cached_for_the_ttl()
    {
        string proc = Path.Combine(_dir.FullName, "proc");
        Directory.CreateDirectory(Path.Combine(proc, "100"));
        File.CreateSymbolicLink(Path.Combine(proc, "100", "exe"), "/usr/bin/bash");
        File.WriteAllText(Path.Combine(proc, "100", "cgroup"), $"0::/system.slice/docker-{Id64}.scope\n");
        var info = new ProcessInfo(proc, capacity: 2, timeToLive: TimeSpan.FromSeconds(5), time: _time);

        Assert.Equal("/usr/bin/bash", info.Exe(100));
        Assert.Equal(Id64, info.Cgroup(100)!.ContainerId);
        Assert.Null(info.Exe(200)); // gone
        Assert.Null(info.Cgroup(200));
        Assert.Equal(2, info.Failures);

        File.Delete(Path.Combine(proc, "100", "exe"));
        File.CreateSymbolicLink(Path.Combine(proc, "100", "exe"), "/usr/bin/python3");
        Assert.Equal("/usr/bin/bash", info.Exe(100)); // cached
        long reads = info.Reads;
        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("/usr/bin/python3", info.Exe(100));
        Assert.Equal(reads + 1, info.Reads);
        Assert.Null(info.Exe(0));
        Assert.Null(info.Exe(-5));
    }

    [Fact]
    public void Cache_is_bounded_least_recently_used_first()
    {
        var cache = new BoundedCache<int, string>(2, TimeSpan.FromMinutes(1), _time);
        int loads = 0;
        string Load(int k) { loads++; return "v" + k; }
        cache.GetOrAdd(1, Load);
        cache.GetOrAdd(2, Load);
        cache.GetOrAdd(1, Load); // 1 is now the most recent
        cache.GetOrAdd(3, Load); // evicts 2
        Assert.Equal(3, loads);
        Assert.Equal(2, cache.Count);
        Assert.Equal(1, cache.Evictions);
        cache.GetOrAdd(1, Load);
        Assert.Equal(3, loads);
        cache.GetOrAdd(2, Load);
        Assert.Equal(4, loads);
        _time.Advance(TimeSpan.FromMinutes(2));
        cache.GetOrAdd(2, Load);
        Assert.Equal(5, loads);
    }

    [Fact]
    public void Enriches_a_live_event_from_the_real_proc_and_writes_json()
    {
        int self = Environment.ProcessId;
        var e = EventFor(uid: 0, gid: 0, auid: uint.MaxValue, pid: self, ppid: self);
        var enricher = new Enricher();
        var r = enricher.Enrich(e);

        Assert.Equal("root", r.Uid);
        Assert.Equal("root", r.Gid);
        Assert.Equal("unset", r.Auid);
        Assert.Equal(Environment.ProcessPath, r.ParentExe);
        string own = File.ReadAllText($"/proc/{self}/cgroup");
        Assert.Equal(CgroupInfo.Parse(own)!.Path, r.Cgroup);

        var json = Json(r);
        Assert.Equal("root", json.GetProperty("uid").GetString());
        Assert.Equal("unset", json.GetProperty("auid").GetString());
        Assert.Equal(Environment.ProcessPath, json.GetProperty("parent_exe").GetString());
        Assert.Equal(r.Cgroup, json.GetProperty("cgroup").GetString());
        Assert.False(json.TryGetProperty("euid", out _)); // the event had none
    }

    [Fact]
    public void Parts_can_be_switched_off_and_an_empty_enrichment_writes_nothing()
    {
        var e = EventFor(uid: 0, gid: 0, auid: 0, pid: Environment.ProcessId, ppid: Environment.ProcessId);
        var r = new Enricher(new EnricherOptions { Names = false, ParentExe = false, Container = false }).Enrich(e);
        Assert.True(r.IsEmpty);
        var w = new JsonLineWriter();
        w.StartObject();
        EnrichmentJson.WriteProperty(w, r);
        w.EndObject();
        Assert.Equal("{}", Encoding.UTF8.GetString(w.WrittenSpan));
    }

    [Fact]
    public void Names_match_ausearch_interpretation()
    {
        // Events with ids that exist here, do not exist, and are unset; ausearch -i names them with this
        // machine's /etc/passwd and /etc/group, as the enricher does.
        uint[] ids = [0, 1, 65534, 54321, uint.MaxValue];
        var lines = new List<string>();
        uint serial = 900;
        foreach (uint uid in ids)
        foreach (uint gid in ids.Take(4))
        {
            serial++;
            lines.Add($"type=SYSCALL msg=audit(1700000000.000:{serial}): arch=c000003e syscall=2 success=yes exit=3 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=2 auid={uid} uid={uid} gid={gid} euid={uid} suid=0 fsuid=0 egid={gid} sgid=0 fsgid=0 tty=(none) ses=1 comm=\"x\" exe=\"/bin/x\" key=(null)");
        }
        string log = WriteFile("names.log", string.Join('\n', lines) + "\n");
        var events = LogEvents.FromLines(lines);
        Assert.Equal(lines.Count, events.Count);

        var (exit, stdout, stderr) = AuditdTools.RunAusearch("-if", log, "-i");
        Assert.True(exit == 0, stderr);
        var theirs = new Dictionary<uint, Dictionary<string, string>>();
        foreach (var line in stdout.Split('\n').Where(l => l.StartsWith("type=SYSCALL ", StringComparison.Ordinal)))
        {
            uint s = uint.Parse(InterpretedSerial().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
            theirs[s] = Fields().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        }
        Assert.Equal(events.Count, theirs.Count);

        var enricher = new Enricher(new EnricherOptions { ParentExe = false, Container = false });
        foreach (var e in events)
        {
            var r = enricher.Enrich(e);
            var t = theirs[e.Serial];
            Assert.Equal(t["uid"], r.Uid);
            Assert.Equal(t["auid"], r.Auid);
            Assert.Equal(t["gid"], r.Gid);
            Assert.Equal(t["euid"], r.Euid);
            Assert.Equal(t["egid"], r.Egid);
        }
    }

    private static AuditEvent EventFor(uint uid, uint gid, uint auid, int pid, int ppid)
    {
        var line = $"type=SYSCALL msg=audit(1700000000.000:5): arch=c000003e syscall=2 success=yes exit=3 a0=1 a1=2 a2=3 a3=4 items=0 ppid={ppid} pid={pid} auid={auid} uid={uid} gid={gid} tty=(none) ses=1 comm=\"x\" exe=\"/bin/x\" key=(null)";
        return Assert.Single(LogEvents.FromLines([line]));
    }

    private static JsonElement Json(EventEnrichment r)
    {
        var w = new JsonLineWriter();
        w.StartObject();
        EnrichmentJson.WriteProperty(w, r);
        w.EndObject();
        using var doc = JsonDocument.Parse(w.WrittenSpan.ToArray());
        return doc.RootElement.GetProperty("enriched").Clone();
    }

    [GeneratedRegex(@"msg=audit\([^)]*:(\d+)\)")]
    private static partial Regex InterpretedSerial();

    [GeneratedRegex(@" (uid|gid|auid|euid|egid)=(\S+)")]
    private static partial Regex Fields();
}
