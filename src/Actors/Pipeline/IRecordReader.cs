using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// Where records come from. Called only from the pipeline's dedicated reader thread, so
/// implementations need no locking; the pipeline owns the reader and disposes it after the
/// thread has exited.
/// </summary>
public interface IRecordReader : IDisposable
{
    /// <summary>
    /// Appends the records of one or more receives to <paramref name="into"/>, waiting at most
    /// <paramref name="timeoutMs"/> for the first one. Returns how many were appended (0 on timeout).
    /// Bad input is counted in <see cref="Counters"/>, never thrown; an exception means the source is broken.
    /// </summary>
    int Read(List<AuditRecord> into, int timeoutMs);

    /// <summary>
    /// After <see cref="Read"/>: the source had more ready than that read could take (its buffer filled), so reading
    /// again at once takes more. The reader thread then skips its coalescing sleep, as <c>drain</c> does.
    /// </summary>
    bool FilledLastRead => false;

    /// <summary>What the reader saw besides records. Read from other threads: implementations publish with Volatile/Interlocked.</summary>
    ReaderCounters Counters => default;
}

/// <param name="Messages">Messages received (netlink messages, lines, ...).</param>
/// <param name="Unparsable">Messages whose payload was not a record (counted and skipped).</param>
/// <param name="Overruns">Times the source reported lost input (e.g. ENOBUFS on the socket).</param>
/// <param name="BacklogWakeRecords">Records of the backlog wake messages our status queries send (kept as USER events).</param>
public readonly record struct ReaderCounters(long Messages, long Unparsable, long Overruns, long BacklogWakeRecords = 0);
