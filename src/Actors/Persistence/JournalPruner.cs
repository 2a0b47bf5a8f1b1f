using Akka.Event;

namespace FsAudit.Actors.Persistence;

/// <param name="PrunedThroughOffset">The newest offset pruned so far (null before the first pruning).</param>
public readonly record struct PrunerCounters(long Runs, long PrunedRows, long? PrunedThroughOffset, string? LastError);

/// <summary>
/// Background retention: every <c>retention.interval</c>, deletes the oldest journal rows that are older than
/// <c>max-age</c> (by their newest event time) or that keep the journal above <c>max-size</c> (SQLite pages in use),
/// always keeping the newest row. Deleted pages are returned to the file system (incremental vacuum). Subscribers
/// reading pruned offsets are told which ones they missed; the writer is never held up.
/// </summary>
public sealed class JournalPruner : IAsyncDisposable
{
    private readonly JournalSettings _settings;
    private readonly JournalWriter _writer;
    private readonly JournalReader _reader;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Func<DateTimeOffset> _now;
    private long _runs, _prunedRows;
    private long? _prunedThrough;
    private volatile string? _lastError;

    public JournalPruner(JournalSettings settings, JournalWriter writer, JournalReader reader, ILoggingAdapter log,
        Func<DateTimeOffset>? now = null, bool start = true)
    {
        _settings = settings;
        _writer = writer;
        _reader = reader;
        _log = log;
        _now = now ?? (() => DateTimeOffset.UtcNow);
        _loop = start ? Loop() : Task.CompletedTask;
    }

    public PrunerCounters Counters => new(Interlocked.Read(ref _runs), Interlocked.Read(ref _prunedRows), _prunedThrough, _lastError);

    private async Task Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_settings.PruneInterval, _stop.Token).ConfigureAwait(false);
                await RunOnceAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                _lastError = e.GetBaseException().Message;
                _log.Warning("journal retention failed (retrying in {0}): {1}", _settings.PruneInterval, _lastError);
            }
        }
    }

    /// <summary>One pruning pass; returns the number of rows deleted.</summary>
    public async Task<long> RunOnceAsync()
    {
        Interlocked.Increment(ref _runs);
        var bounds = await _reader.BoundsAsync().ConfigureAwait(false);
        if (bounds.Oldest is not { } oldest || bounds.Newest is not { } newest || oldest.SequenceNr == newest.SequenceNr) return 0;

        long through = 0;
        if (_settings.RetentionMaxAge is { } maxAge)
        {
            var cutoff = _now() - maxAge;
            var keep = await _reader.SeekTimeAsync(cutoff, bounds).ConfigureAwait(false);
            through = keep is { } k ? k.SequenceNr - 1 : newest.SequenceNr - 1;
        }
        if (_settings.RetentionMaxBytes is { } maxBytes && _settings.Plugin == JournalPlugin.Sqlite)
        {
            var (used, _) = SqliteJournalFile.Size(_settings.DatabasePath);
            if (used > maxBytes)
            {
                // Rows are about the same size: delete the oldest share that brings usage to 90% of the limit.
                long rows = newest.SequenceNr - oldest.SequenceNr + 1;
                double share = (used - maxBytes * 0.9) / used;
                long bySize = oldest.SequenceNr + (long)Math.Ceiling(rows * share) - 1;
                through = Math.Max(through, bySize);
            }
        }
        through = Math.Min(through, newest.SequenceNr - 1);
        if (through < oldest.SequenceNr) return 0;

        // The offset the pruning reaches: the last offset of the last deleted row.
        var nextKept = await _reader.FirstRowAsync(through + 1, newest.SequenceNr).ConfigureAwait(false);
        long done = await _writer.PruneThroughAsync(through).ConfigureAwait(false);
        if (done < oldest.SequenceNr) return 0;
        long deleted = done - oldest.SequenceNr + 1;
        Interlocked.Add(ref _prunedRows, deleted);
        if (nextKept is { } nk) _prunedThrough = nk.Header.FirstOffset - 1;
        if (_settings.Plugin == JournalPlugin.Sqlite) SqliteJournalFile.Compact(_settings.DatabasePath);
        _lastError = null;
        _log.Info("journal retention: pruned {0} rows through offset {1}", deleted, _prunedThrough);
        return deleted;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
