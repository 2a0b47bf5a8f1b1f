using System.Collections.Frozen;

namespace FsAudit.Engine.Classification;

/// <summary>
/// Named sets of event names (AIX audit classes), resolved once at start-up: includes expanded, names validated,
/// and for every event name the classes containing it precomputed, so <see cref="ClassesOf"/> on the event path
/// is one dictionary lookup returning a shared array.
/// </summary>
public sealed class ClassCatalog
{
    private static readonly string[] NoClasses = [];

    private readonly string[] _classNames;                       // sorted; a class's index is its bit
    private readonly FrozenDictionary<string, int> _classIndex;
    private readonly string[][] _members;                        // per class index, sorted event names
    private readonly FrozenDictionary<string, Membership> _byEvent;

    private sealed record Membership(string[] Classes, ulong[] Bits);

    private ClassCatalog(string[] classNames, string[][] members)
    {
        _classNames = classNames;
        _members = members;
        _classIndex = classNames.Select((n, i) => (n, i)).ToFrozenDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        var words = (classNames.Length + 63) / 64;
        var byEvent = new Dictionary<string, (List<string> Classes, ulong[] Bits)>(StringComparer.Ordinal);
        for (var c = 0; c < classNames.Length; c++)
            foreach (var ev in members[c])
            {
                if (!byEvent.TryGetValue(ev, out var m)) byEvent[ev] = m = ([], new ulong[words]);
                m.Classes.Add(classNames[c]);
                m.Bits[c >> 6] |= 1UL << (c & 63);
            }
        _byEvent = byEvent.ToFrozenDictionary(p => p.Key, p => new Membership(p.Value.Classes.ToArray(), p.Value.Bits),
            StringComparer.Ordinal);
    }

    public static ClassCatalog Empty { get; } = new([], []);

    /// <summary>Class names, sorted ordinally.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    public bool IsClass(string name) => _classIndex.ContainsKey(name);

    /// <summary>The classes containing an event name, sorted; empty for a name in no class. Allocates nothing.</summary>
    public IReadOnlyList<string> ClassesOf(string eventName) =>
        _byEvent.TryGetValue(eventName, out var m) ? m.Classes : NoClasses;

    /// <summary>Whether a class (after includes) contains the event name. Allocates nothing.</summary>
    public bool IsIn(string eventName, string className) =>
        _classIndex.TryGetValue(className, out var c) && _byEvent.TryGetValue(eventName, out var m)
        && (m.Bits[c >> 6] & (1UL << (c & 63))) != 0;

    /// <summary>The event names of a class with its includes expanded, sorted.</summary>
    /// <exception cref="ArgumentException">No class has that name.</exception>
    public IReadOnlyList<string> Expand(string className) =>
        _classIndex.TryGetValue(className, out var c) ? _members[c]
            : throw new ArgumentException($"unknown class \"{className}\"", nameof(className));

    /// <summary>Every event name that some class contains, sorted.</summary>
    public IEnumerable<string> ClassifiedEventNames => _byEvent.Keys.Order(StringComparer.Ordinal);

    /// <summary>
    /// Resolves class definitions as read from <c>fsaudit.classes</c>. An entry is an event name or the name of
    /// another class (included whole). Unknown names, class names that are event names, and include cycles throw
    /// <see cref="ClassCatalogException"/> whose message begins with the key path (<c>fsaudit.classes.fw[2]</c>).
    /// </summary>
    public static ClassCatalog Build(IReadOnlyDictionary<string, IReadOnlyList<string>> classes,
        string keyPrefix = "fsaudit.classes")
    {
        ArgumentNullException.ThrowIfNull(classes);
        var names = classes.Keys.Order(StringComparer.Ordinal).ToArray();
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ClassCatalogException(keyPrefix, "a class name is empty");
            if (EventNames.IsProducible(name))
                throw new ClassCatalogException($"{keyPrefix}.{name}", $"class name \"{name}\" is also an event name");
        }

        var resolver = new Resolver(classes, keyPrefix);
        var members = names.Select(n => resolver.Resolve(n).Order(StringComparer.Ordinal).ToArray()).ToArray();
        return new ClassCatalog(names, members);
    }

    private sealed class Resolver(IReadOnlyDictionary<string, IReadOnlyList<string>> classes, string keyPrefix)
    {
        private readonly Dictionary<string, HashSet<string>> _done = new(StringComparer.Ordinal);
        private readonly List<string> _path = [];   // classes being resolved, outermost first

        public HashSet<string> Resolve(string name)
        {
            if (_done.TryGetValue(name, out var done)) return done;
            _path.Add(name);
            var set = new HashSet<string>(StringComparer.Ordinal);
            var entries = classes[name] ?? [];
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i] ?? "";
                var key = $"{keyPrefix}.{name}[{i}]";
                if (classes.ContainsKey(entry))
                {
                    var at = _path.IndexOf(entry);
                    if (at >= 0)
                        throw new ClassCatalogException(key,
                            $"class include cycle {string.Join(" -> ", _path.Skip(at).Append(entry))}");
                    set.UnionWith(Resolve(entry));
                }
                else if (EventNames.IsProducible(entry))
                    set.Add(entry);
                else
                    throw new ClassCatalogException(key, $"unknown event or class \"{entry}\"{Suggest(entry)}");
            }
            _path.RemoveAt(_path.Count - 1);
            _done[name] = set;
            return set;
        }

        // A near miss among catalog and class names (edit distance <= 2, case ignored) makes the typo obvious.
        private string Suggest(string entry)
        {
            var best = EventNames.All.Select(i => i.Name).Concat(classes.Keys)
                .Select(n => (n, d: Distance(entry.ToUpperInvariant(), n.ToUpperInvariant())))
                .Where(p => p.d <= 2).OrderBy(p => p.d).ThenBy(p => p.n, StringComparer.Ordinal).FirstOrDefault();
            return best.n is null ? "" : $" (did you mean \"{best.n}\"?)";
        }

        private static int Distance(string a, string b)
        {
            var prev = new int[b.Length + 1];
            var cur = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++) prev[j] = j;
            for (var i = 1; i <= a.Length; i++)
            {
                cur[0] = i;
                for (var j = 1; j <= b.Length; j++)
                    cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                (prev, cur) = (cur, prev);
            }
            return prev[b.Length];
        }
    }
}
