namespace FsAudit.Engine.Enrichment;

/// <summary>
/// A size-capped LRU map whose entries expire after a time to live. Thread-safe (one lock: lookups are
/// a dictionary probe and a list splice, far cheaper than the /proc reads they save).
/// </summary>
public sealed class BoundedCache<TKey, TValue> where TKey : notnull
{
    private readonly record struct Entry(TKey Key, TValue Value, long ExpiresAt);

    private readonly Dictionary<TKey, LinkedListNode<Entry>> _map;
    private readonly LinkedList<Entry> _lru = new(); // most recently used first
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly long _ttlTicks;
    private long _hits, _misses, _evictions;

    public BoundedCache(int capacity, TimeSpan timeToLive, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        if (timeToLive <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeToLive), timeToLive, "must be positive");
        Capacity = capacity;
        _time = time ?? TimeProvider.System;
        _ttlTicks = (long)(timeToLive.TotalSeconds * _time.TimestampFrequency);
        _map = new Dictionary<TKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024));
    }

    public int Capacity { get; }

    public int Count { get { lock (_lock) return _map.Count; } }

    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Entries pushed out by the size cap (expired entries replaced on lookup are not counted).</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>The cached value, or <paramref name="load"/>'s result (cached, also when null) when absent or expired.</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> load)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                if (node.Value.ExpiresAt - now > 0)
                {
                    _lru.Remove(node);
                    _lru.AddFirst(node);
                    _hits++;
                    return node.Value.Value;
                }
                _lru.Remove(node);
                _map.Remove(key);
            }
        }

        // Loaded outside the lock: a slow /proc read must not stall other lookups. Two threads missing the
        // same key both load; the last one's value stays, which is as fresh as either.
        var value = load(key);
        lock (_lock)
        {
            _misses++;
            if (_map.Remove(key, out var stale)) _lru.Remove(stale);
            else if (_map.Count >= Capacity)
            {
                var oldest = _lru.Last!;
                _lru.RemoveLast();
                _map.Remove(oldest.Value.Key);
                _evictions++;
            }
            _map[key] = _lru.AddFirst(new Entry(key, value, now + _ttlTicks));
        }
        return value;
    }

    public void Clear()
    {
        lock (_lock)
        {
            _map.Clear();
            _lru.Clear();
        }
    }
}
