using System.Numerics;

namespace FsAudit.Engine.Correlation;

/// <summary>
/// Counts serials that never showed up. Serials can arrive out of order (events interleave), so a
/// missing serial is only counted once it falls out of a sliding window behind the newest serial
/// (or at <see cref="Finish"/>). A jump of more than <see cref="ResyncDistance"/> either way is taken
/// as a new serial space (reboot, another log), not as loss. Handles 32-bit rollover.
/// Kept separate from <see cref="Correlator"/> so the daemon can track gaps before routing serials to
/// several correlators.
/// </summary>
public sealed class SerialGapTracker
{
    public const int DefaultWindow = 1024;
    public const int ResyncDistance = 1 << 20;

    private readonly ulong[] _seen;
    private readonly uint _mask;
    private bool _started;
    private uint _low;  // first serial of the current run: nothing before it is counted
    private uint _high; // newest serial seen

    public SerialGapTracker(int window = DefaultWindow)
    {
        if (window < 64) window = 64;
        window = (int)BitOperations.RoundUpToPowerOf2((uint)window);
        Window = window;
        _mask = (uint)window - 1;
        _seen = new ulong[window / 64];
    }

    public int Window { get; }

    /// <summary>Serials counted as missing (final: they left the window unseen, or were finished).</summary>
    public long PossiblyLost { get; private set; }

    /// <summary>Times the serial jumped so far that counting restarted.</summary>
    public long Resyncs { get; private set; }

    /// <summary>Serials that arrived after the window had moved past them (already counted as lost).</summary>
    public long TooLate { get; private set; }

    /// <summary>The newest serial seen, if any.</summary>
    public uint? Newest => _started ? _high : null;

    /// <summary>Serials currently missing inside the window (may still arrive).</summary>
    public int Unresolved
    {
        get
        {
            if (!_started) return 0;
            int n = 0;
            ForEachInWindow((s, seen) => { if (!seen) n++; });
            return n;
        }
    }

    public void Observe(uint serial)
    {
        // The records of one event arrive together: the newest serial is already marked.
        if (serial == _high && _started) return;
        if (!_started) { Start(serial); return; }
        int d = SerialMath.Distance(_high, serial);
        if (d > 0)
        {
            if (d > ResyncDistance) { Resync(serial); return; }
            Advance(serial, d);
        }
        else if (d > -Window)
        {
            if (SerialMath.Distance(_low, serial) < 0)
            {
                // Earlier than the first serial seen but still in the window: the run starts earlier.
                _low = serial;
            }
            Mark(serial);
        }
        else if (d < -ResyncDistance) Resync(serial);
        else TooLate++;
    }

    /// <summary>Counts every serial still missing in the window as lost (end of input).</summary>
    public void Finish()
    {
        if (!_started) return;
        uint first = FirstInWindow();
        for (uint s = first; SerialMath.Distance(s, _high) >= 0; s++)
        {
            if (!IsMarked(s)) { PossiblyLost++; Mark(s); }
            if (s == _high) break;
        }
    }

    private void Advance(uint serial, int d)
    {
        if (d >= Window)
        {
            // Everything in the window leaves; serials between it and the new window never entered it.
            ForEachInWindow((s, seen) => { if (!seen) PossiblyLost++; });
            PossiblyLost += d - Window;
            Array.Clear(_seen);
            // The skipped serials before the new window are accounted for: start the run there.
            _low = serial - (uint)Window + 1;
            _high = serial;
            Mark(serial);
            return;
        }
        for (int step = 1; step <= d; step++)
        {
            uint s = _high + (uint)step;
            uint leaving = s - (uint)Window; // shares the slot of s
            if (!IsMarked(leaving) && SerialMath.Distance(_low, leaving) >= 0) PossiblyLost++;
            Clear(s);
        }
        _high = serial;
        Mark(serial);
    }

    private void Resync(uint serial)
    {
        Finish();
        Resyncs++;
        Start(serial);
    }

    private void Start(uint serial)
    {
        Array.Clear(_seen);
        _started = true;
        _low = _high = serial;
        Mark(serial);
    }

    private uint FirstInWindow()
    {
        uint windowStart = _high - (uint)Window + 1;
        return SerialMath.Distance(_low, windowStart) > 0 ? windowStart : _low;
    }

    private void ForEachInWindow(Action<uint, bool> visit)
    {
        uint first = FirstInWindow();
        for (uint s = first; ; s++)
        {
            visit(s, IsMarked(s));
            if (s == _high) break;
        }
    }

    private bool IsMarked(uint s) { uint i = s & _mask; return (_seen[i >> 6] & (1UL << (int)(i & 63))) != 0; }
    private void Mark(uint s) { uint i = s & _mask; _seen[i >> 6] |= 1UL << (int)(i & 63); }
    private void Clear(uint s) { uint i = s & _mask; _seen[i >> 6] &= ~(1UL << (int)(i & 63)); }
}
