using System.Globalization;

namespace FsAudit.Engine.Enrichment;

/// <summary>
/// uid → user and gid → group names from passwd/group files, printed the way <c>ausearch -i</c> prints
/// them: the name, <c>unknown(N)</c> when no entry has the id, <c>unset</c> for 4294967295. The files
/// are re-read when their size or modification time changed, checked at most once per
/// <see cref="CheckInterval"/> (the time to live of every name). Accounts only NSS knows (LDAP, sssd) show
/// as unknown: reading them would need libc's NSS, which can block on the network.
/// </summary>
public sealed class AccountNames
{
    /// <summary>At most this many entries are kept per file; the rest are counted in <see cref="Truncated"/>.</summary>
    public const int MaxEntries = 1 << 18;

    private readonly IdFile _users, _groups;

    public AccountNames(string passwdPath = "/etc/passwd", string groupPath = "/etc/group", TimeSpan? checkInterval = null,
        TimeProvider? time = null)
    {
        CheckInterval = checkInterval ?? TimeSpan.FromSeconds(30);
        if (CheckInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(checkInterval));
        var clock = time ?? TimeProvider.System;
        _users = new IdFile(passwdPath, CheckInterval, clock);
        _groups = new IdFile(groupPath, CheckInterval, clock);
    }

    public TimeSpan CheckInterval { get; }

    /// <summary>User name for <paramref name="uid"/> as ausearch -i shows it.</summary>
    public string User(uint uid) => uid == uint.MaxValue ? "unset" : _users.Lookup(uid) ?? Unknown(uid);

    /// <summary>Group name for <paramref name="gid"/> as ausearch -i shows it.</summary>
    public string Group(uint gid) => gid == uint.MaxValue ? "unset" : _groups.Lookup(gid) ?? Unknown(gid);

    /// <summary>Times a file was (re)loaded, both files together.</summary>
    public long Loads => _users.Loads + _groups.Loads;

    /// <summary>Lines that were not <c>name:x:id:...</c> (skipped).</summary>
    public long MalformedLines => _users.Malformed + _groups.Malformed;

    /// <summary>Entries beyond <see cref="MaxEntries"/> (not loaded).</summary>
    public long Truncated => _users.Truncated + _groups.Truncated;

    /// <summary>Why the last load failed (file missing or unreadable: every id then shows as unknown).</summary>
    public string? LastError => _users.LastError ?? _groups.LastError;

    private static string Unknown(uint id) => "unknown(" + id.ToString(CultureInfo.InvariantCulture) + ")";

    /// <summary>One colon-separated account file (name in field 1, id in field 3), reloaded when it changes.</summary>
    private sealed class IdFile(string path, TimeSpan checkInterval, TimeProvider time)
    {
        private readonly object _lock = new();
        private readonly long _intervalTicks = (long)(checkInterval.TotalSeconds * time.TimestampFrequency);
        private volatile Dictionary<uint, string> _names = new();
        private long _nextCheck;
        private volatile bool _checked;
        private (DateTime Mtime, long Size)? _version;
        private long _loads, _malformed, _truncated;
        private volatile string? _lastError;

        public long Loads => Interlocked.Read(ref _loads);
        public long Malformed => Interlocked.Read(ref _malformed);
        public long Truncated => Interlocked.Read(ref _truncated);
        public string? LastError => _lastError;

        public string? Lookup(uint id)
        {
            long now = time.GetTimestamp();
            if (!_checked || now - Volatile.Read(ref _nextCheck) >= 0) Refresh(now);
            return _names.TryGetValue(id, out var name) ? name : null;
        }

        private void Refresh(long now)
        {
            // The first load is waited for; later a thread finding a refresh in progress uses the current names meanwhile.
            if (!_checked) Monitor.Enter(_lock);
            else if (!Monitor.TryEnter(_lock)) return;
            try
            {
                if (_checked && now - _nextCheck < 0) return;
                Volatile.Write(ref _nextCheck, now + _intervalTicks);
                (DateTime, long)? version;
                try
                {
                    var info = new FileInfo(path);
                    version = info.Exists ? (info.LastWriteTimeUtc, info.Length) : null;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    version = null;
                }
                if (version == _version && _checked) return;
                _version = version;
                Load();
                _checked = true;
            }
            finally
            {
                Monitor.Exit(_lock);
            }
        }

        private void Load()
        {
            var names = new Dictionary<uint, string>();
            try
            {
                foreach (var line in File.ReadLines(path))
                {
                    if (line.Length == 0 || line[0] == '#') continue;
                    if (!TryParse(line, out string name, out uint id))
                    {
                        Interlocked.Increment(ref _malformed);
                        continue;
                    }
                    if (names.Count >= MaxEntries)
                    {
                        Interlocked.Increment(ref _truncated);
                        continue;
                    }
                    names.TryAdd(id, name); // the first entry wins, as getpwuid(3) returns it
                }
                _lastError = null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _lastError = $"{path}: {e.Message}";
            }
            _names = names;
            Interlocked.Increment(ref _loads);
        }

        private static bool TryParse(string line, out string name, out uint id)
        {
            name = "";
            id = 0;
            var span = line.AsSpan();
            int c1 = span.IndexOf(':');
            if (c1 <= 0) return false;
            int c2 = span[(c1 + 1)..].IndexOf(':');
            if (c2 < 0) return false;
            var rest = span[(c1 + 1 + c2 + 1)..];
            int c3 = rest.IndexOf(':');
            var idText = c3 < 0 ? rest : rest[..c3];
            if (!uint.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out id)) return false;
            name = line[..c1];
            return true;
        }
    }
}
