namespace FsAudit.Host.Server;

/// <summary>
/// Reads newline-terminated request lines of bounded length from a client, keeping bytes that arrived
/// after a line for the next read. A line longer than the limit is an error, not something to buffer.
/// </summary>
public sealed class LineReader(Stream stream, int maxBytes)
{
    private byte[] _buffer = new byte[Math.Min(maxBytes + 1, 4096)];
    private int _start, _end;

    /// <summary>The next line without its '\n' (and '\r'), skipping blank lines.</summary>
    public async Task<RequestLine> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            var line = await ReadRawAsync(ct);
            if (line.Error != null || !IsBlank(line.Bytes)) return line;
        }
    }

    private async Task<RequestLine> ReadRawAsync(CancellationToken ct)
    {
        int scanned = _start;
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', scanned, _end - scanned);
            if (nl >= 0)
            {
                if (nl - _start > maxBytes) return TooLong();
                int end = nl > _start && _buffer[nl - 1] == '\r' ? nl - 1 : nl;
                var bytes = _buffer[_start..end];
                _start = nl + 1;
                return new RequestLine(bytes, null);
            }
            if (_end - _start > maxBytes) return TooLong();
            scanned = _end;
            if (_end == _buffer.Length) MakeRoom(ref scanned);
            int n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            if (n == 0)
                return new RequestLine([], _end > _start ? "connection closed in the middle of a request line" : "connection closed before a request line");
            _end += n;
        }
    }

    // Compact first; grow only up to the limit plus the byte that proves a line too long.
    private void MakeRoom(ref int scanned)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            scanned -= _start;
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, maxBytes + 2));
    }

    private RequestLine TooLong() => new([], $"request line longer than {maxBytes} bytes");

    private static bool IsBlank(byte[] line)
    {
        foreach (byte b in line)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }
}
