using Akka.Actor;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// Owns the journal writer actor and makes writes survive failures: a failed or timed-out write (disk full, database
/// locked, I/O error) is reported, retried with backoff, and never dropped — the caller simply waits, which is
/// backpressure all the way up the pipeline. After a failure the writer actor is recreated from the journal, which
/// also tells whether the failed write did land (then it is not written twice).
/// </summary>
public sealed class JournalWriter : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly JournalSettings _settings;
    private readonly CancellationTokenSource _stopping = new();
    private IActorRef? _actor;
    private Task<bool>? _terminated;
    private volatile Exception? _actorFailure;
    private int _generation;
    private long _nextOffset, _lastSequenceNr;
    private long _batches, _events, _bytes, _failures, _retrying;
    private volatile string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    private JournalWriter(ActorSystem system, JournalSettings settings)
    {
        _system = system;
        _settings = settings;
    }

    /// <summary>
    /// Starts the writer and recovers its state. Throws <see cref="JournalStartupException"/> when the journal cannot
    /// be read (damaged, unreachable, wrong schema): the daemon must not start writing over it.
    /// </summary>
    public static async Task<JournalWriter> StartAsync(ActorSystem system, JournalSettings settings)
    {
        var w = new JournalWriter(system, settings);
        try
        {
            await w.SpawnAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw new JournalStartupException($"cannot open the event journal: {e.Message}", e);
        }
        return w;
    }

    /// <summary>Offset the next written event gets.</summary>
    public long NextOffset => Interlocked.Read(ref _nextOffset);

    public long LastSequenceNr => Interlocked.Read(ref _lastSequenceNr);

    /// <summary>A write failed and is being retried (the pipeline is held back meanwhile).</summary>
    public event Action<JournalWriteFailure>? WriteFailed;

    /// <summary>A write succeeded after failures.</summary>
    public event Action<long>? WriteRecovered;

    public JournalWriterCounters Counters => new(
        Interlocked.Read(ref _batches), Interlocked.Read(ref _events), Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _failures), Interlocked.Read(ref _retrying) != 0, _lastError, _lastErrorAt);

    /// <summary>
    /// Writes one encoded batch of <paramref name="count"/> events and returns the offsets it got. Retries until it is
    /// durable; only <see cref="DisposeAsync"/> (or <paramref name="ct"/>) ends the wait, with an exception.
    /// One call at a time: offsets follow call order.
    /// </summary>
    public async Task<Appended> AppendAsync(byte[] payload, int count, CancellationToken ct = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        var token = linked.Token;
        long expectedFirst = NextOffset;
        var backoff = _settings.RetryMinBackoff;
        long failedAttempts = 0;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            try
            {
                if (_actor == null)
                {
                    await SpawnAsync().ConfigureAwait(false);
                    if (NextOffset == expectedFirst + count)
                        return Succeeded(new Appended(expectedFirst, count, LastSequenceNr), payload.Length, failedAttempts);
                    if (NextOffset != expectedFirst)
                        throw new InvalidOperationException(
                            $"the journal's next offset moved from {expectedFirst} to {NextOffset} behind this writer: is another fsaudit writing the same journal?");
                }
                var ask = _actor!.Ask<object>(new AppendBatch(payload, count), _settings.WriteTimeout, token);
                var done = await Task.WhenAny(ask, _terminated!).ConfigureAwait(false);
                if (done == ask && ask.Result is Appended a) return Succeeded(a, payload.Length, failedAttempts);
                if (done == ask && ask.Result is Status.Failure f) throw f.Cause;
                throw _actorFailure ?? new IOException("the journal writer stopped");
            }
            catch (Exception e) when (!token.IsCancellationRequested && e is not InvalidOperationException)
            {
                failedAttempts++;
                Interlocked.Increment(ref _failures);
                Interlocked.Exchange(ref _retrying, 1);
                _lastError = e.GetBaseException().Message;
                _lastErrorAt = DateTimeOffset.UtcNow;
                WriteFailed?.Invoke(new JournalWriteFailure(expectedFirst, count, failedAttempts, e.GetBaseException(), backoff));
                await StopActorAsync().ConfigureAwait(false);
                await Task.Delay(backoff, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _settings.RetryMaxBackoff.Ticks));
            }
        }
    }

    /// <summary>Deletes journal rows through <paramref name="sequenceNr"/> (never the newest). Returns the row pruned through.</summary>
    internal async Task<long> PruneThroughAsync(long sequenceNr)
    {
        var actor = _actor ?? throw new IOException("the journal writer is restarting");
        var r = await actor.Ask<object>(new PruneThrough(sequenceNr), _settings.WriteTimeout).ConfigureAwait(false);
        return r switch
        {
            Pruned p => p.SequenceNr,
            Status.Failure f => throw f.Cause,
            _ => throw new InvalidOperationException($"unexpected answer {r}"),
        };
    }

    private Appended Succeeded(Appended a, int bytes, long failedAttempts)
    {
        Interlocked.Exchange(ref _nextOffset, a.FirstOffset + a.Count);
        Interlocked.Exchange(ref _lastSequenceNr, a.SequenceNr);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _events, a.Count);
        Interlocked.Add(ref _bytes, bytes);
        if (failedAttempts > 0)
        {
            Interlocked.Exchange(ref _retrying, 0);
            WriteRecovered?.Invoke(failedAttempts);
        }
        return a;
    }

    private async Task SpawnAsync()
    {
        _actorFailure = null;
        var actor = _system.ActorOf(EventJournalActor.Props(_settings.SnapshotEvery, e => _actorFailure = e), $"event-journal-{++_generation}");
        var terminated = actor.WatchAsync();
        // Commands are stashed until recovery completes, so this answers with the recovered state.
        var ask = actor.Ask<WriterState>(GetWriterState.Instance, _settings.WriteTimeout + TimeSpan.FromSeconds(30));
        var done = await Task.WhenAny(ask, terminated).ConfigureAwait(false);
        if (done != ask || !ask.IsCompletedSuccessfully)
        {
            _system.Stop(actor);
            throw _actorFailure ?? ask.Exception?.GetBaseException() ?? new IOException("the journal writer stopped during recovery");
        }
        Interlocked.Exchange(ref _nextOffset, ask.Result.NextOffset);
        Interlocked.Exchange(ref _lastSequenceNr, ask.Result.LastSequenceNr);
        _actor = actor;
        _terminated = terminated;
    }

    private async Task StopActorAsync()
    {
        var actor = _actor;
        var terminated = _terminated;
        _actor = null;
        _terminated = null;
        if (actor == null) return;
        _system.Stop(actor);
        // The next writer must not recover before this one is gone (one writer per persistence id).
        await Task.WhenAny(terminated!, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        await StopActorAsync().ConfigureAwait(false);
    }
}

/// <param name="FirstOffset">Offset the failed batch will get.</param>
/// <param name="Attempt">Failed attempts so far for this batch.</param>
/// <param name="RetryIn">Wait before the next attempt.</param>
public sealed record JournalWriteFailure(long FirstOffset, int Count, long Attempt, Exception Error, TimeSpan RetryIn);

/// <param name="Retrying">A write is failing right now; the pipeline is held back.</param>
public readonly record struct JournalWriterCounters(
    long Batches, long Events, long PayloadBytes, long WriteFailures, bool Retrying, string? LastError, DateTimeOffset? LastErrorAt);
