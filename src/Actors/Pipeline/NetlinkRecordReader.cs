using FsAudit.Engine.Netlink;
using FsAudit.Engine.Records;

namespace FsAudit.Actors.Pipeline;

/// <summary>
/// Reads kernel audit records from the daemon's netlink socket: one <see cref="AuditNetlinkSocket.Receive"/>
/// drains every ready datagram into a reusable buffer, <see cref="NetlinkMessageReader"/> walks it and
/// <see cref="RecordParser.TryParseKernel"/> turns each record payload into an <see cref="AuditRecord"/>.
/// Unparsable payloads, malformed buffers and non-record messages are counted, never thrown.
/// </summary>
public sealed class NetlinkRecordReader : IRecordReader
{
    private readonly AuditNetlinkSocket _socket;
    private readonly AuditDaemonConnection? _connection;
    private readonly bool _ownsSocket;
    private readonly byte[] _buffer;
    private readonly KernelBufferParser _parser = new();

    /// <param name="socket">Already registered as the audit daemon's socket.</param>
    /// <param name="receiveBufferBytes">Bytes drained per call; at least a few datagrams (see <see cref="AuditNetlinkSocket.DatagramReserve"/>).</param>
    /// <param name="ownsSocket">Dispose the socket with the reader.</param>
    public NetlinkRecordReader(AuditNetlinkSocket socket, int receiveBufferBytes = 1 << 20, bool ownsSocket = true)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (receiveBufferBytes < 2 * AuditNetlinkSocket.DatagramReserve)
            throw new ArgumentOutOfRangeException(nameof(receiveBufferBytes), receiveBufferBytes,
                $"must be >= {2 * AuditNetlinkSocket.DatagramReserve}");
        _socket = socket;
        _ownsSocket = ownsSocket;
        _buffer = new byte[receiveBufferBytes];
    }

    /// <summary>
    /// Reads through the daemon connection, so records the kernel sent while the registration request
    /// waited for its ack (kept by the connection) come first. The connection stays the caller's.
    /// </summary>
    public NetlinkRecordReader(AuditDaemonConnection connection, int receiveBufferBytes = 1 << 20)
        : this(connection.Socket, receiveBufferBytes, ownsSocket: false)
    {
        _connection = connection;
    }

    /// <summary>Buffers with a cut-off or garbage tail (the rest of the buffer was skipped).</summary>
    public long MalformedBuffers => _parser.MalformedBuffers;

    /// <summary>Control messages (acks, errors) that arrived on the record socket; skipped.</summary>
    public long NonRecordMessages => _parser.NonRecordMessages;

    /// <summary>Why the last unparsable payload was rejected.</summary>
    public string? LastError => _parser.LastError;

    public ReaderCounters Counters => new(
        _parser.Messages, _parser.Unparsable + _parser.MalformedBuffers,
        _socket.ReceiveOverruns + _socket.TruncatedDatagrams, _parser.BacklogWakeRecords);

    /// <summary>The last receive took more than half the buffer: the socket likely holds more (drain's rule).</summary>
    public bool FilledLastRead { get; private set; }

    public int Read(List<AuditRecord> into, int timeoutMs)
    {
        int n = _connection?.Receive(_buffer, timeoutMs) ?? _socket.Receive(_buffer, timeoutMs);
        FilledLastRead = n > _buffer.Length / 2;
        return n == 0 ? 0 : _parser.Parse(_buffer.AsSpan(0, n), into);
    }

    public void Dispose()
    {
        if (_ownsSocket) _socket.Dispose();
    }
}

/// <summary>Turns one received buffer of netlink messages into records, counting what is not a record.</summary>
internal sealed class KernelBufferParser
{
    private long _messages, _unparsable, _malformedBuffers, _nonRecords, _backlogWakes;
    private string? _lastError;

    /// <summary>
    /// Records of our backlog wake messages (<see cref="AuditControl.GetStatus"/>). Counted, and kept as the USER events
    /// they are (auditd logs them too): dropping them here would leave their serials looking lost.
    /// </summary>
    public long BacklogWakeRecords => Interlocked.Read(ref _backlogWakes);

    public long Messages => Interlocked.Read(ref _messages);
    public long Unparsable => Interlocked.Read(ref _unparsable);
    public long MalformedBuffers => Interlocked.Read(ref _malformedBuffers);
    public long NonRecordMessages => Interlocked.Read(ref _nonRecords);
    public string? LastError => Volatile.Read(ref _lastError);

    public int Parse(ReadOnlySpan<byte> received, List<AuditRecord> into)
    {
        int added = 0;
        var messages = new NetlinkMessageReader(received);
        while (messages.MoveNext())
        {
            var m = messages.Current;
            if (!m.IsRecord)
            {
                Interlocked.Increment(ref _nonRecords);
                continue;
            }
            if (m.Type == AuditMessageType.User && m.Payload.IndexOf(AuditControl.BacklogWakeRecordText) >= 0) Interlocked.Increment(ref _backlogWakes);
            if (RecordParser.TryParseKernel(m.Type, m.Payload, out var record, out var error))
            {
                into.Add(record!);
                added++;
            }
            else
            {
                Interlocked.Increment(ref _unparsable);
                Volatile.Write(ref _lastError, $"type {m.Type}: {error}");
            }
        }
        Interlocked.Add(ref _messages, messages.Count);
        if (messages.Malformed) Interlocked.Increment(ref _malformedBuffers);
        return added;
    }
}
