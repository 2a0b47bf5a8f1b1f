using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using FsAudit.Actors.Events;
using FsAudit.Engine.Correlation;
using FsAudit.Engine.Events;
using FsAudit.Engine.Kernel;

namespace FsAudit.Actors.Sinks;

/// <summary>
/// Writes events as auditd writes <c>/var/log/audit/audit.log</c> (log_format = RAW): one line per record,
/// <c>[node=HOST ]type=NAME msg=audit(SEC.MS:SERIAL): fields</c>, no EOE lines, so ausearch/aureport and log
/// shippers read it unchanged. Rotates by size like auditd (audit.log → audit.log.1 → ... → audit.log.N-1, never
/// splitting an event across files) and forces data to disk per <see cref="AuditLogOptions.Flush"/>.
/// Use it as the pipeline's sink (<see cref="Sink"/>) or call <see cref="Write"/> per batch from another sink;
/// one writer at a time. A failed write throws (the stream fails): records are never dropped silently.
/// </summary>
public sealed class AuditLogSink : IEventSink<AuditEvent>, IDisposable
{
    private const string BlockingDispatcher = "akka.actor.default-blocking-io-dispatcher";

    private readonly AuditLogOptions _options;
    private readonly object _lock = new();
    private FileStream? _stream;
    private byte[] _scratch = new byte[16 * 1024];
    private long _fileBytes, _sinceSync;
    private long _events, _records, _bytes, _rotations, _syncs, _sanitized, _failures;
    private string? _lastError;
    private bool _disposed;

    /// <summary>Opens (appending to) <see cref="AuditLogOptions.Path"/>, creating its directory.</summary>
    public AuditLogSink(AuditLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
        if (dir != null) Directory.CreateDirectory(dir);
        _stream = Open();
        Sink = Akka.Streams.Dsl.Sink.ForEach<IReadOnlyList<AuditEvent>>(Write)
            .WithAttributes(ActorAttributes.CreateDispatcher(BlockingDispatcher))
            .Async()
            .MapMaterializedValue(done => (Task)FlushWhenDone(done));
    }

    public AuditLogOptions Options => _options;

    /// <summary>Writes each batch on the blocking-IO dispatcher; its task completes after the last batch is flushed (and synced, unless flush = none).</summary>
    public Sink<IReadOnlyList<AuditEvent>, Task> Sink { get; }

    public AuditLogStats Stats => new(
        Interlocked.Read(ref _events), Interlocked.Read(ref _records), Interlocked.Read(ref _bytes),
        Interlocked.Read(ref _rotations), Interlocked.Read(ref _syncs), Interlocked.Read(ref _fileBytes),
        Interlocked.Read(ref _sanitized), Interlocked.Read(ref _failures), Volatile.Read(ref _lastError));

