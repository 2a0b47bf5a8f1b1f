namespace FsAudit.Engine.Records;

/// <summary>
/// Reads a stream line by line as byte spans over one reusable buffer (no string per line), so a
/// log of any size is read in bounded memory. A line longer than the limit is returned cut, with
/// <see cref="LineTooLong"/> set, and the rest of it is skipped.
/// </summary>
public sealed class LogLineReader
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buf;
    private int _start, _end;
    private bool _eof;
    private bool _skipping; // discarding the tail of an over-long line

    public LogLineReader(Stream stream, int bufferSize = 1 << 16, int maxLineBytes = 1 << 20)
    {
        _stream = stream;
        _maxLineBytes = Math.Max(maxLineBytes, 256);
        _buf = new byte[Math.Clamp(bufferSize, 256, _maxLineBytes)];
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The line last returned was longer than the limit and has been cut.</summary>
    public bool LineTooLong { get; private set; }

    /// <summary>Bytes consumed so far (offset just after the line last returned).</summary>
    public long Position { get; private set; }

    /// <summary>The next line without its '\n'; the span is valid until the next call.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        LineTooLong = false;
        while (true)
        {
            var pending = _buf.AsSpan(_start, _end - _start);
            int nl = pending.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = pending[..nl];
                _start += nl + 1;
                Position += nl + 1;
                if (_skipping) { _skipping = false; continue; }
                LineNumber++;
                return true;
            }
            if (_eof)
            {
                if (pending.IsEmpty || _skipping)
                {
                    _skipping = false;
                    _start = _end;
                    line = default;
                    return false;
                }
                line = pending;
                Position += pending.Length;
                _start = _end;
                LineNumber++;
                return true;
            }
            if (_skipping)
            {
                Position += pending.Length;
                _start = _end = 0;
            }
            else if (_start == 0 && _end == _buf.Length)
            {
                if (_buf.Length < _maxLineBytes)
                {
                    Array.Resize(ref _buf, Math.Min(_buf.Length * 2, _maxLineBytes));
                }
                else
                {
                    // Return what we have, cut, and drop the rest of this line.
                    line = _buf.AsSpan(0, _end);
                    Position += _end;
                    _start = _end;
                    _skipping = true;
                    LineTooLong = true;
                    LineNumber++;
                    return true;
                }
            }
            else if (_start > 0)
            {
                pending.CopyTo(_buf);
                _end -= _start;
                _start = 0;
            }
            int n = _stream.Read(_buf, _end, _buf.Length - _end);
            if (n == 0) _eof = true;
            else _end += n;
        }
    }
}