    /// <summary>Appends the events' records, rotating and syncing as configured; then hands the data to the kernel.</summary>
    public void Write(IReadOnlyList<AuditEvent> batch)
    {
        lock (_lock)
        {
            try
            {
                var stream = _stream ?? throw new ObjectDisposedException(nameof(AuditLogSink));
                foreach (var e in batch) stream = WriteEvent(stream, e);
                stream.Flush();
                if (_options.Flush is AuditLogFlush.Data or AuditLogFlush.Sync) SyncToDisk(stream);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _failures);
                Volatile.Write(ref _lastError, ex.Message);
                throw;
            }
        }
    }

    /// <summary>Flushes and, unless flush = none, syncs what was written.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_stream is not { } s) return;
            s.Flush();
            if (_options.Flush != AuditLogFlush.None) SyncToDisk(s);
        }
    }

    private async Task FlushWhenDone(Task done)
    {
        try
        {
            await done.ConfigureAwait(false);
        }
        finally
        {
            Flush();
        }
    }

    private FileStream WriteEvent(FileStream stream, AuditEvent e)
    {
        int length = Format(e);
        if (length == 0) return stream;
        if (_options.RotationEnabled && _fileBytes > 0 && _fileBytes + length > _options.MaxFileSizeBytes)
            stream = Rotate(stream);
        stream.Write(_scratch, 0, length);
        Interlocked.Add(ref _fileBytes, length);
        Interlocked.Add(ref _bytes, length);
        Interlocked.Add(ref _records, e.Records.Count);
        Interlocked.Increment(ref _events);
        if (_options.Flush == AuditLogFlush.Incremental && (_sinceSync += e.Records.Count) >= _options.Freq)
        {
            stream.Flush();
            SyncToDisk(stream);
        }
        return stream;
    }

    /// <summary>Encodes the event's lines into <see cref="_scratch"/>; returns the byte count.</summary>
    private int Format(AuditEvent e)
    {
        int length = 0;
        foreach (var r in e.Records)
        {
            if (r.Type == RecordKinds.Eoe) continue; // auditd does not log EOE
            string name = RecordTypeNames.Name(r.Type);
            int max = 64 + r.Utf8.Length + Encoding.UTF8.GetMaxByteCount(name.Length + (r.Node?.Length ?? 0));
            if (_scratch.Length - length < max) Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, length + max));
            var span = _scratch.AsSpan(length);
            int n = 0;
            if (r.Node != null)
            {
                n += Ascii(span, "node=");
                n += Encoding.UTF8.GetBytes(r.Node, span[n..]);
                span[n++] = (byte)' ';
            }
            n += Ascii(span[n..], "type=");
            n += Ascii(span[n..], name);
            n += Ascii(span[n..], " msg=");
            int text = n;
            r.Utf8.CopyTo(span[n..]);
            n += r.Utf8.Length;
            n = Sanitize(span, text, n);
            span[n++] = (byte)'\n';
            length += n;
        }
        return length;
    }

    /// <summary>A line break inside a record would split it into two log lines: replace it, counted.</summary>
    private int Sanitize(Span<byte> span, int start, int end)
    {
        // Records end without a newline; a trailing one (user-space records) is dropped.
        while (end > start && span[end - 1] is (byte)'\n' or (byte)'\r' or 0) end--;
        var body = span[start..end];
        int i;
        while ((i = body.IndexOfAny((byte)'\n', (byte)'\r')) >= 0)
        {
            body[i] = (byte)' ';
            Interlocked.Increment(ref _sanitized);
        }
        return end;
    }

    private static int Ascii(Span<byte> destination, string s) => Encoding.ASCII.GetBytes(s, destination);

    /// <summary>auditd's rotate_logs: .N-2 → .N-1, ..., .1 → .2, live → .1, then a new live file.</summary>
    private FileStream Rotate(FileStream stream)
    {
        stream.Flush();
        if (_options.Flush != AuditLogFlush.None) SyncToDisk(stream);
        stream.Dispose();
        _stream = null;
        string path = _options.Path;
        try
        {
            for (int i = _options.NumLogs - 2; i >= 1; i--)
            {
                string older = $"{path}.{i}";
                if (File.Exists(older)) File.Move(older, $"{path}.{i + 1}", overwrite: true);
            }
            File.Move(path, path + ".1", overwrite: true);
            Interlocked.Increment(ref _rotations);
        }
        finally
        {
            // Also after a failed rename: the live file stays open, so a caller that goes on keeps logging.
            _stream = Open();
        }
        return _stream;
    }

    private FileStream Open()
    {
        var open = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 1 << 16,
        };
        if (!OperatingSystem.IsWindows()) open.UnixCreateMode = _options.FileMode;
        var stream = new FileStream(_options.Path, open);
        Interlocked.Exchange(ref _fileBytes, stream.Length);
        return stream;
    }

    private void SyncToDisk(FileStream stream)
    {
        _sinceSync = 0;
        if (_options.Flush == AuditLogFlush.Sync)
        {
            stream.Flush(flushToDisk: true); // fsync
        }
        else
        {
            int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
            if (Tmds.Linux.LibC.fdatasync(fd) < 0)
            {
                int errno = Tmds.Linux.LibC.errno;
                throw new IOException($"fdatasync({_options.Path}) failed: {Errno.Name(errno) ?? "errno " + errno}");
            }
        }
        Interlocked.Increment(ref _syncs);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                if (_stream is { } s)
                {
                    s.Flush();
                    if (_options.Flush != AuditLogFlush.None) SyncToDisk(s);
                }
            }
            finally
            {
                _stream?.Dispose();
                _stream = null;
            }
        }
    }
}

/// <param name="Events">Events written since start.</param>
/// <param name="Records">Record lines written.</param>
/// <param name="Bytes">Bytes written, all files.</param>
/// <param name="Rotations">Times the live file was rotated.</param>
/// <param name="Syncs">fsync/fdatasync calls.</param>
/// <param name="CurrentFileBytes">Size of the live file.</param>
/// <param name="SanitizedLineBreaks">Line breaks inside records replaced by spaces.</param>
/// <param name="WriteFailures">Writes that failed (the error was thrown to the caller).</param>
/// <param name="LastError">The last write failure's message.</param>
public readonly record struct AuditLogStats(
    long Events, long Records, long Bytes, long Rotations, long Syncs, long CurrentFileBytes,
    long SanitizedLineBreaks, long WriteFailures, string? LastError);
